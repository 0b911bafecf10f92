"""A tight LALR(1) loop over Lark's own parse tables and terminals: the fast path of parsing.

Lark compiles grammar/exprdiff.lark into its parse table and lexer terminals once (cached across
processes); table_data.py copies both into plain dicts and ints, and this module runs the
shift/reduce loop itself, calling one small callback per reduced rule. It words no error: at a
mistake it raises `Mistake`, saying where it stopped (the piece of text, the state and so the
terminals it expected), and parser.py words it from that (wording.py) without parsing again. The
grammar file stays the single source of the language; nothing here knows its rules.

Lexing is one `findall` of Lark's terminals (their groups made non-capturing: grammar.splitter)
that cuts the text into pieces, tokens and white space alike, in C; each distinct piece text is
matched against the named terminals once to learn its type (once per process for texts of up to
4 characters, else once per parse).
Columns come from the pieces' lengths afterwards, only where a node needs one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from itertools import accumulate
from typing import Any

from exprdiff.syntax.grammar import splitter


class Fallback(Exception):  # noqa: N818 - a signal, not an error seen by users
    """The fast path met something it does not handle (any error): use Lark itself."""


class Mistake(Fallback):
    """The text is wrong, and here is where: piece `piece` of `found` (see pieces), which the
    loop read as terminal `kind` in parse state `state` (None for a piece that is no token:
    then `kind` is None too). Or a reduction's callback found the mistake: `error` says it."""

    def __init__(self, piece: int = -1, state: int | None = None, kind: str | None = None,
                 error: Exception | None = None) -> None:
        super().__init__(piece, state, kind)
        self.piece = piece
        self.state = state
        self.kind = kind
        self.error = error
        self.found: list[str] = []  # the pieces, set by run()


# Rule kinds: how a reduction turns its children into one value. _SPLICE: a callback whose
# children include an inlined `_rule`'s list.
_PASS, _CALL, _FLAT, _SPLICE = 0, 1, 2, 3


class Tables:
    """Lark's parse table as ints: action[state][terminal] ≥ 0 shifts, < 0 reduces rule ~a.

    Built from `pattern` (Lark's terminals as one regexp of named groups, in Lark's priority
    order, `_BAD` last) and the table; the rest is derived here, indexed for the loop.
    """

    __slots__ = ("pattern", "ignore", "action", "goto", "sizes", "kinds", "names", "start",
                 "end", "scanner", "splitter", "rows", "gotos", "chains", "entries", "known")

    def __init__(self, *, pattern: str, ignore: frozenset[str], action: tuple[dict[str, int], ...],
                 goto: tuple[dict[int, int], ...], sizes: tuple[int, ...],
                 kinds: tuple[int, ...], names: tuple[str, ...], start: int, end: int) -> None:
        self.pattern = pattern
        self.ignore = ignore
        self.action = action
        self.goto = goto  # goto[state][rule index] → state after reducing it
        self.sizes = sizes
        self.kinds = kinds
        self.names = names  # callback name per rule (alias, or the rule's own name)
        self.start = start
        self.end = end
        self.scanner = re.compile(pattern, re.DOTALL)  # which terminal a piece of text is
        self.splitter = splitter(pattern)  # the same alternation without groups: findall
        count = len(action)
        terminals = {symbol for row in action for symbol in row}
        # rows[terminal][state]: the action (None: a syntax error); gotos[rule][state] likewise
        self.rows = {symbol: [row.get(symbol) for row in action] for symbol in terminals}
        self.gotos = [[goto[state].get(rule) for state in range(count)]
                      for rule in range(len(sizes))]
        # per lookahead, [below * count + top] → top after its unit reductions (None: not yet
        # known; memoised by run)
        self.chains: dict[str, list[int | None]] = {symbol: [None] * (count * count)
                                                    for symbol in terminals}
        self.entries = {symbol: (symbol, self.rows[symbol], self.chains[symbol])
                        for symbol in terminals}
        # piece text → its entry, for short texts (operators, spaces, one-letter names): bounded
        self.known: dict[str, tuple[Any, ...]] = {"": self.entries["$END"]}


#: The entry of an ignored piece (white space).
_SKIP: tuple[Any, ...] = (None, None, None)


def pieces(t: Tables, text: str) -> list[str]:
    """`text` cut into the texts of its tokens and of the white space between them, in order
    (they join up to `text` again), then "" for the end. Which token each is, run() asks."""
    if t.splitter is None:  # a grammar whose terminals cannot lose their groups: slower
        found = [match.group() for match in t.scanner.finditer(text)]
    else:
        found = t.splitter.findall(text)
    found.append("")
    return found


def start(found: list[str], k: int) -> int:
    """The 0-based start of piece k alone (an error path: no offsets list is kept)."""
    return sum(map(len, found[:k]))


def offsets(found: list[str]) -> list[int]:
    """The 0-based start of every piece (pieces() cuts the text without gaps)."""
    return [0, *accumulate(map(len, found))]


def _entry(t: Tables, text: str) -> tuple[Any, ...]:
    """(terminal, its action row, its chain memo) for a piece, or _SKIP for white space."""
    match = t.scanner.match(text)
    # A piece that is not one whole token alone would need its context: Lark decides.
    if match is None or match.end() != len(text) or match.lastgroup == "_BAD":
        raise Fallback
    kind = match.lastgroup
    return _SKIP if kind in t.ignore else t.entries[kind]  # type: ignore[index]


class _Flat(list[Any]):
    """Children of an inlined `_rule`, spliced into the parent's children."""


#: Per rule, by rule index: (step, size, callback or None — for _CHILD the child's place from
#: the top of the value stack —, goto keys: below * states + the state after the goto, per
#: state below). See bind.
Bound = list[tuple[int, int, Any, list[int | None]]]

# A rule's step in the loop: a unit rule taken with its goto (_PASS); a callback on 1…4
# children popped off the value stack one by one, no list made (the step is the count); the
# general step, for the other sizes and inlined `_rules` (_SLICE); or no callback at all, the
# value being one of the children's (_CHILD, see Child).
_SLICE, _CHILD = 5, 6


class Child:
    """In place of a callback: the rule's value is its child number `index` (0-based), as is
    (`group: LPAR sum RPAR` is its sum); the loop calls nothing."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


def bind(t: Tables, callbacks: Mapping[str, Callable[..., Any] | Child]) -> Bound:
    """The callbacks in rule order, with what the loop needs per rule; once per process.

    A callback named `name/size` (`arguments/1`) serves the rule's expansion of that many
    children only, ahead of `name`: a cheaper form for a common case.
    """
    bound: Bound = []
    span = len(t.action)
    for name, kind, size, gotos in zip(t.names, t.kinds, t.sizes, t.gotos, strict=True):
        # per state below, below * span + the state after the goto: the unit-chain memo's key
        goto = [None if top is None else below * span + top for below, top in enumerate(gotos)]
        callback = None
        if kind in (_CALL, _SPLICE):
            callback = callbacks.get(f"{name}/{size}") or callbacks[name]
        if isinstance(callback, Child) and kind == _CALL and callback.index < size:
            # the child's position from the top of the value stack, as the loop reads it
            bound.append((_CHILD, size, size - callback.index, goto))
            continue
        step = (_PASS if kind == _PASS else size if kind == _CALL and 1 <= size <= 4
                else _SLICE)
        bound.append((step, size, callback, goto))
    return bound


def run(t: Tables, found: list[str], rules: Bound, state: object) -> Any:
    """Shift/reduce over the pieces of text `found` (see pieces); a terminal enters the value
    stack as its piece's index.

    `callback(state, *children)` builds the value of a rule (see bind). A chain of unit
    reductions (`atom → power → unary → product → sum`) is taken in one step, memoised on
    (state below, state on top, lookahead). A mistake raises Mistake, which says where.
    """
    known = t.known
    span = len(t.action)  # chain memo keys: below * span + top
    local: dict[str, tuple[Any, ...]] = {}  # longer texts (names, numbers): this parse only
    end = t.end
    skip = _SKIP
    top = t.start  # the state on top of `states`, kept in step with it
    states = [top]
    values: list[Any] = []
    push = values.append
    pop = values.pop
    shift = states.append
    k, kind, row = 0, "", None
    try:
        for k, text in enumerate(found):
            entry = known.get(text)
            if entry is None:
                entry = local.get(text)
                if entry is None:
                    entry = _lookup(t, text, k)
                    if len(text) <= 4 and len(known) < _KNOWN:
                        known[text] = entry
                    else:
                        local[text] = entry
            if entry is skip:
                continue
            kind, row, chain = entry
            while True:
                a = row[top]  # None (no action: a syntax error) fails the comparison
                if a >= 0:
                    shift(a)
                    push(k)
                    top = a
                    break
                step, size, callback, goto = rules[~a]
                # most frequent first; literals: _PASS (0), children counts (1-4), _CHILD (6)
                if step == 0:
                    below = states[-2]
                    after = chain[below * span + top]
                    if after is None:
                        after = chain[below * span + top] = _chain(t, below, top, kind)
                    states[-1] = top = after
                    if after == end:
                        return values[-1]
                    continue
                if step == 1:
                    values[-1] = callback(state, values[-1])
                    del states[-1]
                elif step == 3:  # a binary operator, a group, a statement
                    right = pop()
                    middle = pop()
                    values[-1] = callback(state, values[-1], middle, right)
                    del states[-3:]
                elif step == 6:  # _CHILD: the value of a child, `callback` from the top
                    if size > 1:
                        value = values[-callback]
                        del values[-size:]
                        push(value)
                    del states[-size:]
                elif step == 4:  # a call
                    right = pop()
                    middle = pop()
                    second = pop()
                    values[-1] = callback(state, values[-1], second, middle, right)
                    del states[-4:]
                elif step == 2:
                    right = pop()
                    values[-1] = callback(state, values[-1], right)
                    del states[-2:]
                else:
                    _reduce(rules[~a], values, states, state)
                # goto, then straight on through the unit reductions that follow (if any)
                below = states[-1]
                key = goto[below]
                after = chain[key]
                if after is None:
                    after = chain[key] = _chain(t, below, key - below * span, kind)
                shift(after)
                top = after
                if after == end:
                    return values[-1]
    except (KeyError, IndexError, TypeError) as problem:
        # `row[top]` is None: no action for this terminal in this state, a syntax error
        if row is not None and states and row[states[-1]] is None:  # else a bug: Lark decides
            raise _found(Mistake(k, states[-1], kind), found) from None
        raise Fallback from problem
    except Mistake as mistake:
        raise _found(mistake, found) from None
    raise Fallback


#: Most piece texts of up to 4 characters kept for the process (operators, spaces, short names
#: and numbers: `x1`, `0.5`); longer ones are typed once per parse.
_KNOWN = 4096


def _reduce(rule: tuple[int, int, Any, list[int | None]],
            values: list[Any], states: list[int], state: object) -> None:
    """The general reduction: `size` children as a list (none, or more than 4, or with an
    inlined `_rule`'s children to splice in), replaced on the stack by the rule's value."""
    _, size, callback, _ = rule
    if size:
        children = values[-size:]
        del values[-size:]
        del states[-size:]
    else:
        children = []
    if callback is None:  # an inlined `_rule`: its children, to be spliced into the parent's
        values.append(_Flat(_flatten(children)))
    else:
        values.append(callback(state, *_flatten(children)))


def _found(mistake: Mistake, found: list[str]) -> Mistake:
    mistake.found = found
    return mistake


def _lookup(t: Tables, text: str, k: int) -> tuple[Any, ...]:
    """_entry, or a Mistake at piece `k` when the piece is no token of the language."""
    try:
        return _entry(t, text)
    except Fallback:
        raise Mistake(k) from None


def expected(t: Tables, state: int) -> set[str]:
    """The terminals parse state `state` has an action for (what Lark's errors call expected)."""
    return set(t.action[state])


def terminal(t: Tables, text: str) -> str | None:
    """The terminal a piece of text is (None for white space); the piece must be a token."""
    kind = _entry(t, text)[0]
    return None if kind is None else str(kind)


def _chain(t: Tables, below: int, top: int, kind: str) -> int:
    """The state on top after every unit reduction that lookahead `kind` triggers."""
    while top != t.end:
        a = t.action[top].get(kind)
        if a is None or a >= 0 or t.kinds[~a] != _PASS:
            break  # None: a syntax error, which the loop finds in the state it stops in
        top = t.goto[below][~a]
    return top


def _flatten(children: list[Any]) -> list[Any]:
    out: list[Any] = []
    for child in children:
        if type(child) is _Flat:
            out.extend(child)
        else:
            out.append(child)
    return out
