"""Derivative modes built from the tape's sweeps: the tangent (forward-mode) sweep here, beside
the adjoint (reverse) sweep of reverse.py."""
