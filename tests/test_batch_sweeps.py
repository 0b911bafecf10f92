"""A batch's repeated expressions run as straight-line code (codegen/sweeps.py) and its common
records are written from a template (render/jsonl.py): the text must be the interpreted path's,
byte for byte, for every line — kinks, domain errors, huge and tiny numbers, points that make
NaN, programs, unicode — and the same for any --jobs."""

from __future__ import annotations

import json
import math
import random

import pytest
from strategies import random_cases

from exprdiff.batch import evaluate, swept
from exprdiff.batch.evaluate import Evaluator, Settings
from exprdiff.errors import json_safe
from exprdiff.render import jsonl
from exprdiff.render.jsonl import dumps

ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, check_circular=False).encode
SCALES = (1.0, -1.0, 0.0, 1e-300, 1e300, 1e-160, 1e160, 5e-324, 0.5, 3.0, 700.0, -700.0)


def _number(value: float) -> str:
    return repr(float(value))


def _lines(count: int, seed: int) -> list[str]:
    """Random expressions, each at many points: its own (inside every domain, off kinks), and
    scaled, zeroed, negated and huge ones (domain errors, kinks, overflow, NaN, underflow)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    lines = []
    for text, point, _ in random_cases(seed, count, max_depth=6, extreme=seed % 2 == 1):
        for scale in SCALES:
            for jitter in (1.0, 1.0000001):
                at = {n: v * scale * jitter if rng.random() < 0.7 else v
                      for n, v in point.items()}
                if all(math.isfinite(v) for v in at.values()):
                    lines.append(f"{text} ; "
                                 + ", ".join(f"{n}={_number(v)}" for n, v in at.items()))
    return lines


def _texts(lines: list[str], monkeypatch: pytest.MonkeyPatch, after: int,
           file: str | None = None) -> tuple[list[str], list[str]]:
    """Every record's JSON Lines text and the encoder's own text, with sweeps generated after
    `after` points of an expression."""
    monkeypatch.setattr(swept, "SWEEP_AFTER", after)
    evaluator = Evaluator(Settings())
    ours, encoders = [], []
    for number, line in enumerate(lines, 1):
        outcome = evaluator.line(number, line.encode(), file)
        if outcome is None:
            continue
        for record in outcome[0]:
            ours.append(dumps(record))
            encoders.append(json_safe(ENCODER(record)))
    return ours, encoders


def _plain_texts(lines: list[str], monkeypatch: pytest.MonkeyPatch, after: int,
                 file: str | None = None) -> tuple[list[str], int]:
    """The texts a JSON Lines batch writes (the evaluator given the writer's encode: common
    records written from their numbers, never made), and how many came so."""
    monkeypatch.setattr(swept, "SWEEP_AFTER", after)
    encode = jsonl.JsonLines.encode
    evaluator = Evaluator(Settings(), encode)
    texts, plain = [], 0
    for number, line in enumerate(lines, 1):
        outcome = evaluator.line(number, line.encode(), file)
        if outcome is None:
            continue
        plain += sum(type(item) is str for item in outcome[0])
        records, _ = evaluate.encoded(outcome, encode)
        texts.extend(text.removesuffix("\n") for text in records)
    return texts, plain


@pytest.mark.parametrize("seed", range(6))
def test_generated_sweeps_write_the_interpreted_records_byte_for_byte(seed, monkeypatch):
    lines = _lines(40, seed)
    generated, encoded = _texts(lines, monkeypatch, after=0)  # every point: straight line
    interpreted, _ = _texts(lines, monkeypatch, after=10**9)  # never
    assert len(generated) == len(interpreted) == len(lines)
    for line, got, want in zip(lines, generated, interpreted, strict=True):
        assert got == want, line
    assert generated == encoded  # and the template wrote what json writes


@pytest.mark.parametrize("seed", range(4))
def test_records_written_from_their_numbers_are_the_records_text(seed, monkeypatch):
    """A JSON Lines batch writes a common record without making it: the same text, byte for
    byte, as the record made and encoded, with sweeps generated or interpreted."""
    lines = _lines(30, seed) * 2  # the second time round, every expression has its template
    for after in (0, 10**9):
        made, _ = _texts(lines, monkeypatch, after)
        unmade, plain = _plain_texts(lines, monkeypatch, after)
        assert unmade == made
        assert plain > len(lines) // 4  # the unmade path was taken, not only the fallback


def test_an_expression_seen_once_gets_no_template(monkeypatch):
    """A template pays from an expression's second record: a batch of distinct expressions
    writes each by the encoder, and builds none (the unmade path once took the first record's
    fallback for the second sighting, and built one per line)."""
    monkeypatch.setattr(jsonl, "_templates", {})
    monkeypatch.setattr(jsonl, "_seen", set())
    monkeypatch.setattr(jsonl, "_firsts", {})
    evaluator = Evaluator(Settings(), jsonl.JsonLines.encode)
    texts = []
    for k in range(50):
        outcome = evaluator.line(k + 1, f"x*y + {k} ; x=1.5, y=2.5".encode())
        texts.extend(evaluate.encoded(outcome, jsonl.JsonLines.encode)[0])
    assert jsonl._templates == {}
    assert list(jsonl._firsts) == [("x", "y")]  # one template of their variables serves all
    assert texts[3] == json_safe(ENCODER({
        "line": 4, "expression": "x*y + 3", "at": {"x": 1.5, "y": 2.5}, "value": 6.75,
        "gradient": {"x": 2.5, "y": 1.5}, "warnings": []})) + "\n"
    evaluator.line(51, b"x*y + 3 ; x=1, y=2")  # a second sighting: now it pays
    assert list(jsonl._templates) == ["x*y + 3"]


def test_a_first_record_from_its_variables_template_is_the_encoders(monkeypatch):
    """An expression's first record is written from a template of its variables, the
    expression encoded into it: the encoder's text, byte for byte, one template per set of
    variables (in their order in the expression)."""
    monkeypatch.setattr(jsonl, "_templates", {})
    monkeypatch.setattr(jsonl, "_seen", set())
    monkeypatch.setattr(jsonl, "_firsts", {})
    lines = [f"y_hat*w1 - {k}*y_hat ; y_hat={k}.25, w1=-2" for k in range(5)]
    lines += [f"w1*y_hat + {k} ; w1=3, y_hat=0.{k}" for k in range(1, 4)]
    lines += [f"tanh(x*{k})  ;  x = 0.{k}5" for k in range(1, 5)]
    lines += [f"(a - b)**{k} ; a=1e-300, b=3e70" for k in range(2, 5)]
    made = Evaluator(Settings())
    unmade = Evaluator(Settings(), jsonl.JsonLines.encode)
    for number, line in enumerate(lines, 1):
        [record], _ = made.line(number, line.encode())  # type: ignore[misc]
        [text], _ = unmade.line(number, line.encode())  # type: ignore[misc]
        assert type(text) is str, line  # written from the template, not made
        assert text == json_safe(ENCODER(record)) + "\n", line
    assert sorted(jsonl._firsts) == [("a", "b"), ("w1", "y_hat"), ("x",), ("y_hat", "w1")]
    assert jsonl._templates == {}


def test_the_straight_line_runs_and_is_not_always_unsure(monkeypatch):
    """The generated code answers (not merely falls back) on ordinary points."""
    from exprdiff.codegen import sweeps

    answered = []

    def counting(tape):
        function = compile_sweeps(tape)

        def sweep(*point):
            result = function(*point)
            answered.append(point)
            return result
        return sweep

    compile_sweeps = sweeps.compile_sweeps
    monkeypatch.setattr(sweeps, "compile_sweeps", counting)
    monkeypatch.setattr(swept, "SWEEP_AFTER", 3)
    evaluator = Evaluator(Settings())
    for k in range(1, 11):
        evaluator.line(k, f"x1**2 + 3*(x2*x3 - x1**2) ; x1={k}, x2=2, x3=3".encode())
    assert len(answered) == 7  # points 4 to 10


def test_a_point_the_straight_line_cannot_vouch_for_gets_the_sweeps_record(monkeypatch):
    lines = ([f"log(x)*y + 1/(x - 2) ; x={k}.5, y=2" for k in range(5)]
             + ["log(x)*y + 1/(x - 2) ; x=-1, y=2", "log(x)*y + 1/(x - 2) ; x=2, y=2",
                "log(x)*y + 1/(x - 2) ; x=1e-320, y=1e300",
                "log(x)*y + 1/(x - 2) ; x=1, y=0", "log(x)*y + 1/(x - 2) ; x=1, y=-0.0",
                "exp(x)*y ; x=1, y=2", "exp(x)*y ; x=1, y=2", "exp(x)*y ; x=800, y=2",
                "tanh(y)*exp(x) ; y=400, x=700", "tanh(y)*exp(x) ; y=400, x=700"])
    generated, _ = _texts(lines, monkeypatch, after=0)
    interpreted, _ = _texts(lines, monkeypatch, after=10**9)
    assert generated == interpreted
    assert '"kind": "domain"' in generated[5] and '"kind": "domain"' in generated[6]
    assert '"gradient": {"y": 1.488' in generated[-1]  # carried beyond the doubles' range


def test_kinks_programs_unicode_and_files_keep_their_paths(monkeypatch):
    """Lines the straight line never takes (kinks, programs, errors) and records with a file
    label: the same text either way, and the template's text for the common ones."""
    lines = ["abs(x - 1)*y ; x=1, y=2", "abs(x - 1)*y ; x=3, y=2", "max(x, y) ; x=1, y=1",
             '{"expr": "h = x*y; L = h + x", "at": {"x": 2, "y": 3}}',
             '{"expr": "x*y", "at": {"x": 2, "y": "pi/2"}}', "x·y ; x=1, y=2",
             "x\u202e*y ; x=1, y=2", "théta*2 ; théta=1", "x*y ; x=1",
             "x % y ; x=1, y=2", "q - q + 2*q ; q=1e300", "7", "x ; x=5e-324"] * 3
    for file in (None, "données\u202e.txt", 'a "quoted" %s name'):
        generated, encoded = _texts(lines, monkeypatch, after=0, file=file)
        interpreted, _ = _texts(lines, monkeypatch, after=10**9, file=file)
        unmade, plain = _plain_texts(lines, monkeypatch, after=0, file=file)
        assert generated == interpreted == encoded == unmade
        assert plain >= 4  # `x·y`, `théta*2`, `x ; x=5e-324` (twice each, after the first)


@pytest.mark.parametrize("record", [
    {"line": 1, "expression": "x%s*y %% \x1b\u202e", "at": {"x": -0.0, "y": 5e-324},
     "value": 1e308, "gradient": {"x": 2.5, "y": -1e-5}, "warnings": []},
    {"file": "f\x7f.txt", "line": 2, "expression": "x", "at": {"x": 1.0}, "value": 1.0,
     "gradient": {"x": 1.0}, "warnings": []},
    {"line": 3, "expression": "7", "at": {}, "value": 7.0, "gradient": {}, "warnings": []},
    {"line": True, "expression": "x", "at": {"x": 1.0}, "value": 1.0, "gradient": {"x": 1.0},
     "warnings": []},
    {"line": 4, "expression": "x", "at": {"x": 1}, "value": 1.0, "gradient": {"x": 1.0},
     "warnings": []},
    {"line": 5, "expression": "x*y", "at": {"x": 1.0, "y": 2.0}, "value": 2.0,
     "gradient": {"y": 1.0, "x": 2.0}, "warnings": []},
    {"line": 6, "expression": "x", "at": {"x": 1.7976931348623157e308},
     "value": 1.7976931348623157e308, "gradient": {"x": 1.0}, "warnings": []},
    {"line": 7, "expression": "x", "at": {"x": 1.0}, "value": 1.0, "gradient": {"x": 1.0},
     "warnings": [{"kind": "kink"}]},
])
def test_the_template_writes_what_json_writes_or_leaves_it_to_json(record):
    assert dumps(record) == json_safe(ENCODER(record))
    assert dumps(record) == dumps(dict(record))  # a second time: from the cached template


def test_records_that_are_not_finite_still_fail_as_json_makes_them():
    record = {"line": 1, "expression": "x", "at": {"x": 1.0}, "value": math.inf,
              "gradient": {"x": 1.0}, "warnings": []}
    with pytest.raises(ValueError):
        dumps(record)


def test_the_template_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(jsonl, "_MOST_TEMPLATES", 5)
    monkeypatch.setattr(jsonl, "_firsts", {})
    for k in range(20):
        for _ in range(2):  # the second record of an expression builds its template
            dumps({"line": k, "expression": f"x*{k}", "at": {"x": 1.0}, "value": float(k),
                   "gradient": {"x": float(k)}, "warnings": []})
        name = f"x{k}"  # and each new set of variables a first record's
        dumps({"line": k, "expression": name, "at": {name: 1.0}, "value": 1.0,
               "gradient": {name: 1.0}, "warnings": []})
    assert 0 < len(jsonl._templates) <= 5 and len(jsonl._seen) <= 5
    assert 0 < len(jsonl._firsts) <= 5


#: Spellings of a point after an expression's lane is open (evaluate.Evaluator._lane): each
#: is the general path's record or error, whether the lane takes it or hands it back.
SPELLINGS = ["x=1.5, y=2", "y=2, x=1.5", " x = 1.5 ,  y = 2 ", "x=1.5,y=2", "x=1_5, y=2",
             "x=pi/4, y=2", "x=1e400, y=1", "x=nan, y=1", "x=inf, y=2", "x=-inf, y=2",
             "x=1e308, y=1e308", "x=1.5, y=2 # a comment", "x=1.5, y=2 ; x=3, y=4",
             "x=1.5, y=2 ;", "x=1.5, y=2, z=3", "x=1.5", "x=\u0661, y=2", "x=, y=2",
             "x=1.5, x=2", "X=1.5, y=2", "x=-0.0, y=-0.0", "x=5e-324, y=1e-310",
             "x=0, y=3", "x=-1, y=2", "x=1e-300, y=1e300", "x=2, y=3", ""]


@pytest.mark.parametrize("expression", ["log(x)*y + 1/(x - 2)", "exp(x)*y - x",
                                        "tanh(x)*exp(y) ", "sqrt(x)*y**2"])
def test_a_lane_writes_what_the_general_path_writes(expression, monkeypatch):
    """Once an expression runs as generated code, its next lines `EXPR ; x=…, y=…` take a
    lane that skips the general path's bookkeeping: every spelling of a point gives the
    general path's text, and the lane takes the ordinary ones."""
    lines = [f"{expression} ; x={k}.25, y=0.5" for k in range(3)]
    lines += [f"{expression} ; {spelling}" if spelling else expression for spelling in SPELLINGS]
    lines *= 2
    taken = []
    take = evaluate.take

    def counting(*args):
        made = take(*args)
        taken.append(made is not None)
        return made

    monkeypatch.setattr(evaluate, "take", counting)
    for file in (None, "f.txt"):
        with_lane, _ = _plain_texts(lines, monkeypatch, after=0, file=file)
        with monkeypatch.context() as without:
            without.setattr(Evaluator, "_open_lane", lambda *args: None)
            general, _ = _plain_texts(lines, monkeypatch, after=0, file=file)
        assert with_lane == general
    assert sum(taken) >= 12  # the ordinary spellings, twice per file label
    assert not all(taken)


def test_a_new_text_opens_a_lane_only_by_its_shapes(monkeypatch):
    """Lines of new structure open no lane (one a line cost a distinct batch 4 % of its
    instructions). Lines that differ in a number share one generated sweep (syntax/shapes.py):
    once it is there, a new text of that shape takes the shape's lane (batch/swept.shaped),
    and opens its own should it come again."""
    monkeypatch.setattr(swept, "SWEEP_AFTER", 0)
    evaluator = Evaluator(Settings(), jsonl.JsonLines.encode)
    for k in range(1, 40):  # no two lines of one shape
        evaluator.line(k, ("x*y" + " + x" * k + " ; x=1.5, y=2.5").encode())
    assert evaluator._lanes == {} and not evaluator._shaped
    taken = []
    shaped = evaluate.shaped
    monkeypatch.setattr(evaluate, "shaped", lambda *args: taken.append(shaped(*args)) or taken[-1])
    for k in range(50):
        evaluator.line(100 + k, f"x*y + {k} ; x=1.5, y=2.5".encode())
    assert evaluator._shaped
    assert sum(lane is not None for lane in taken) >= 40  # made no tape: none in the cache
    assert len(evaluator._cache) <= 39 + 10
    assert "x*y + 7 " in evaluator._lanes
    text = evaluate.encoded(evaluator.line(200, b"x*y + 7 ; x=1, y=2"), None)
    assert text == ([json_safe(ENCODER({
        "line": 200, "expression": "x*y + 7", "at": {"x": 1.0, "y": 2.0}, "value": 9.0,
        "gradient": {"x": 2.0, "y": 1.0}, "warnings": []})) + "\n"], False)


def test_a_shapes_lane_keeps_the_limits(monkeypatch):
    """A text of a swept shape whose number is over the literal limit is refused, as its
    parse would refuse it, not swept."""
    monkeypatch.setattr(swept, "SWEEP_AFTER", 0)
    evaluator = Evaluator(Settings(), jsonl.JsonLines.encode)
    for k in range(20):
        evaluator.line(k + 1, f"x*y + {k}.5 ; x=1.5, y=2.5".encode())
    assert evaluator._shaped
    long = "1." + "0" * 1000 + "1"
    [record], failed = evaluator.line(21, f"x*y + {long} ; x=1.5, y=2.5".encode())
    assert failed and record["error"]["kind"] == "limit", record
