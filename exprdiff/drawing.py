"""`exprdiff.Graph`: the public class that draws the computational graph of an expression.

    >>> g = Graph.of("x1**2 + 3*(x2*x3 - x1**2)", {"x1": 1, "x2": 2, "x3": 3})
    >>> [(n.name, n.value, n.adjoint) for n in g.nodes if n.output]
    [('z5', 16.0, 1.0)]

Why a module of its own, here: drawing compiles and evaluates (`exprdiff.api`) and formats
(`exprdiff.render`), so the class that does both sits above both. Its data is the drawing model,
`exprdiff.explain.picture.Picture`, which imports neither; the renderers import only that model.
Nothing in the package imports this module but `exprdiff/__init__.py` (on first use of
`exprdiff.Graph`) and the CLI's `graph` command, so a plain gradient never loads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from exprdiff.api import Compiled, compile
from exprdiff.errors import ExprError
from exprdiff.explain.picture import Picture
from exprdiff.forward import values_until_failure
from exprdiff.points import validate
from exprdiff.render import picture as output
from exprdiff.render.dot import label_number, to_dot
from exprdiff.render.mermaid import to_mermaid


class Graph(Picture):
    """The drawing of one compiled expression, optionally annotated at one point (see Picture
    for the options); `Graph.of` compiles and evaluates, the other methods write it out."""

    @classmethod
    def of(
        cls, expression: str | Compiled, at: Mapping[str, object] | None = None, **options: object
    ) -> Graph:
        """Compile (if text) and draw, at `at` when given; a domain error at the point does not
        raise: the graph is drawn up to the failing node, marked, and kept in `.error`."""
        compiled = expression if isinstance(expression, Compiled) else compile(expression)
        if at is None and not compiled.variables:
            at = {}  # nothing to choose: a constant expression is drawn with its value
        if at is None:
            return cls(compiled.tape, **options)  # type: ignore[arg-type]
        try:
            result = compiled.grad(at, record=True)
        except ExprError as problem:
            if problem.kind != "domain":
                raise
            point = validate(at, compiled.variables)
            values = problem.values  # the failed sweep's own, up to its failing node
            if values is None:
                values, _ = values_until_failure(compiled.tape, point)
            named = dict(zip(compiled.variables, point, strict=True))
            return cls(compiled.tape, error=problem, values=values, at=named,
                       **options)  # type: ignore[arg-type]
        return cls(compiled.tape, result, **options)  # type: ignore[arg-type]

    def number(self, value: float) -> str:
        """A value as labels show it: `precision` significant digits."""
        return label_number(self)(value)

    def to_dot(self) -> str:
        """Graphviz DOT text (needs no Graphviz installed)."""
        return to_dot(self)

    def to_mermaid(self) -> str:
        """A Mermaid flowchart."""
        return to_mermaid(self)

    def image(self, fmt: str) -> bytes:
        """The drawing as svg, png or pdf bytes, by Graphviz's `dot` program."""
        return output.image(self, fmt)

    def text(self, fmt: str) -> str:
        """dot or mermaid text."""
        return output.text(self, fmt)

    def render(self, path: str | Path, fmt: str | None = None) -> Path:
        """Write the drawing to `path`, in `fmt` or the format its suffix names."""
        return output.write(self, path, fmt)

    def _repr_svg_(self) -> str | None:
        """Jupyter shows the graph inline as SVG (None, so the text repr, without Graphviz)."""
        try:
            return self.image("svg").decode("utf-8")
        except ExprError:
            return None

    def __repr__(self) -> str:
        return f"<Graph {len(self.nodes)} nodes, {len(self.edges)} edges: {self.title}>"
