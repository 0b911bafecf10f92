"""Immutable records without `dataclasses`: the bases of the classes on `exprdiff grad`'s path.

`@dataclass(frozen=True, slots=True)` execs generated code for every class it makes (0.5–1 ms
each, measured) and `import dataclasses` pulls in `inspect`: a fresh process paid that before
reading its first character. These bases give the same behaviour with plain code: fields are
the subclass's `__slots__`, in the order its `__init__` takes them, set once with
`object.__setattr__`; assigning or deleting one afterwards raises AttributeError.

    >>> class Pair(Value):
    ...     __slots__ = ("a", "b")
    ...     def __init__(self, a: int, b: int) -> None:
    ...         _set(self, "a", a)
    ...         _set(self, "b", b)
    >>> Pair(1, 2) == Pair(1, 2), Pair(1, 2).replace(b=3)
    (True, Pair(a=1, b=3))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Self

#: Sets a field of a frozen record (in `__init__` only).
_set = object.__setattr__


class FrozenError(AttributeError):
    """An attempt to change a field of an immutable record (as dataclasses' FrozenInstanceError)."""


class Frozen:
    """Read-only fields, `repr` and `replace`, pickling by constructor; identity equality.

    `_shown` names the fields `repr` prints (default: all of `__slots__`).
    """

    __slots__: tuple[str, ...] = ()
    _shown: tuple[str, ...] | None = None

    @classmethod
    def _fields(cls) -> tuple[str, ...]:
        """The fields: the nearest class's non-empty `__slots__` (a subclass may add none)."""
        for klass in cls.__mro__:
            slots = klass.__dict__.get("__slots__")
            if slots:
                return tuple(slots)
        return ()

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenError(f"cannot delete field {name!r}")

    def __repr__(self) -> str:
        names = self._fields() if self._shown is None else self._shown
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__qualname__}({fields})"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return type(self), tuple(getattr(self, name) for name in self._fields())

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed, as `dataclasses.replace` makes one."""
        fields = {name: getattr(self, name) for name in self._fields()}
        unknown = set(changes) - set(fields)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)[0]!r}")
        fields.update(changes)
        return type(self)(**fields)


class Value(Frozen):
    """A Frozen record that compares and hashes by its fields (`_compared`, default all)."""

    __slots__ = ()
    _compared: tuple[str, ...] | None = None

    def _key(self) -> tuple[Any, ...]:
        names = self._fields() if self._compared is None else self._compared
        return tuple(getattr(self, name) for name in names)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


def draft(cls: type[Frozen]) -> type[Frozen]:
    """A twin of `cls` whose fields are assigned as any object's: an instance filled in, then
    given `cls` as its __class__ (the same slots, so the same layout), is a `cls` made at a
    quarter of `_set`'s cost per field (Result on `exprdiff.grad`'s path: 12 fields). The
    twin adds no field and is never handed out as itself."""
    return type(f"{cls.__name__}Draft", (cls,), {"__slots__": (),
                                                  "__setattr__": object.__setattr__,
                                                  "__delattr__": object.__delattr__})
