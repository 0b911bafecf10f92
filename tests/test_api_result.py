"""Compiled.grad makes its Result as a draft filled in, then made a Result (frozen.draft): the
very record `Result(...)` makes, field for field, and as frozen, for every kind of gradient."""

from __future__ import annotations

import pickle

import pytest
from strategies import random_cases

import exprdiff
from exprdiff.api import Result
from exprdiff.errors import ExprError
from exprdiff.forward import forward, kinks
from exprdiff.outputs import output_name
from exprdiff.reverse import reverse
from exprdiff.frozen import FrozenError, Value, _set, draft

CASES = [("(a - b)**2", {"a": 3.0, "b": 1.0}), ("abs(x) + max(x, y)", {"x": 0.0, "y": 0.0}),
         ("h = tanh(w*x); L = (h - y)**2", {"w": 0.5, "x": 2.0, "y": 1.0}), ("7", {})]


def _made_plainly(result: Result) -> Result:
    return Result(*(getattr(result, name) for name in Result._fields()))


def _expected(compiled: exprdiff.Compiled, point: dict[str, float], record: bool) -> Result:
    """The Result of this gradient made the plain way, from the sweeps run again here."""
    tape = compiled.tape
    values = forward(tape, [float(point[name]) for name in tape.variables])
    partials: dict[int, tuple[float, ...]] | None = {} if record else None
    adjoints = reverse(tape, values, partials)
    outputs = None
    if tape.statements is not None:
        outputs = {output_name(tape): values[tape.output]}
    return Result(compiled.source, {n: float(point[n]) for n in tape.variables},
                  values[tape.output], {n: adjoints[i] for n, i in tape.inputs.items()},
                  tuple(kinks(tape, values)), tape, values, adjoints, partials, None, outputs)


def _same(result: Result, expected: Result) -> None:
    assert type(result) is Result
    for name in Result._fields():
        assert getattr(result, name) == getattr(expected, name), name
    assert result == expected and repr(result) == repr(expected)
    assert result.to_dict() == expected.to_dict() == _made_plainly(result).to_dict()


@pytest.mark.parametrize(("text", "point"), CASES)
def test_a_gradient_is_the_record_result_makes(text, point):
    compiled = exprdiff.compile(text)
    for record in (False, True):
        result = compiled.grad(point, record=record)
        _same(result, _expected(compiled, point, record))
        assert (result.partials is not None) == record


def test_random_gradients_are_the_records_result_makes():
    count = 0
    for text, point, _ in random_cases(41, 60, max_depth=6):
        compiled = exprdiff.compile(text)
        try:
            result = compiled.grad(point)
        except ExprError:
            continue
        _same(result, _expected(compiled, point, False))
        count += 1
    assert count > 30


@pytest.mark.parametrize("name", Result._fields())
def test_every_field_stays_frozen(name):
    result = exprdiff.grad("x*y", {"x": 2, "y": 3})
    with pytest.raises(FrozenError):
        setattr(result, name, None)
    with pytest.raises(FrozenError):
        delattr(result, name)


def test_a_made_result_replaces_and_pickles_as_any():
    result = exprdiff.grad("x*y + sin(x)", {"x": 2, "y": 3})
    bare = result.replace(tape=None)  # (a tape holds the rows' functions: not picklable)
    again = pickle.loads(pickle.dumps(bare))  # noqa: S301 - our own record
    assert type(again) is Result and again == result
    changed = result.replace(value=1.0)
    assert type(changed) is Result and changed.value == 1.0 and result.value != 1.0


def test_a_draft_is_its_class_once_filled_in():
    class Pair(Value):
        __slots__ = ("a", "b")

        def __init__(self, a: int, b: int) -> None:
            _set(self, "a", a)
            _set(self, "b", b)

    twin = draft(Pair)
    made = object.__new__(twin)
    made.a, made.b = 1, 2
    made.__class__ = Pair
    assert type(made) is Pair and made == Pair(1, 2)
    with pytest.raises(FrozenError):
        made.a = 3
    assert not hasattr(twin, "__dict__") or "__dict__" not in twin.__dict__  # no new field
