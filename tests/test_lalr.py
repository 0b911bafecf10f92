"""The fast LALR loop (exprdiff/lalr.py) builds exactly what Lark's own parser builds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exprdiff import ast
from exprdiff.lowering import lower
from exprdiff.syntax import lalr
from exprdiff.syntax.grammar import splitter
from exprdiff.syntax.parser import _fast_tape, _fast_tree, _lark, parse, parse_tape


def _tape_fields(tape):  # type: ignore[no-untyped-def]
    return (tape.kinds, tape.ops, tape.args, tape.constants, tape.columns, tape.labels,
            tape.inputs, tape.output, tape.program, tape.kink_nodes)


def _shape(node: ast.Node) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            out.append(("call", n.op, len(n.args), n.column))
        elif isinstance(n, ast.Number):
            out.append(("num", n.value, n.text, n.column))
        elif isinstance(n, ast.Variable):
            out.append(("var", n.name, n.column))
        else:
            out.append(("const", n.name, n.column))
    return out


def _check(text: str) -> None:
    reference = _lark().parse(text)  # Lark's own parse, with the transformer
    assert _shape(_fast_tree(text)) == _shape(reference)  # type: ignore[arg-type]
    assert _tape_fields(_fast_tape(text)) == _tape_fields(lower(reference, text))  # type: ignore[arg-type]


_EXAMPLES = [
    "x1**2 + 3*(x2*x3 - x1**2)", "y - max(0, w*x + b)", "max(a, b, c, d) + hypot(x, y, z)",
    "-x**2 + +y", "2**-x", "x^2^3", "log(x, 2) + pi*e", "((x))", " \n x \t ", "sin(1) + x",
    "atan2(y, x)*exp(-t)", "1.5e3*x - .5/x + 2.*x", "pow(x, 2)/x/x - -x",
]


@pytest.mark.parametrize("text", _EXAMPLES)
def test_fast_path_equals_lark(text: str) -> None:
    _check(text)


@pytest.mark.parametrize("text", ["", "f(x)", "1/0 + x", "sin x", "2x", "1e400*x", "max(x)",
                                  "x +", "(x", "x × y", "sin", "pi(x)"])
def test_mistakes_fall_back_to_lark_errors(text: str) -> None:
    with pytest.raises(lalr.Fallback):
        _fast_tape(text)
    with pytest.raises(Exception) as slow:  # noqa: B017 - the slow path's own error
        lower(parse(text), text)
    with pytest.raises(type(slow.value)) as fast:
        parse_tape(text)
    assert str(fast.value) == str(slow.value)


_atoms = st.sampled_from(["x", "y", "z1", "2", "0.5", "pi", "e", "3e2"])


@st.composite
def _expressions(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 4 or draw(st.booleans()):
        return draw(_atoms)
    kind = draw(st.sampled_from(["bin", "un", "call", "group"]))
    a = draw(_expressions(depth + 1))
    if kind == "bin":
        b = draw(_expressions(depth + 1))
        return f"{a} {draw(st.sampled_from(['+', '-', '*', '/', '**', '^']))} {b}"
    if kind == "un":
        return f"{draw(st.sampled_from(['-', '+']))}{a}"
    if kind == "call":
        name = draw(st.sampled_from(["sin", "max", "log", "hypot", "atan2", "exp"]))
        b = draw(_expressions(depth + 1))
        return f"{name}({a}, {b})" if name in ("max", "hypot", "atan2", "log") else f"{name}({a})"
    return f"({a})"


@settings(max_examples=200, deadline=None)
@given(_expressions())
def test_random_expressions_agree(text: str) -> None:
    try:
        reference = _lark().parse(text)
    except Exception:  # a folded domain error or the like: the two paths must agree on it
        with pytest.raises(Exception):  # noqa: B017
            parse_tape(text)
        return
    assert _shape(_fast_tree(text)) == _shape(reference)  # type: ignore[arg-type]
    try:
        slow = lower(reference, text)  # type: ignore[arg-type]
    except Exception as problem:  # noqa: BLE001
        with pytest.raises(type(problem)):
            parse_tape(text)
        return
    assert _tape_fields(parse_tape(text)) == _tape_fields(slow)


def test_deep_input_does_not_recurse() -> None:
    text = "x"
    for _ in range(20_000):
        text = f"sqrt({text}**2 + 1)"
    tape = parse_tape(text)
    assert len(tape.program) == 60_000


# ---- the tokenizer: pieces of text, then which terminal each piece is -----------------------


@pytest.mark.parametrize(("pattern", "plain"), [
    (r"(?P<A>ab)|(?P<B>c)", r"(?:ab)|(?:c)"),
    (r"(?P<N>(\d+)(\.\d*)?)", r"(?:(?:\d+)(?:\.\d*)?)"),
    (r"\(|[(]|[^)(]", r"\(|[(]|[^)(]"),  # escaped and in-class parentheses stay as they are
    (r"[]()]|(?=x)y|(?:z)", r"[]()]|(?=x)y|(?:z)"),  # `]` first in a class; lookahead; (?:)
    (r"[\](]+(a)", r"[\](]+(?:a)"),  # an escaped `]` does not close the class
])
def test_splitter_drops_every_group_and_nothing_else(pattern: str, plain: str) -> None:
    plain_pattern = splitter(pattern)
    assert plain_pattern is not None
    assert plain_pattern.pattern == plain
    assert plain_pattern.groups == 0


def test_splitter_refuses_a_backreference() -> None:
    assert splitter(r"(?P<Q>['\"]).*?(?P=Q)") is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("x1 .e+-*/^(),\t\n_é×\x00")), max_size=40))
def test_pieces_cut_any_text_without_gaps(text: str) -> None:
    from exprdiff.syntax.parser import _tables

    found = lalr.pieces(_tables(), text)
    assert found[-1] == ""  # the end
    assert "".join(found) == text
    assert all(found[:-1])  # no empty piece before the end
    assert lalr.offsets(found)[-1] == len(text)


def test_terminal_of_a_piece_is_the_lexers_choice() -> None:
    from exprdiff.syntax.parser import _tables

    t = _tables()
    kinds = [lalr._entry(t, piece)[0] for piece in lalr.pieces(t, "x1**2 ^ 3.5e-1*(y_2, .5)")[:-1]
             if not piece.isspace()]
    assert kinds == ["NAME", "POW", "NUMBER", "POW", "NUMBER", "STAR", "LPAR", "NAME", "COMMA",
                     "NUMBER", "RPAR"]
    assert lalr._entry(t, "  ") is lalr._SKIP
    with pytest.raises(lalr.Fallback):
        lalr._entry(t, "×")  # not a token of the language
