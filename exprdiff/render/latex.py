r"""LaTeX for teachers: results and step tables as `tabular` and `align*` (needs amsmath).

Formulas are turned into LaTeX by parsing them with exprdiff's own parser and printing the AST
with each op's `latex` template from ops.py; what does not parse (an elided subexpression, the
wording of max's partial) is set in `\texttt`. The output is plain ASCII.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from exprdiff import ast
from exprdiff.errors import ExprError
from exprdiff.explain.steps import BackwardRow, FailedSteps, ForwardRow, Paths, Steps
from exprdiff.ops import lookup
from exprdiff.render.numbers import fmt
from exprdiff.result import Result
from exprdiff.syntax.parser import parse

_GREEK = frozenset(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi rho sigma tau "
    "upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Sigma Upsilon Phi Psi Omega".split()
)
_NAME = re.compile(r"^([A-Za-z]+?)_?(\d+)$")
_TT_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
               "#": r"\#", "^": r"\^{}", "_": r"\_", "%": r"\%", "~": r"\~{}",
               "…": r"\ldots{}", "·": r"\ensuremath{\cdot}",
               "∂": r"\ensuremath{\partial}"}


def symbol(name: str) -> str:
    """A variable or node name in math mode: x1 → x_{1}, theta → \\theta, m_0 → m_{0}."""
    match = _NAME.match(name)
    base, sub = (match.group(1), match.group(2)) if match else (name, "")
    if "_" in base and not sub:
        base, _, sub = base.partition("_")
    if base in _GREEK:
        base = "\\" + base
    elif len(base) > 1:
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


def formula(text: str) -> str:
    """Expression text (exprdiff syntax) → LaTeX math, or \\texttt when it does not parse."""
    try:
        tree = parse(text)
    except ExprError:
        return texttt(text)
    return _tree_latex(tree)


def _tree_latex(root: ast.Node) -> str:
    """Print an AST with the ops' LaTeX templates, bottom-up without recursion."""
    stack: list[tuple[str, int]] = []  # (latex, binding strength)
    for node in ast.walk(root):
        if isinstance(node, ast.Number):
            stack.append((number(node.value), 3 if node.value < 0 else 9))
        elif isinstance(node, ast.Variable):
            stack.append((symbol(node.name), 9))
        elif isinstance(node, ast.Constant):
            stack.append((r"\pi" if node.name == "pi" else "e", 9))
        else:
            count = len(node.args)
            parts = stack[-count:]
            del stack[-count:]
            stack.append(_call_latex(node.op, parts))
    return stack[0][0]


def _call_latex(name: str, parts: list[tuple[str, int]]) -> tuple[str, int]:
    op = lookup(name)
    texts = [p[0] for p in parts]
    if op.infix is not None and name != "div":
        texts = _parenthesise(name, op.precedence, parts)
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
    lines = [r"\begin{align*}", rf"f &= {formula(result.expression)} \\"]
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


def _forward(forward: Sequence[ForwardRow], precision: int | None) -> list[str]:
    lines = [r"\begin{tabular}{llll}", r"\hline",
             r"node & operation & expression & value \\", r"\hline"]
    for row in forward:
        if row.kind == "operation":
            op = formula(row.op)
            expression = f"${formula(row.expression)}$"
        else:
            op = row.kind
            expression = ""
        mark = r" $\dagger$" if row.kink is not None else ""
        mark += r" $\times$ (the error)" if row.error is not None else ""
        node = symbol(row.node) if row.kind != "constant" else formula(row.node)
        op_cell = f"${op}$" if row.kind == "operation" else op
        value = "undefined" if row.value is None else f"${number(row.value, precision)}$"
        lines.append(f"${node}$ & {op_cell} & {expression} & {value}{mark} \\\\")
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
        lines.append(f"${partial(symbol(edge.target), symbol(edge.source))}$ & "
                     f"${formula(edge.formula)}$ & {value} \\\\")
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
    body.append(rf"{partial('f', symbol(paths.variable))} &= \sum_{{\text{{{paths.total} "
                rf"{noun}}}{shown}}} = {number(paths.listed_sum, precision)}")
    lines += [" \\\\\n".join(body), r"\end{align*}"]
    if not paths.complete:
        lines.append(rf"\noindent {len(paths.listed)} of {paths.total} paths listed; the "
                     rf"adjoint is ${number(paths.adjoint, precision)}$.\par")
    return lines


def render(result: Result, steps: Steps | None, precision: int | None = None,
           tables: bool = True) -> str:
    """The result, then (with `steps`) the forward, edge, backward and path tables."""
    lines = [r"% exprdiff output; needs \usepackage{amsmath}"]
    lines += _result_block(result, precision)
    if steps is not None and tables:
        for title, block in (("Forward", _forward(steps.forward, precision)),
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
                      r"\begin{align*}", rf"f &= {formula(failed.expression)} \\",
                      r"&\text{at } " + ", ".join(f"{symbol(n)} = {number(v, precision)}"
                                                  for n, v in failed.at.items()),
                      r"\end{align*}",
                      r"\noindent error: " + texttt(failed.error.message, math=False) + r"\par", "",
                      rf"\paragraph{{Forward (up to ${symbol(failed.error.node or '')}$)}}",
                      *_forward(failed.forward, precision)])


def render_all(items: Sequence[tuple[Result, Steps | None] | FailedSteps],
               precision: int | None, tables: bool = True) -> str:
    """Several points (a failed point as its partial forward table), separated by a blank line."""
    return "\n\n".join(
        render_failed(item, precision) if isinstance(item, FailedSteps) else
        render(item[0], item[1], precision, tables) for item in items)
