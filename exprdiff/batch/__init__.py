"""Batch mode, as a library: lines.py reads lines, evaluate.py turns one into records,
workers.py runs chunks in processes, run.py's Batch drives them in input order (no printing)."""
