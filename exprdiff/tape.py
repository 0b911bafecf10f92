"""The computational graph: a flat tape of nodes in evaluation order, lowered from the AST.

Nodes are ints. Inputs and constants have no op; an operation node has an op and ordered
argument nodes. Lowering hash-conses on (op, args), so a repeated `x1**2` is one node with two
consumers, and folds constant subtrees into one constant node. `str(tape)` reads like the SPEC's
forward table:

    z1 = x1**2
    z2 = x2*x3
    ...
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator
from typing import TYPE_CHECKING, Any

from exprdiff import ast
from exprdiff.ops import Op

if TYPE_CHECKING:
    from exprdiff.statements import Statements

INPUT, CONSTANT, OPERATION = "input", "constant", "operation"


class Tape:
    """A compiled expression. Values and adjoints live in per-run lists, never on the tape."""

    __slots__ = ("source", "kinds", "ops", "constants", "inputs", "output", "kink_nodes", "memo",
                 "_args", "_columns", "_resolve", "_labels", "_leaf_labels", "_texts",
                 "_program", "_lean", "tree", "statements")

    def __init__(self, source: str) -> None:
        self.source = source
        self.kinds: list[str] = []
        self.ops: list[Op | None] = []
        self._args: list[tuple[int, ...]] | None = None  # see `args`
        self.constants: list[float] = []  # a run's value list starts as a copy
        self._columns: list[int] = []  # see `columns`
        self._resolve: Callable[[list[int]], list[int]] | None = None
        self._labels: list[str] | None = None  # see `labels`
        self._leaf_labels: dict[int, str] = {}  # inputs and named constants (see leaf_label)
        self.inputs: dict[str, int] = {}  # name → node, first appearance first
        self.output = -1
        self.kink_nodes: list[int] = []
        self.memo: dict[object, Any] = {}  # what other modules derive once per tape (NumPy plans)
        self._texts: dict[int, str] = {}
        self._program: list[tuple[int, object, object, tuple[int, ...]]] | None = None
        self._lean: Lean | None = None
        #: The syntax tree this tape was lowered from, when the run asked for one (the oracle,
        #: `diff`): made by the same parse, never by a second one.
        self.tree: ast.Tree | None = None
        #: A program's statement names (statements.py); None for one expression.
        self.statements: Statements | None = None

    @property
    def args(self) -> list[tuple[int, ...]]:
        """Every node's argument nodes, in order (`()` for inputs and constants).

        Made on first use from the sweeps' flat lists: a parse allocates no tuple per node,
        which keeps big tapes small and the garbage collector's first pass after them short.
        """
        args = self._args
        if args is None:
            args = [()] * len(self.kinds)
            lean = self.lean()
            many = lean.many
            for i, a, b in zip(lean.nodes, lean.firsts, lean.seconds, strict=True):
                args[i] = (a, b) if b >= 0 else (a,) if b == ONE else many[i]
            self._args = args
        return args

    @property
    def columns(self) -> list[int]:
        """1-based source column of every node (where its token or operator is).

        The parser's fast path records piece indices and a function that turns them into
        columns; that runs on first use (an error, a warning, a step table), not on every parse.
        """
        if self._resolve is not None:
            self._columns = self._resolve(self._columns)
            self._resolve = None
        return self._columns

    @property
    def labels(self) -> list[str]:
        """Every node's name: the variable, the constant as written (`2`, `pi`), a program's
        statement name, or z1…zn for the other operations in evaluation order, skipping any
        name the user gave (made on first use)."""
        labels = self._labels
        if labels is None:
            if self.statements is not None:
                labels = self._program_labels(self.statements)
            else:
                labels = []
                counter = 0
                for i, op in enumerate(self.ops):
                    if op is None:
                        labels.append(self.leaf_label(i))
                    else:
                        counter += 1
                        labels.append(f"z{counter}")
            self._labels = labels
        return labels

    def _program_labels(self, statements: Statements) -> list[str]:
        taken = set(statements.node_of) | set(self.inputs)
        named = statements.label_of
        labels: list[str] = []
        counter = 0
        for i, op in enumerate(self.ops):
            if op is None:
                labels.append(self.leaf_label(i))
            elif i in named:
                labels.append(named[i])
            else:
                counter += 1
                while f"z{counter}" in taken:
                    counter += 1
                labels.append(f"z{counter}")
        return labels

    def with_output(self, node: int) -> Tape:
        """The same tape (sharing every list) with another output node: one of a program's
        several outputs, for its own reverse sweep."""
        import copy  # (only programs with several outputs: not at every start-up)

        other = copy.copy(self)
        other.output = node
        return other

    def node(self, name: str) -> int | None:
        """The node an input or a statement name stands for (None: no such name)."""
        found = self.inputs.get(name)
        if found is None and self.statements is not None:
            found = self.statements.node_of.get(name)
        return found

    @property
    def program(self) -> list[tuple[int, object, object, tuple[int, ...]]]:
        """(node, forward, partials, args) for every operation node, in evaluation order."""
        if self._program is None:
            ops, args = self.ops, self.args
            self._program = [(i, op.forward, op.partials, args[i])
                             for i, op in enumerate(ops) if op is not None]
        return self._program

    def leaf_label(self, i: int) -> str:
        """The name of input or constant node i: its name, or a number as format_number
        writes it (made when asked for: a parse formats no number)."""
        label = self._leaf_labels.get(i)
        return format_number(self.constants[i]) if label is None else label

    def lean(self) -> Lean:
        """The operations as flat parallel lists: what the forward and reverse loops run."""
        assert self._lean is not None  # noqa: S101 - every tape comes from a TapeBuilder
        return self._lean

    def __len__(self) -> int:
        return len(self.kinds)

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(self.inputs)

    @property
    def operations(self) -> list[int]:
        return [i for i, kind in enumerate(self.kinds) if kind == OPERATION]

    def consumers(self) -> list[list[int]]:
        """For each node, the nodes that take it as an argument (once per use), in tape order."""
        users: list[list[int]] = [[] for _ in self.kinds]
        for i, _, _, args in self.program:
            for a in args:
                users[a].append(i)
        return users

    def operation_text(self, i: int) -> str:
        """Node i's operation on earlier nodes, by label: `z2 - z1`, `max(0, z2)`."""
        op = self.ops[i]
        if op is None:
            return self.labels[i]
        return render_call(op, [self.labels[a] for a in self.args[i]], [9] * len(self.args[i]))

    def expression(self, i: int, width: int | None = None) -> str:
        """The subexpression node i stands for; elided in the middle beyond `width` characters."""
        if width is None:
            return self._full_text(i)
        return _bounded_text(self, i, width)

    def _full_text(self, i: int) -> str:
        texts = self._texts
        cached = texts.get(i)
        if cached is not None:
            return cached
        for node in _subtree_order(self, i, texts):
            op = self.ops[node]
            if op is None:
                texts[node] = self.labels[node]
                continue
            parts = [texts[a] for a in self.args[node]]
            levels = [_precedence(self, a) for a in self.args[node]]
            texts[node] = render_call(op, parts, levels)
        return texts[i]

    def __str__(self) -> str:
        lines = []
        for i, kind in enumerate(self.kinds):
            if kind == OPERATION:
                lines.append(f"{self.labels[i]} = {self.operation_text(i)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Tape {len(self)} nodes, {len(self.program)} operations: {self._short_source()}>"

    def _short_source(self) -> str:
        s = self.source
        return s if len(s) <= 40 else s[:20] + "…" + s[-19:]


def _precedence(tape: Tape, i: int) -> int:
    op = tape.ops[i]
    if op is not None:
        return op.precedence
    if tape.kinds[i] == CONSTANT and tape.leaf_label(i).startswith("-"):
        return 3  # a negative number prints like a unary minus
    return 9


def render_call(op: Op, parts: list[str], levels: list[int]) -> str:
    """One operation in exprdiff's own syntax, parenthesising arguments only where needed."""
    if op.infix is None:
        return f"{op.name}({', '.join(parts)})"
    if op.name == "neg":
        (a,) = parts
        return f"-{a}" if levels[0] >= 3 else f"-({a})"
    a, b = parts
    la, lb = levels
    p = op.precedence
    if op.name == "pow":  # right-associative; `2**-x` needs no parentheses
        a = a if la > p else f"({a})"
        b = b if lb >= 3 else f"({b})"
        return f"{a}**{b}"
    a = a if la >= p else f"({a})"
    b = b if lb > p or (lb == p and op.name in ("add", "mul")) else f"({b})"
    if op.name in ("add", "sub"):
        return f"{a} {op.infix} {b}"
    return f"{a}{op.infix}{b}"


def _subtree_order(tape: Tape, root: int, done: Container[int] = ()) -> list[int]:
    """Nodes below `root` (and root) in post-order, each once, without recursion; a node in
    `done` (and what lies below it) is left out, so repeated calls share their work."""
    order: list[int] = []
    seen: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in seen or node in done:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((a, False) for a in reversed(tape.args[node]))
    return order


#: A node's text as (its first `keep` characters, its last `keep`, its full length).
_Piece = tuple[str, str, int]


def _piece(tape: Tape, node: int, arguments: list[_Piece], keep: int) -> _Piece:
    """Node's text bounded to `keep` characters at each end, from its arguments' pieces: the
    work is O(keep) per argument whatever the size of the subexpression."""
    op = tape.ops[node]
    if op is None:
        text = tape.labels[node]
        return text[:keep], text[-keep:], len(text)
    heads: list[str] = []
    tails: list[str] = []
    length = 0
    for part in _skeleton(op, [_precedence(tape, a) for a in tape.args[node]]):
        if type(part) is int:  # an argument: its head and tail stand for its text
            head, tail, size = arguments[part]
            heads.append(head)
            tails.append(tail)
            length += size
        else:
            heads.append(part)  # type: ignore[arg-type]
            tails.append(part)  # type: ignore[arg-type]
            length += len(part)  # type: ignore[arg-type]
    # An argument longer than `keep` has its first and last `keep` characters here, which is
    # all that the first and last `keep` characters of the whole can hold of it.
    return "".join(heads)[:keep], "".join(tails)[-keep:], length


#: Operation and its arguments' precedence levels → its text as literal pieces between the
#: arguments' indices: ["", 0, " + ", 1, ""]. Made once per form (calls of up to 3 arguments).
_SKELETONS: dict[tuple[object, ...], list[str | int]] = {}


def _skeleton(op: Op, levels: list[int]) -> list[str | int]:
    key = (op.name, *levels)
    found = _SKELETONS.get(key)
    if found is None:
        marks = [f"\x00{k}\x00" for k in range(len(levels))]
        pieces = render_call(op, marks, levels).split("\x00")
        found = [int(p) if k % 2 else p for k, p in enumerate(pieces)]
        if len(levels) <= 3:
            _SKELETONS[key] = found
    return found


def _shown(piece: _Piece, width: int) -> str:
    head, tail, length = piece
    if length <= width:
        return head
    left = (width - 1) // 2
    return head[:left] + "…" + tail[-(width - 1 - left):]


def _bounded_text(tape: Tape, root: int, width: int) -> str:
    """Like Tape.expression, keeping at most `width` characters: head … tail. The pieces are
    kept on the tape per width, so asking for many nodes (one warning per kink of a deep
    chain) costs the tape's size once, not each subtree's size again."""
    keep = max(width, 8)
    memo: dict[int, _Piece] = tape.memo.setdefault(("expression", keep), {})
    for node in _subtree_order(tape, root, memo):
        memo[node] = _piece(tape, node, [memo[a] for a in tape.args[node]], keep)
    return _shown(memo[root], width)


def bounded_texts(tape: Tape, width: int) -> tuple[list[str], list[int]]:
    """Tape.expression(i, width) for every node i and each text's full length, in one pass
    over the tape: linear, where the full texts of a deep chain are quadratic in size."""
    keep = max(width, 8)
    memo: list[_Piece] = []
    args = tape.args
    for node in range(len(tape.kinds)):
        memo.append(_piece(tape, node, [memo[a] for a in args[node]], keep))
    return [_shown(p, width) for p in memo], [p[2] for p in memo]


def bounded_expressions(tape: Tape, width: int) -> list[str]:
    """Tape.expression(i, width) for every node i, in one pass over the tape (see
    bounded_texts)."""
    return bounded_texts(tape, width)[0]


def format_number(value: float) -> str:
    """Shortest text that reads back as `value`; integral values without '.0'."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


# How the sweeps treat an operation node: the cheap rules are written out in reverse.py's loop.
MUL, ADD, UNARY, BINARY, SUB, NEG, NARY, POWC = range(8)
_SWEEP_CODES = {"mul": MUL, "add": ADD, "sub": SUB, "neg": NEG}
#: Lean.seconds for an operation of one argument, and of more than two (see Lean.many).
ONE, MANY = -1, -2


class Lean:
    """A tape's operation nodes in evaluation order as flat parallel lists (no object per
    node): node index, forward function, partials function, sweep code, first argument, and
    second argument (ONE or MANY when there is none or more: then `many` has them all), plus
    the constant nodes. The TapeBuilder appends to them as it adds each node.

    POWC marks `a**c` with `c` a nonzero constant node: its rule skips the exponent's log.
    """

    __slots__ = ("nodes", "forwards", "rules", "codes", "firsts", "seconds", "many",
                 "constant_nodes")

    def __init__(self) -> None:
        self.nodes: list[int] = []
        self.forwards: list[Any] = []
        self.rules: list[Any] = []
        self.codes: list[int] = []
        self.firsts: list[int] = []
        self.seconds: list[int] = []
        self.many: dict[int, tuple[int, ...]] = {}  # node → arguments, for more than two
        self.constant_nodes: list[int] = []


def iter_edges(tape: Tape) -> Iterator[tuple[int, int, int]]:
    """(argument, consumer, position) for every edge, in evaluation order of the consumer."""
    for i, _, _, args in tape.program:
        for position, a in enumerate(args):
            yield a, i, position
