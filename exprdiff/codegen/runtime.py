"""What generated Python and NumPy code raises and warns with: printed above the function by
`exprdiff codegen` (this file's text after its imports), imported from here by compile_python
(so its errors pickle, e.g. from batch workers)."""

from warnings import warn


class DomainError(ArithmeticError):
    """A point outside a function's domain, or a value or slope beyond the doubles."""


class NotDifferentiable(ArithmeticError):
    """A kink or jump, with strict=True (as exprdiff grad --strict)."""


class NotDifferentiableWarning(UserWarning):
    """A kink or jump: the partials used there are exprdiff's (the mean of the one-sided ones)."""


def _kink(message: str, strict: bool) -> None:
    if strict:
        raise NotDifferentiable(message)
    warn(message, NotDifferentiableWarning, stacklevel=3)
