"""Shape reuse in batches (syntax/shapes.py): a text that differs from an earlier one only in
its numbers gets a copy of that parse's tape, which must be parse_tape's own tape in every
observable way — or the text is parsed afresh, with parse_tape's own error. Checked on seeded
random expressions whose literals are redrawn (duplicates, zeros, -0, huge, tiny, beyond the
doubles), folded constants, programs and every function of the table."""

from __future__ import annotations

import functools
import random
import struct

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from strategies import cases, random_cases

from exprdiff.api import compile
from exprdiff.batch import swept
from exprdiff.batch.evaluate import Evaluator, Settings
from exprdiff.errors import ExprError
from exprdiff.ops import FUNCTIONS
from exprdiff.statements import Statements
from exprdiff.syntax import lalr, shapes
from exprdiff.syntax.parser import _tables, parse_tape
from exprdiff.syntax.shapes import Shapes
from exprdiff.tape import Lean, Tape

#: Literals a variant draws from: duplicates and near-duplicates of each other, zeros written
#: several ways, the doubles' edges, beyond them (1e999: an error), below them (1e-999: 0.0).
POOL = ("0", "0.0", "00", "0e5", ".0", "1", "1.0", "1.", "2", "2.0", "2e0", "3", "0.5", ".5",
        "5e-1", "10", "1e308", "1.7976931348623157e308", "1e-320", "5e-324", "4.9e-324",
        "1e999", "1e-999", "1e16", "123456789012345678901234567890", "0.1", "0.31", "0.32")


def _bits(values: list[float]) -> list[tuple[str, bytes]]:
    return [(type(v).__name__, struct.pack("<d", v)) for v in values]


def _same_objects(a: list[object], b: list[object]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def assert_same_tape(reused: Tape, fresh: Tape) -> None:
    """Every slot of the two tapes (and of their Lean and Statements) alike: numbers bit for
    bit, functions and ops by identity, columns as resolved."""
    for slot in Tape.__slots__:
        x, y = getattr(reused, slot), getattr(fresh, slot)
        if slot == "constants":
            assert _bits(x) == _bits(y), (slot, x, y)
        elif slot == "ops":
            assert _same_objects(x, y), slot
        elif slot == "_lean":
            for part in Lean.__slots__:
                p, q = getattr(x, part), getattr(y, part)
                assert _same_objects(p, q) if part in ("forwards", "rules") else p == q, part
        elif slot == "statements":
            assert (x is None) == (y is None)
            if x is not None:
                for part in Statements.__slots__:
                    if part not in ("_columns", "_resolve"):
                        assert getattr(x, part) == getattr(y, part), part
                assert x.columns == y.columns
        elif slot not in ("_columns", "_resolve"):
            assert x == y, (slot, x, y)
    assert type(reused._columns) is type(fresh._columns)
    assert reused.columns == fresh.columns
    assert reused.labels == fresh.labels and str(reused) == str(fresh)
    assert reused.args == fresh.args
    assert [reused.leaf_label(i) for i in range(len(reused))] == \
        [fresh.leaf_label(i) for i in range(len(fresh))]


def _outcome(parse: object, text: str) -> Tape | tuple[object, ...]:
    try:
        return parse(text)  # type: ignore[operator,no-any-return]
    except ExprError as problem:
        return ("error", problem.kind, problem.message, problem.column, problem.hint,
                problem.source)


def check(store: Shapes, text: str) -> None:
    """store.parse(text) is parse_tape(text), tape or error."""
    mine, theirs = _outcome(store.parse, text), _outcome(parse_tape, text)
    if isinstance(theirs, tuple):
        assert mine == theirs, text
    else:
        assert isinstance(mine, Tape), (text, mine)
        assert_same_tape(mine, theirs)


def _numbers(text: str) -> tuple[list[str], list[int]]:
    """The text's pieces and the places of its numbers."""
    found = lalr.pieces(_tables(), text)
    return found, [k for k, piece in enumerate(found) if piece and piece[0] in "0123456789."]


def variants(text: str, rng: random.Random, count: int) -> list[str]:
    """The text with its numbers redrawn: from POOL, from its own numbers (duplicates), or a
    random double; every other variant gives each distinct number one new random value (the
    same pattern of equal numbers: mostly reused)."""
    found, places = _numbers(text)
    own = [found[k] for k in places]
    out = []
    for n in range(count):
        pieces = found[:]
        if n % 2:
            fresh = {t: repr(rng.uniform(0.0, 10.0)) for t in own}
            out.append("".join(fresh.get(p, p) if k in places else p
                               for k, p in enumerate(pieces)))
            continue
        for k in places:
            roll = rng.random()
            pieces[k] = (rng.choice(POOL) if roll < 0.4 else rng.choice(own) if roll < 0.7
                         else repr(abs(rng.uniform(-1e3, 1e3))) if roll < 0.9
                         else str(rng.randint(0, 3)))
        out.append("".join(pieces))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_random_expressions_with_redrawn_literals(seed):
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    store = Shapes()
    count = 0
    for text, _, _ in random_cases(7000 + seed, 150, max_depth=5, extreme=seed % 2 == 1):
        if not _numbers(text)[1]:
            continue
        check(store, text)
        for variant in variants(text, rng, 12):
            check(store, variant)
            count += 1
    assert count > 1000 and store.reused > count // 4  # the reuse path really ran


TEMPLATES = (
    "tanh(w*x + {})", "2*3*x + {}", "{}*{}*x + 6", "log({})*x", "log({} - {})*x + y",
    "-{}*x", "exp(-{}*t)*cos(w*t)", "x**{}", "x**({} - {})", "x**-{} + y**{}", "{}**x",
    "{}/{}*x", "x/{}", "max({}, {}, x)", "min(x, {}) + hypot({}, {}, y)", "pi*{}*x",
    "e**{}*x + pi", "{}*x + {}*y + {}*x", "x*{} + x*{}", "(x + {})*(x + {})",
    "a = {}*x; b = a + {}\nb*a", "a = {}; b = a*x\nc = b**{}", "h1 = relu(w*x + {})\ny - h1",
    "θ*{} + x", "x + {}\u00a0", "sqrt({} - 1)*x", "atan2({}, {})*y", "clamp(x, {}, {})",
    "{}e", "x + {}.{}", "{} {}*x", "{}x", "sin({}*x)**{} + cos({}*x)**{}",
)


@pytest.mark.parametrize("template", TEMPLATES)
def test_templates_with_folds_statements_and_mistakes(template):
    rng = random.Random(template)  # noqa: S311 - test data, not secrets
    store = Shapes()
    slots = template.count("{}")
    for _ in range(150):
        check(store, template.format(*(rng.choice(POOL + ("-0", "7", "2")) for _ in range(slots))))


def _calls() -> list[str]:
    """Every function of the table on a variable and on constants (folded), at its arities."""
    out = []
    for name, op in sorted(FUNCTIONS.items()):
        low, high = op.arity
        for count in sorted({low, min(high or 3, 3), 1, 2}):
            args = [f"{{}}*x{k}" for k in range(count)]
            out.append(f"{name}({', '.join(args)}) + {{}}")
            out.append(f"{name}({', '.join('{}' for _ in range(count))})*y")
    return out


def test_every_function_with_redrawn_literals():
    rng = random.Random(20)  # noqa: S311 - test data, not secrets
    store = Shapes()
    for template in _calls():
        slots = template.count("{}")
        for _ in range(25):
            values = [rng.choice(("0.5", "2", "-0", "1", "0", "3", "1e308", "0.25"))
                      for _ in range(slots)]
            check(store, template.format(*values).replace("--", "- -"))
    assert store.reused > 500


def test_a_shape_is_recorded_when_seen_again_then_reused():
    store = Shapes()
    store.parse("tanh(w*x + 0.31)")
    store.parse("tanh(w*x + 0.32)")
    assert not store._shapes  # seen once, then twice: parsed as they are, not recorded
    store.parse("tanh(w*x + 0.35)")  # the third time: recorded
    fourth = store.parse("tanh(w*x + 0.33)")
    assert store.reused == 1 and 0.33 in fourth.constants
    store.parse("tanh(w*y + 0.34)")  # a name differs: another shape
    for text in ("2*5*x", "2*7*x", "2*9*x"):
        store.parse(text)
    folded = store.parse("2*3*x")  # 2*9 and 2*3 are both folds: reused, the fold redone
    assert store.reused == 2 and 6.0 in folded.constants and 18.0 not in folded.constants


@pytest.mark.parametrize(("first", "second", "other"), [
    ("x*2 + y*3", "x*4 + y*5", "x*2 + y*2"), ("x**2", "x**3", "x**0"),
    ("x*0.5", "x*0.25", "x*1e999"), ("log(2)*x", "log(3)*x", "log(0)*x"),
    ("x*2 + y*3", "x*4 + y*5", "x*0.0 + y*0"), ("x*-2 + y*3", "x*-4 + y*5", "x*-0.0 + y*0"),
    ("x*-1 + y*-3", "x*-1 + y*-4", "x*-1 + y*-1"),
    ("a = 2*x\nb = 3*a", "a = 4*x\nb = 5*a", "a = 2*x\nb = 2*a")])
def test_numbers_that_change_the_tape_are_parsed_afresh(first, second, other):
    """A value that merges two literals, a zero exponent, an error, the sign of a zero: the
    shape does not apply."""
    store = Shapes()
    for text in (first, first, first, second):  # recorded, then reused
        check(store, text)
    assert store.reused == 1
    check(store, other)
    assert store.reused == 1


def test_the_cache_is_bounded():
    store = Shapes(size=8)
    for k in range(50):
        for c in (1, 2, 3, 4):
            check(store, f"x{k} + {c}")
    assert len(store._shapes) == 8 and store.reused >= 50
    assert len(store._once) <= 8 and len(store._rough) <= 8


def test_a_long_text_is_parsed_as_it_is():
    store = Shapes()
    text = " + ".join(f"{k}*x" for k in range(1, 2000))
    assert len(text) > shapes.MAX_TEXT
    check(store, text)
    check(store, text.replace("1*x", "7*x", 1))
    assert store.reused == 0 and not store._shapes


@pytest.mark.parametrize("text", ["tanh(w*x + 0.3)", "x" * 300 + " + 1", "1" * 1200 + "*x",
                                  "x\x07 + 1", "x + ", "a = 1; a = 2", "sin(1, 2)*x",
                                  "exp(1000)*x"])
def test_the_batch_compiles_as_exprdiff_compile_does(text):
    """Evaluator._compile is api.compile (limits, errors) for any text, and its second line
    of a shape (the reused tape) too."""
    evaluator = Evaluator(Settings())
    for variant in (text, text.replace("3", "4").replace("1", "5")):
        ours = _outcome(lambda t: _unshared(evaluator._compile(t).tape), variant)
        theirs = _outcome(lambda t: compile(t).tape, variant)
        if isinstance(theirs, tuple):
            assert ours == theirs
        else:
            assert isinstance(ours, Tape)
            assert_same_tape(ours, theirs)


def _unshared(tape: Tape) -> Tape:
    tape.memo.pop(swept.SHAPE, None)  # the batch's memo of the shape (for its sweeps)
    return tape


def test_batch_records_are_those_of_fresh_parses(monkeypatch):
    """A batch of lines of a few shapes gives the records it gave before shape reuse."""
    rng = random.Random(5)  # noqa: S311 - test data, not secrets
    lines = []
    for _ in range(300):
        c = rng.choice(("0.31", "0", "-0", "2", "1e308", "1e999", repr(rng.random())))
        lines.append(rng.choice((f"tanh(w*x + {c}) ; w=0.5, x=2",
                                 f"exp(-{c}*x)*x**{c} ; x=1.5",
                                 f"a = {c}*x; b = a + 1\nb*a ; x=3")))
    fresh = Evaluator(Settings())
    monkeypatch.setattr(fresh, "_shapes", Shapes(size=0))  # every shape forgotten at once
    reused = Evaluator(Settings())
    for number, line in enumerate(lines, 1):
        assert reused.line(number, line.encode()) == fresh.line(number, line.encode())
    assert reused._shapes.reused > 30 and fresh._shapes.reused == 0


def test_check_keeps_the_tree_path():
    evaluator = Evaluator(Settings(check=True))
    for text in ("x*2", "x*3"):
        compiled = evaluator.compiled(text)
        assert not isinstance(compiled, ExprError) and compiled._tree is not None
    assert evaluator._shapes.reused == 0 and not evaluator._shapes._shapes


def test_single_expressions_never_reuse_a_shape():
    """exprdiff.compile and grad parse afresh (their benchmarks measure a parse)."""
    import ast
    from pathlib import Path

    import exprdiff.api

    tree = ast.parse(Path(exprdiff.api.__file__).read_text(encoding="utf-8"))
    names = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "exprdiff.syntax.shapes" not in names


@pytest.mark.parametrize("other", ["x + .", "x + 1.2.3", "y + 1", "x - 1", "x + 1 ", "x+1",
                                   "x + 1e", "x + 7", "x + .5e-3"])
def test_a_shape_applies_only_to_texts_of_its_pieces(other):
    """Whatever key found it: the same pieces but the numbers, and those NUMBER tokens."""
    recorded = shapes._record("x + 1")
    assert recorded is not None
    tape = recorded[1].tape(other)
    if other in ("x + 7", "x + .5e-3"):
        assert tape is not None
        assert_same_tape(tape, parse_tape(other))
    else:
        assert tape is None


#: Expressions without kinks (their records come from the sweeps): powers of every kind.
SMOOTH = ("x**{} + y*{}", "(x*y + {})**{} - x", "exp(-{}*x)*cos(y*x) + x**{}",
          "x**-{} + {}/y", "sqrt(x**2 + {})*y**{}", "{}**x + y**({} - {})", "x**{}*y**{}")


@pytest.mark.parametrize("written", [False, True])
def test_a_shapes_one_sweep_gives_each_lines_own_numbers(monkeypatch, written):
    """The sweeps generated once for a shape, its constants passed in (codegen/sweeps.py,
    passed=True), write the records of fresh parses swept by the loops, byte for byte, for
    random expressions whose numbers are redrawn line by line. `written`: as a JSON Lines
    batch writes them, where a new text of a swept shape takes its shape's lane (no tape made:
    batch/swept.shaped) and comes back as text."""
    from exprdiff.batch import evaluate
    from exprdiff.render.jsonl import JsonLines, dumps

    rng = random.Random(8)  # noqa: S311 - test data, not secrets
    lines = []
    for text, point, _ in random_cases(8100, 60, max_depth=5):
        for variant in [text, *variants(text, rng, 16)]:
            for scale in (1.0, -0.5, 0.0, 1e300):
                at = ", ".join(f"{n}={v * scale!r}" for n, v in point.items())
                lines.append(f"{variant} ; {at}")
    for template in SMOOTH:  # no kinks: the common path, POWC among them
        for _ in range(40):
            values = [rng.choice(("2", "3", "0.5", "-0", "1", "1e-320", repr(rng.random())))
                      for _ in range(template.count("{}"))]
            x, y = rng.choice((0.7, 1.5, 0.0, -2.0, 1e-300)), rng.uniform(-3, 3)
            lines.append(f"{template.format(*values)} ; x={x!r}, y={y!r}")
    monkeypatch.setattr(swept, "SWEEP_AFTER", 2)
    encode = JsonLines.encode if written else None
    shared = Evaluator(Settings(), encode)
    fresh = Evaluator(Settings())
    monkeypatch.setattr(fresh, "_shapes", Shapes(size=0))
    lanes = []
    shaped = evaluate.shaped
    monkeypatch.setattr(evaluate, "shaped", lambda *args: lanes.append(shaped(*args)) or lanes[-1])
    ours, theirs = [], []
    for number, line in enumerate(lines, 1):
        outcome = evaluate.encoded(shared.line(number, line.encode()), encode)
        ours += [r if written else dumps(r) for r in outcome[0]]  # type: ignore[index]
        theirs += [dumps(r) + "\n" * written
                   for r in fresh.line(number, line.encode())[0]]  # type: ignore[index]
        fresh._cache.clear()  # every line parsed and swept afresh, by the loops
    assert len(ours) == len(theirs)
    for line, got, want in zip(lines, ours, theirs, strict=True):
        assert got == want, line
    bound = [c for c in shared._cache.values() if not isinstance(c, ExprError)
             and isinstance(c.tape.memo.get(swept.SWEEP), functools.partial)]
    if written:  # most new texts of a swept shape took its lane, and made no tape
        assert sum(lane is not None for lane in lanes) > 200
        assert len(bound) > 20
    else:
        assert not lanes
        assert len(bound) > 150  # the shared sweeps really ran


def test_the_cli_writes_what_fresh_parses_give(tmp_path, monkeypatch):
    """`grad --file F --format jsonl`, --jobs 1 and 2, on lines of a few shapes (past the 64
    points after which their sweeps are generated): every record is that of a fresh parse
    (each ok line's is also compile(text).grad(point).to_dict(), as a single expression)."""
    import json
    import subprocess
    import sys

    rng = random.Random(11)  # noqa: S311 - test data, not secrets
    lines, fresh = [], Evaluator(Settings())
    monkeypatch.setattr(fresh, "_shapes", Shapes(size=0))
    for _ in range(600):
        c = rng.choice(("0.31", "0", "2", "1e999", "-0", repr(rng.uniform(0, 3)),
                        repr(rng.uniform(0, 3)), repr(rng.uniform(0, 3))))
        x, y = rng.uniform(-2, 2), rng.uniform(0.1, 2)
        program = json.dumps({"expr": f"a = {c}*x; b = a + y\nb*a", "at": {"x": x, "y": y}})
        lines.append(rng.choice((f"tanh(w*x + {c}) * v + 2 ; w={y!r}, x={x!r}, v=1.5",
                                 f"exp(-{c}*x) * y**{c} + log(y + {c}) ; x={x!r}, y={y!r}",
                                 f"abs(x - {c}) + x**2 ; x={x!r}", program)))
    path = tmp_path / "lines.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = []
    for number, line in enumerate(lines, 1):
        (record,), _ = fresh.line(number, line.encode())  # type: ignore[misc]
        fresh._cache.clear()
        expected.append(json.dumps(record))
        if "error" not in record and not line.startswith("{"):
            text, _, point = line.partition(";")
            at = {k.strip(): float(v) for k, _, v in (p.partition("=") for p in point.split(","))}
            assert record == {"line": number} | compile(text.strip()).grad(at).to_dict()
    for jobs in ("1", "2"):
        done = subprocess.run([sys.executable, "-m", "exprdiff", "grad", "--file", str(path),
                               "--format", "jsonl", "--jobs", jobs], capture_output=True,
                              text=True, timeout=120)
        got = [json.dumps(json.loads(text)) for text in done.stdout.splitlines()]
        assert got[:len(expected)] == expected, jobs


@seed(20)
@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(cases(max_depth=4), st.data())
def test_hypothesis_redraws_the_literals_of_recorded_shapes(case, data):
    """Hypothesis's engine (shrinking a failure to a small case): three texts of the shape
    recorded, then texts of the same shape with literals drawn from POOL (its own too)."""
    text = case[0]
    found, places = _numbers(text)
    if not places:
        return
    store = Shapes()
    for _ in range(3):
        check(store, text)
    own = tuple(found[k] for k in places)
    for _ in range(4):
        pieces = found[:]
        for k in places:
            pieces[k] = data.draw(st.sampled_from(POOL + own))
        check(store, "".join(pieces))


@seed(21)
@settings(max_examples=400, deadline=None, database=None)
@given(st.text(alphabet="0123456789.eE+-x_ (*", max_size=14))
def test_the_mask_finds_the_lexers_numbers_and_no_more(text):
    """A key's numbers are read without lexing the text (Shapes.recorded, _Shape.read): that
    holds only if _MASK's matches are the NUMBER tokens the lexer cuts, wherever the text
    lexes (the grammar's NUMBER and _MASK's pattern must stay one)."""
    tables = _tables()
    try:
        found = lalr.pieces(tables, text)
        kinds = [lalr.terminal(tables, piece) for piece in found[:-1]]
    except lalr.Fallback:  # a piece that is no token alone: Lark's path, no shape recorded
        return
    numbers = [piece for piece, kind in zip(found[:-1], kinds, strict=True) if kind == "NUMBER"]
    mine = shapes._masked(text)[1]
    unmasked = [k for k, kind in enumerate(kinds)  # a NUMBER after a name or a number
                if kind == "NUMBER" and k and kinds[k - 1] in ("NAME", "NUMBER")]
    if not unmasked:
        assert mine == numbers
    key = shapes._masked(text)[0]
    assert _unmasked(key, mine) == text


def _unmasked(key: str, numbers: list[str]) -> str:
    """The text of `key` with `numbers` in its places (shapes._masked's inverse)."""
    pairs = zip(key.split("\0"), [*numbers, ""], strict=True)
    return "".join(part for pair in pairs for part in pair)


@pytest.mark.parametrize("text", ["x1**2 + 3*(x2*x3 - x1**2)", "2.5e-3*x + .5 - 1e+2/y",
                                  "exp(-0.5*x**2)*1.", "a = 2*x; b = a**0.5 + 7; b*a"])
def test_a_keys_numbers_read_as_the_pieces_do(text):
    """_Shape.read given the key's numbers (no lexing) gives the constants the piecewise read
    gives, for texts of the key; and a recorded text whose mask and lexer disagree is never
    read from the mask."""
    recorded = shapes._record(text)
    assert recorded is not None
    shape = recorded[1]
    assert shape.masked
    rng = random.Random(text)  # noqa: S311 - test data
    for _ in range(30):
        key, numbers = shapes._masked(text)
        drawn = [rng.choice(POOL) for _ in numbers]
        other = _unmasked(key, drawn)
        assert shapes._masked(other) == (key, drawn)
        fast, slow = shape.read(other, drawn), shape.read(other)
        assert (fast is None) == (slow is None)
        if fast is not None:
            assert _bits(fast) == _bits(slow)
    shape.masked = False  # as if the lexer cut the text otherwise: the pieces decide
    assert shape.read(text, shapes._masked(text)[1]) is not None
    assert shape.read("x", shapes._masked(text)[1]) is None
