r"""LaTeX for teachers: results and step tables as `longtable` and `align*` (needs amsmath and
longtable; tables break across pages, long lines break within A4's text width).

Formulas are written from the data itself, never by parsing text: expressions and operations
from the tape with each op's `latex` template, partials from each row's `formulas_latex`
(ops.py); a subexpression too long for a cell is written as its node's name. The output is
plain ASCII.
"""

from __future__ import annotations

import re
from collections.abc import Container, Sequence

from exprdiff.explain.steps import BackwardRow, FailedSteps, ForwardRow, Paths, Steps
from exprdiff.ops import CONSTANTS, Op, formula_latex, lookup
from exprdiff.render.numbers import fmt
from exprdiff.result import Result
from exprdiff.tape import Tape

_GREEK = frozenset(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi rho sigma tau "
    "upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Sigma Upsilon Phi Psi Omega".split()
)
#: Longest whole expression set as math, and longest subexpression written out in a cell or
#: on the first line (longer ones show their nodes' names, z_{7}, so every line fits A4).
WHOLE = 2000
CELL = 36
TOP = 72
#: A display that may break across pages (amsmath's align* does not by itself), in a group so
#: that the reader's document keeps its own setting.
BEGIN = r"{\allowdisplaybreaks\begin{align*}"
END = r"\end{align*}}"
#: A chain-rule sum or a path's product breaks onto a new line after this many terms.
TERMS_PER_LINE = 3
FACTORS_PER_LINE = 6
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


def expression(tape: Tape, root: int, budget: int | None = None,
               named: Container[int] = ()) -> str:
    """Node `root`'s subexpression as LaTeX, read off the tape with the ops' templates (no
    parsing): bottom-up without recursion. With a `budget` (characters of exprdiff's text), the
    nodes past it are written by their names (z_{7}), so a line or a cell fits the page and
    the work stays linear; so are the nodes in `named` (a program's other statements)."""
    expanded = None if budget is None else _expanded(tape, root, budget)
    done: dict[int, tuple[str, int]] = {}
    stack = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if node in done:
            continue
        op = tape.ops[node]
        if op is None:
            done[node] = _leaf(tape, node)
            continue
        if (expanded is not None and node not in expanded) or (node != root and node in named):
            done[node] = (symbol(tape.labels[node]), 9)
            continue
        args = tape.args[node]
        if not ready:
            stack.append((node, True))
            stack.extend((a, False) for a in reversed(args) if a not in done)
            continue
        done[node] = _call_latex(op, [done[a] for a in args])
    return done[root][0]


def _expanded(tape: Tape, root: int, budget: int) -> set[int]:
    """The operations written out from `root` down, breadth first, while the text (children by
    their names) stays within `budget` characters; the root always."""
    labels, ops, args = tape.labels, tape.ops, tape.args
    expanded: set[int] = set()
    length = len(labels[root])
    queue = [root]
    for node in queue:  # grows as nodes are written out
        if ops[node] is None or node in expanded:
            continue
        cost = sum(len(labels[a]) + 3 for a in args[node]) - len(labels[node])
        if length + cost > budget and node != root:
            continue
        length += cost
        expanded.add(node)
        queue.extend(args[node])
    return expanded


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
    pairs = [f"{symbol(n)} = {number(v, precision)}" for n, v in result.at.items()]
    at = " \\\\\n&\\quad ".join(", ".join(pairs[k:k + 4]) for k in range(0, len(pairs), 4))
    body = _statements(result.tape, result.expression)
    if at:
        body.append(rf"&\text{{at }} {at}")
    values = result.outputs or {"f": result.value}
    for output, gradient in (result.jacobian or {next(iter(values)): result.gradient}).items():
        name = "f" if output == "f" else symbol(output)  # each row of a Jacobian in turn
        body.append(rf"{name} &= {number(values[output], precision)}")
        body += [rf"{partial(name, symbol(wrt))} &= {number(value, precision)}"
                 for wrt, value in gradient.items()]
    lines = [BEGIN, " \\\\\n".join(body), END]
    for warning in result.warnings:
        lines.append(r"\noindent warning: " + texttt(warning.message, math=False) + r"\par")
    return lines


def _statements(tape: Tape | None, text: str) -> list[str]:
    """`f &= …`, or a program's statements one per line (`h_{1} &= …`), each written up to
    the other statements' names, as its forward table names them."""
    program = None if tape is None else tape.statements
    if program is None:
        return [rf"f &= {_whole(tape, text)}"]
    if tape is None or len(text) > WHOLE:
        return [rf"\text{{program}} &: {_whole(None, text)}"]
    named = set(program.label_of)
    lines = []
    for name, node in zip(program.names, program.nodes, strict=True):
        label = tape.labels[node]
        right = (operand(label) if label != name or tape.ops[node] is None else
                 expression(tape, node, TOP, named))
        lines.append(rf"{symbol(name)} &= {right}")
    if program.result is not None:
        lines.append(rf"f &= {expression(tape, tape.output, TOP, named)}")
    return lines


def _whole(tape: Tape | None, text: str) -> str:
    """The whole expression as LaTeX (typewriter text when it is too long to set)."""
    if tape is None or len(text) > WHOLE:
        return texttt(text if len(text) <= WHOLE else text[:WHOLE // 2] + "…" +
                      text[-WHOLE // 2:])
    if len(text) <= TOP:
        return expression(tape, tape.output)
    return expression(tape, tape.output, TOP)  # deeper parts by their names


def _forward(forward: Sequence[ForwardRow], tape: Tape | None,
             precision: int | None) -> list[str]:
    lines = [r"\begin{longtable}{llll}", r"\hline",
             r"node & operation & expression & value \\", r"\hline"]
    for row in forward:
        if row.kind == "operation" and tape is not None:
            op = operation(tape, row.index)
            expression_cell = f"${expression(tape, row.index, CELL)}$"
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
    lines += [r"\hline", r"\end{longtable}"]
    return lines


def _edges(steps: Steps, precision: int | None) -> list[str]:
    lines = [r"\begin{longtable}{lll}", r"\hline", r"edge & formula & value \\", r"\hline"]
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
    lines += [r"\hline", r"\end{longtable}"]
    return lines


def _backward_line(row: BackwardRow, precision: int | None) -> str:
    left = partial(symbol(row.output), symbol(row.node))
    value = number(row.adjoint, precision)
    if not row.terms:
        return f"{left} &= {value}"
    output = symbol(row.output)
    chain = [partial(output, symbol(t.consumer)) + r" \cdot "
             + partial(symbol(t.consumer), symbol(t.node)) for t in row.terms]
    numbers = [_factor(number(t.adjoint, precision)) + r" \cdot "
               + _factor(number(t.partial, precision)) for t in row.terms]
    if len(row.terms) <= TERMS_PER_LINE:
        return f"{left} &= {' + '.join(chain)} = {' + '.join(numbers)} = {value}"
    return (f"{left} &= " + _rows(chain, " + ", TERMS_PER_LINE) + " \\\\\n&= "
            + _rows(numbers, " + ", TERMS_PER_LINE) + f" = {value}")


def _rows(parts: Sequence[str], joiner: str, per_line: int) -> str:
    """`parts` joined, a new align row (`\\\\ &\\quad`) every `per_line` of them: a long
    chain-rule sum or path product stays on the page."""
    lines = [joiner.join(parts[k:k + per_line]) for k in range(0, len(parts), per_line)]
    return (f" \\\\\n&\\quad{joiner.rstrip()} ").join(lines)


def _factor(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def _backward(steps: Steps, precision: int | None) -> list[str]:
    return _align([_backward_line(row, precision) for row in steps.backward])


def _align(body: list[str]) -> list[str]:
    if not body:
        return [r"\noindent (none)\par"]
    return [BEGIN, " \\\\\n".join(body), END]


def _gradient(steps: Steps, precision: int | None) -> list[str]:
    output = symbol(steps.output)
    body = [f"{partial(output, symbol(n))} &= {number(v, precision)}"
            for n, v in steps.gradient.items()]
    return _align(body)


def _paths(paths: Paths, precision: int | None) -> list[str]:
    lines = [BEGIN]
    body = []
    for row in paths.listed:
        factors = [partial(symbol(a), symbol(b))
                   for a, b in zip(row.nodes, row.nodes[1:], strict=False)]
        numbers = [_factor(number(p, precision)) for p in row.partials]
        times = r" \cdot "
        if len(factors) <= FACTORS_PER_LINE:
            body.append(f"&{times.join(factors)} = {times.join(numbers)} = "
                        f"{number(row.product, precision)}")
        else:
            body.append("&" + _rows(factors, r" \cdot ", FACTORS_PER_LINE) + " \\\\\n&= "
                        + _rows(numbers, r" \cdot ", FACTORS_PER_LINE)
                        + f" = {number(row.product, precision)}")
    shown = "" if paths.complete else rf"\text{{ (the first {len(paths.listed)})}}"
    noun = "path" if paths.total == 1 else "paths"
    total = (rf"more than ${number(float(paths.total))}$" if paths.capped
             else str(paths.total))
    whole = partial(symbol(paths.output), symbol(paths.variable))
    body.append(rf"{whole} &= \sum_{{\text{{{total} "
                rf"{noun}}}{shown}}} = {number(paths.listed_sum, precision)}")
    lines += [" \\\\\n".join(body), END]
    if not paths.complete:
        why = f" ({texttt(paths.why, math=False)})" if paths.why else ""
        lines.append(rf"\noindent {len(paths.listed)} of {total} paths listed{why}; the "
                     rf"adjoint is ${number(paths.adjoint, precision)}$.\par")
    return lines


def render(result: Result, steps: Steps | None, precision: int | None = None,
           tables: bool = True) -> str:
    """The result, then (with `steps`) the forward, edge, backward and path tables."""
    lines = [r"% exprdiff output; needs \usepackage{amsmath,longtable}"]
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
    return "\n".join([r"% exprdiff output; needs \usepackage{amsmath,longtable}",
                      BEGIN, rf"f &= {_whole(failed.tape, failed.expression)} \\",
                      r"&\text{at } " + ", ".join(f"{symbol(n)} = {number(v, precision)}"
                                                  for n, v in failed.at.items()),
                      END,
                      r"\noindent error: " + texttt(failed.error.message, math=False) + r"\par", "",
                      rf"\paragraph{{Forward (up to ${symbol(failed.error.node or '')}$)}}",
                      *_forward(failed.forward, failed.tape, precision)])


def render_all(items: Sequence[tuple[Result, Steps | None] | FailedSteps],
               precision: int | None, tables: bool = True) -> str:
    """Several points (a failed point as its partial forward table), separated by a blank line."""
    return "\n\n".join(
        render_failed(item, precision) if isinstance(item, FailedSteps) else
        render(item[0], item[1], precision, tables) for item in items)
