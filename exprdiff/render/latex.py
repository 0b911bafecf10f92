r"""LaTeX for teachers: results and step tables as `tabular` and `align*` (needs amsmath).

Formulas are written from the data itself, never by parsing text: expressions and operations
from the tape with each op's `latex` template, partials from each row's `formulas_latex`
(ops.py); a subexpression too long for a cell is written as its node's name. The output is
plain ASCII.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from exprdiff.explain.steps import BackwardRow, FailedSteps, ForwardRow, Paths, Steps
from exprdiff.ops import CONSTANTS, Op, formula_latex, lookup
from exprdiff.render.numbers import fmt
from exprdiff.result import Result
from exprdiff.tape import Tape, bounded_expressions

_GREEK = frozenset(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi rho sigma tau "
    "upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Sigma Upsilon Phi Psi Omega".split()
)
#: Longest whole expression set as math, and longest subexpression written out in a cell.
WHOLE = 2000
CELL = 60
_NAME = re.compile(r"^([A-Za-z]+?)_?(\d+)$")
_TT_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
               "#": r"\#", "^": r"\^{}", "_": r"\_", "%": r"\%", "~": r"\~{}",
               "…": r"\ldots{}", "·": r"\ensuremath{\cdot}",
               "∂": r"\ensuremath{\partial}"}


def symbol(name: str) -> str:
    """A variable or node name in math mode: x1 → x_{1}, theta → \\theta, m_0 → m_{0};
    names that do not split so (`_`, `__x`, `a_b_c`) are set whole, underscores escaped."""
    match = _NAME.match(name)
    base, sub = (match.group(1), match.group(2)) if match else (name, "")
    if not sub and "_" in base:
        head, _, tail = base.partition("_")
        if head and tail and tail.isalnum():
            base, sub = head, tail
    if base in _GREEK:
        base = "\\" + base
    elif len(base) > 1 or not base.isalnum():
        base = r"\mathit{" + base.replace("_", r"\_") + "}"
    return f"{base}_{{{sub}}}" if sub else base


def number(value: float, precision: int | None = None) -> str:
    """A float in math mode: 6.674e-11 → 6.674 \\times 10^{-11}."""
    text = fmt(value, precision)
    mantissa, sep, exponent = text.partition("e")
    if not sep:
        return text
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def texttt(text: str, math: bool = True) -> str:
    """Text in typewriter type, every LaTeX special character escaped (boxed in math mode)."""
    tt = r"\texttt{" + "".join(_TT_ESCAPES.get(c, c) for c in text) + "}"
    return r"\text{" + tt + "}" if math else tt


def operand(label: str) -> str:
    """A node's label as LaTeX: a number, pi or e, or a name (`(-1)` is a number too)."""
    bare = label[1:-1] if label.startswith("(") and label.endswith(")") else label
    if bare in CONSTANTS:
        return r"\pi" if bare == "pi" else "e"
    if bare[:1].isdigit() or bare[:1] in "-.":
        return number(float(bare))
    return symbol(bare)


def _leaf(tape: Tape, i: int) -> tuple[str, int]:
    label = tape.labels[i]
    return operand(label), (3 if label.startswith("-") else 9)


def expression(tape: Tape, root: int, long: Sequence[bool] | None = None) -> str:
    """Node `root`'s subexpression as LaTeX, read off the tape with the ops' templates (no
    parsing): bottom-up without recursion. With `long`, an argument whose text is long is
    written as its node's name (z_{7}), so a cell stays readable and the work stays linear."""
    done: dict[int, tuple[str, int]] = {}
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if node in done:
            continue
        op = tape.ops[node]
        if op is None:
            done[node] = _leaf(tape, node)
            continue
        args = tape.args[node]
        if not expanded:
            stack.append((node, True))
            for a in reversed(args):
                if a not in done:
                    if long is not None and long[a] and tape.ops[a] is not None:
                        done[a] = (symbol(tape.labels[a]), 9)
                    else:
                        stack.append((a, False))
            continue
        done[node] = _call_latex(op, [done[a] for a in args])
    return done[root][0]


def operation(tape: Tape, i: int) -> str:
    """Node i's operation on its arguments' names: `z_{2} - z_{1}`."""
    op = tape.ops[i]
    if op is None:
        return _leaf(tape, i)[0]
    return _call_latex(op, [_leaf(tape, a) if tape.ops[a] is None else
                            (symbol(tape.labels[a]), 9) for a in tape.args[i]])[0]


def _call_latex(op: Op, parts: list[tuple[str, int]]) -> tuple[str, int]:
    texts = [p[0] for p in parts]
    if op.infix is not None and op.name != "div":
        texts = _parenthesise(op.name, op.precedence, parts)
    if "{*}" in op.latex:
        return op.latex.replace("{*}", ", ".join(texts)), 9
    return op.latex.format(*texts), (op.precedence if op.infix is not None else 9)


def _parenthesise(name: str, p: int, parts: list[tuple[str, int]]) -> list[str]:
    def wrap(text: str) -> str:
        return rf"\left({text}\right)"

    if name == "neg":
        ((a, la),) = parts
        return [a if la >= 3 else wrap(a)]
    (a, la), (b, lb) = parts
    if name == "pow":  # the exponent is raised, so it needs no parentheses
        return [a if la > p else wrap(a), b]
    right_ok = lb > p or (lb == p and name in ("add", "mul"))
    return [a if la >= p else wrap(a), b if right_ok else wrap(b)]


def partial(of: str, wrt: str) -> str:
    return rf"\frac{{\partial {of}}}{{\partial {wrt}}}"


def _result_block(result: Result, precision: int | None) -> list[str]:
    at = ", ".join(f"{symbol(n)} = {number(v, precision)}" for n, v in result.at.items())
    lines = [r"\begin{align*}", rf"f &= {_whole(result.tape, result.expression)} \\"]
    if at:
        lines.append(rf"&\text{{at }} {at} \\")
    lines.append(rf"f &= {number(result.value, precision)}")
    for name, value in result.gradient.items():
        lines[-1] += r" \\"
        lines.append(rf"{partial('f', symbol(name))} &= {number(value, precision)}")
    lines.append(r"\end{align*}")
    for warning in result.warnings:
        lines.append(r"\noindent warning: " + texttt(warning.message, math=False) + r"\par")
    return lines


def _whole(tape: Tape | None, text: str) -> str:
    """The whole expression as LaTeX (typewriter text when it is too long to set)."""
    if tape is None or len(text) > WHOLE:
        return texttt(text if len(text) <= WHOLE else text[:WHOLE // 2] + "…" +
                      text[-WHOLE // 2:])
    return expression(tape, tape.output)


def _long(tape: Tape) -> list[bool]:
    """Which nodes' subexpressions are too long to write out in a table cell."""
    return ["…" in text for text in bounded_expressions(tape, CELL)]


def _forward(forward: Sequence[ForwardRow], tape: Tape | None,
             precision: int | None) -> list[str]:
    lines = [r"\begin{tabular}{llll}", r"\hline",
             r"node & operation & expression & value \\", r"\hline"]
    long = _long(tape) if tape is not None else []
    for row in forward:
        if row.kind == "operation" and tape is not None:
            op = operation(tape, row.index)
            expression_cell = f"${expression(tape, row.index, long)}$"
        elif row.kind == "operation":  # rows made by hand, without a tape: their own text
            op, expression_cell = texttt(row.op), f"${texttt(row.expression)}$"
        else:
            op = row.kind
            expression_cell = ""
        mark = r" $\dagger$" if row.kink is not None else ""
        mark += r" $\times$ (the error)" if row.error is not None else ""
        node = symbol(row.node) if row.kind != "constant" else operand(row.node)
        op_cell = f"${op}$" if row.kind == "operation" else op
        value = "undefined" if row.value is None else f"${number(row.value, precision)}$"
        lines.append(f"${node}$ & {op_cell} & {expression_cell} & {value}{mark} \\\\")
    lines += [r"\hline", r"\end{tabular}"]
    return lines


def _edges(steps: Steps, precision: int | None) -> list[str]:
    lines = [r"\begin{tabular}{lll}", r"\hline", r"edge & formula & value \\", r"\hline"]
    for edge in steps.edges:
        value = f"${number(edge.partial, precision)}$"
        if edge.one_sided is not None:
            left, right = (texttt("undefined") if s is None else f"${number(s, precision)}$"
                           for s in edge.one_sided)
            value += rf" $\dagger$ (left {left}, right {right})"
        formula = formula_latex(lookup(edge.op), edge.position, list(edge.operands),
                                edge.target, operand, number)
        lines.append(f"${partial(symbol(edge.target), symbol(edge.source))}$ & "
                     f"${formula}$ & {value} \\\\")
    lines += [r"\hline", r"\end{tabular}"]
    return lines


def _backward_line(row: BackwardRow, precision: int | None) -> str:
    left = partial("f", symbol(row.node))
    value = number(row.adjoint, precision)
    if not row.terms:
        return f"{left} &= {value}"
    chain = " + ".join(
        rf"{partial('f', symbol(t.consumer))} \cdot {partial(symbol(t.consumer), symbol(t.node))}"
        for t in row.terms)
    numbers = row.substituted(lambda v: number(v, precision)).replace("·", r" \cdot ")
    return f"{left} &= {chain} = {numbers} = {value}"


def _backward(steps: Steps, precision: int | None) -> list[str]:
    return _align([_backward_line(row, precision) for row in steps.backward])


def _align(body: list[str]) -> list[str]:
    if not body:
        return [r"\noindent (none)\par"]
    return [r"\begin{align*}", " \\\\\n".join(body), r"\end{align*}"]


def _gradient(steps: Steps, precision: int | None) -> list[str]:
    body = [f"{partial('f', symbol(n))} &= {number(v, precision)}"
            for n, v in steps.gradient.items()]
    return _align(body)


def _paths(paths: Paths, precision: int | None) -> list[str]:
    lines = [r"\begin{align*}"]
    body = []
    for row in paths.listed:
        chain = r" \cdot ".join(partial(symbol(a), symbol(b))
                                for a, b in zip(row.nodes, row.nodes[1:], strict=False))
        numbers = row.substituted(lambda v: number(v, precision)).replace("·", r" \cdot ")
        body.append(f"&{chain} = {numbers} = {number(row.product, precision)}")
    shown = "" if paths.complete else rf"\text{{ (the first {len(paths.listed)})}}"
    noun = "path" if paths.total == 1 else "paths"
    total = (rf"more than ${number(float(paths.total))}$" if paths.capped
             else str(paths.total))
    body.append(rf"{partial('f', symbol(paths.variable))} &= \sum_{{\text{{{total} "
                rf"{noun}}}{shown}}} = {number(paths.listed_sum, precision)}")
    lines += [" \\\\\n".join(body), r"\end{align*}"]
    if not paths.complete:
        why = f" ({texttt(paths.why, math=False)})" if paths.why else ""
        lines.append(rf"\noindent {len(paths.listed)} of {total} paths listed{why}; the "
                     rf"adjoint is ${number(paths.adjoint, precision)}$.\par")
    return lines


def render(result: Result, steps: Steps | None, precision: int | None = None,
           tables: bool = True) -> str:
    """The result, then (with `steps`) the forward, edge, backward and path tables."""
    lines = [r"% exprdiff output; needs \usepackage{amsmath}"]
    lines += _result_block(result, precision)
    if steps is not None and tables:
        for title, block in (("Forward", _forward(steps.forward, steps.tape, precision)),
                             ("Local partials", _edges(steps, precision)),
                             ("Backward", _backward(steps, precision)),
                             ("Gradient", _gradient(steps, precision))):
            lines += ["", rf"\paragraph{{{title}}}", *block]
        if steps.warnings:
            lines += ["", r"\noindent $\dagger$ a non-differentiable point (see the warning)."]
    if steps is not None and steps.paths is not None:
        lines += ["", rf"\paragraph{{Paths to ${symbol(steps.paths.variable)}$}}",
                  *_paths(steps.paths, precision)]
    return "\n".join(lines)


def render_failed(failed: FailedSteps, precision: int | None = None) -> str:
    """A failed point: the forward table up to the node where it failed, marked $\\times$."""
    return "\n".join([r"% exprdiff output; needs \usepackage{amsmath}",
                      r"\begin{align*}", rf"f &= {_whole(failed.tape, failed.expression)} \\",
                      r"&\text{at } " + ", ".join(f"{symbol(n)} = {number(v, precision)}"
                                                  for n, v in failed.at.items()),
                      r"\end{align*}",
                      r"\noindent error: " + texttt(failed.error.message, math=False) + r"\par", "",
                      rf"\paragraph{{Forward (up to ${symbol(failed.error.node or '')}$)}}",
                      *_forward(failed.forward, failed.tape, precision)])


def render_all(items: Sequence[tuple[Result, Steps | None] | FailedSteps],
               precision: int | None, tables: bool = True) -> str:
    """Several points (a failed point as its partial forward table), separated by a blank line."""
    return "\n\n".join(
        render_failed(item, precision) if isinstance(item, FailedSteps) else
        render(item[0], item[1], precision, tables) for item in items)
