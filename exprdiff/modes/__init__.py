"""Derivative modes built from the tape's sweeps: the tangent (forward-mode) sweep here, beside
the adjoint (reverse) sweep of reverse.py, and the two together for second order: the Hessian
and H·v by forward-over-reverse (hessian.py, and hvp.py on the lean lists)."""
