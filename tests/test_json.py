"""render/json.py: the C-encoder writer gives exactly `json.dumps(data, indent=…)`'s text."""

from __future__ import annotations

import io
import json
from collections import OrderedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exprdiff.errors import json_safe
from exprdiff.render.json import dumps, write

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(),
                    st.floats(allow_nan=False, allow_infinity=False))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner), st.tuples(inner, inner),
        st.dictionaries(st.text(), inner),
        st.lists(st.dictionaries(st.text(), scalars, min_size=1)),  # a step table
        st.dictionaries(st.one_of(st.integers(), st.booleans(), st.none(), st.floats(
            allow_nan=False, allow_infinity=False)), inner)),  # keys json turns into strings
    max_leaves=25)


def reference(data: object, indent: int | None = 2) -> str:
    # json's own text, with the controls json leaves raw written as \u escapes (errors.json_safe)
    return json_safe(json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False))


@settings(max_examples=400, deadline=None)
@given(values, st.sampled_from([0, 1, 2, 4, None]))
def test_dumps_is_json_dumps(data: object, indent: int | None) -> None:
    assert dumps(data, indent=indent) == reference(data, indent)


@settings(max_examples=100, deadline=None)
@given(values)
def test_write_streams_the_same_text(data: object) -> None:
    stream = io.StringIO()
    write(stream, data)
    assert stream.getvalue() == reference(data) + "\n"


def test_subclasses_and_big_tables_too() -> None:
    rows = [{"node": f"z{k}", "value": k / 3, "expression": "∂…" * (k % 5)} for k in range(20_000)]
    data = {"steps": {"forward": rows, "empty": [], "nested": [[], {}, [rows[:2]]]},
            "ordered": OrderedDict(b=1, a=[1.5, None]), "tuple": (1, "two")}
    assert dumps(data) == reference(data)
    stream = io.StringIO()
    write(stream, data)
    assert stream.getvalue() == reference(data) + "\n"


def test_what_json_refuses_is_refused() -> None:
    for bad in ({"x": float("nan")}, [{"a": float("inf")}], {"x": {1, 2}}, [object()]):
        with pytest.raises((ValueError, TypeError)):
            dumps(bad)
