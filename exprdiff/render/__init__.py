"""Renderers: format what the API returns; never redo arithmetic. formats.py is the one registry
of output formats (--format name → writer class)."""
