"""A tight LALR(1) loop over Lark's own parse tables and terminals: the fast path of parsing.

Lark compiles grammar/exprdiff.lark into its parse table and lexer terminals once (cached across
processes); this module copies both into plain dicts and ints and runs the shift/reduce loop
itself, calling one small callback per reduced rule. It does no error reporting: on any
mistake it raises `Fallback`, and parser.py re-parses with Lark, whose errors it translates.
The grammar file stays the single source of the language; nothing here knows its rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lark import Lark

#: Version of the cached JSON form of Tables (to_data / from_data).
FORMAT = 1


class Fallback(Exception):  # noqa: N818 - a signal, not an error seen by users
    """The fast path met something it does not handle (any error): use Lark itself."""


# Rule kinds: how a reduction turns its children into one value. _SPLICE: a callback whose
# children include an inlined `_rule`'s list.
_PASS, _CALL, _FLAT, _SPLICE = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class Tables:
    """Lark's parse table as ints: action[state][terminal] ≥ 0 shifts, < 0 reduces rule ~a."""

    scanner: re.Pattern[str]
    ignore: frozenset[str]
    action: tuple[dict[str, int], ...]
    goto: tuple[dict[int, int], ...]  # goto[state][rule index] → state after reducing it
    sizes: tuple[int, ...]
    kinds: tuple[int, ...]
    names: tuple[str, ...]  # callback name per rule (alias, or the rule's own name)
    start: int
    end: int
    # The same, indexed for the loop: rows[terminal][state], gotos[rule][state] (None: none).
    rows: dict[str, list[int | None]]
    gotos: list[list[int | None]]
    chains: dict[str, dict[int, int]]  # per lookahead, (below, top) → top after unit reductions


def _make(**fields: Any) -> Tables:
    action, goto = fields["action"], fields["goto"]
    count = len(action)
    terminals = {symbol for row in action for symbol in row}
    rows = {symbol: [row.get(symbol) for row in action] for symbol in terminals}
    gotos = [[goto[state].get(rule) for state in range(count)]
             for rule in range(len(fields["sizes"]))]
    return Tables(**fields, rows=rows, gotos=gotos, chains={symbol: {} for symbol in terminals})


def tables(lark: Lark) -> Tables:
    """Copy Lark's LALR table and terminals (already ordered by Lark's priority) into ints."""
    from lark.parsers.lalr_analysis import Shift

    lexer = lark.parser.lexer
    terminals = lexer.terminals
    scanner = re.compile("|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)
                         + "|(?P<_BAD>.)", re.DOTALL)
    table = lark.parser.parser.parser.parse_table
    rules = list(lark.rules)
    index = {id(rule): k for k, rule in enumerate(rules)}
    count = max(table.states) + 1
    action: list[dict[str, int]] = [{} for _ in range(count)]
    goto: list[dict[int, int]] = [{} for _ in range(count)]
    for state, row in table.states.items():
        for symbol, (kind, arg) in row.items():
            if not symbol.isupper() and symbol != "$END":
                continue
            action[state][symbol] = arg if kind is Shift else ~index[id(arg)]
        for k, rule in enumerate(rules):
            entry = row.get(rule.origin.name)
            if entry is not None and entry[0] is Shift:
                goto[state][k] = entry[1]
    kinds: list[int] = []
    names: list[str] = []
    for rule in rules:
        size = len(rule.expansion)
        origin = rule.origin.name
        if rule.alias:
            kinds.append(_CALL)
            names.append(rule.alias)
        elif rule.options.expand1 and size == 1:
            kinds.append(_PASS)
            names.append(origin)
        elif origin.startswith("_"):
            kinds.append(_FLAT)
            names.append(origin)
        else:
            kinds.append(_CALL)
            names.append(origin)
    flat = {rule.origin.name for rule, kind in zip(rules, kinds, strict=True) if kind == _FLAT}
    for k, rule in enumerate(rules):
        if kinds[k] == _CALL and any(symbol.name in flat for symbol in rule.expansion):
            kinds[k] = _SPLICE
    return _make(
        scanner=scanner, ignore=frozenset(lexer.ignore_types), action=tuple(action),
        goto=tuple(goto), sizes=tuple(len(r.expansion) for r in rules), kinds=tuple(kinds),
        names=tuple(names), start=table.start_states["start"], end=table.end_states["start"],
    )


def to_data(t: Tables) -> dict[str, Any]:
    """Tables as JSON-ready data (the parse table is cached, so valid input never loads Lark)."""
    return {"format": FORMAT, "pattern": t.scanner.pattern, "ignore": sorted(t.ignore),
            "action": list(t.action), "goto": [{str(k): v for k, v in row.items()}
                                               for row in t.goto],
            "sizes": list(t.sizes), "kinds": list(t.kinds), "names": list(t.names),
            "start": t.start, "end": t.end}


def from_data(data: dict[str, Any]) -> Tables:
    """The inverse of to_data; KeyError or ValueError when the data is not ours."""
    if data["format"] != FORMAT:
        raise ValueError("another format")
    return _make(
        scanner=re.compile(data["pattern"], re.DOTALL), ignore=frozenset(data["ignore"]),
        action=tuple(data["action"]),
        goto=tuple({int(k): v for k, v in row.items()} for row in data["goto"]),
        sizes=tuple(data["sizes"]), kinds=tuple(data["kinds"]), names=tuple(data["names"]),
        start=data["start"], end=data["end"],
    )


def tokens(t: Tables, text: str) -> tuple[list[str], list[str], list[int]]:
    """Types, texts and 0-based start offsets of the tokens, `$END` last; Fallback on a bad char."""
    types: list[str] = []
    texts: list[str] = []
    starts: list[int] = []
    ignore = t.ignore
    for match in t.scanner.finditer(text):
        kind = match.lastgroup
        if kind in ignore:
            continue
        if kind == "_BAD":
            raise Fallback
        types.append(kind)  # type: ignore[arg-type]
        texts.append(match.group())
        starts.append(match.start())
    types.append("$END")
    texts.append("")
    starts.append(len(text))
    return types, texts, starts


class _Flat(list[Any]):
    """Children of an inlined `_rule`, spliced into the parent's children."""


Bound = list[Callable[..., Any] | None]  # a callback per rule, by rule index


def bind(t: Tables, callbacks: Mapping[str, Callable[..., Any]]) -> Bound:
    """The callbacks in rule order (None for rules that need none); done once per process."""
    return [callbacks[name] if kind in (_CALL, _SPLICE) else None
            for name, kind in zip(t.names, t.kinds, strict=True)]


def run(t: Tables, types: list[str], funcs: Bound, state: object) -> Any:
    """Shift/reduce over token `types`; terminals enter the value stack as their token index.

    `funcs[rule](state, *children)` builds the value of a rule (see bind). A chain of unit
    reductions (`atom → power → unary → product → sum`) is taken in one step, memoised on
    (state below, state on top, lookahead).
    """
    rows = t.rows
    gotos = t.gotos
    sizes = t.sizes
    kinds = t.kinds
    chains = t.chains
    end = t.end
    states = [t.start]
    values: list[Any] = []
    push = values.append
    shift = states.append
    try:
        for k, kind in enumerate(types):
            row = rows[kind]
            chain = chains[kind]
            while True:
                top = states[-1]
                a = row[top]  # None (no action: a syntax error) fails the comparison
                if a >= 0:  # type: ignore[operator]
                    shift(a)  # type: ignore[arg-type]
                    push(k)
                    break
                rule = ~a  # type: ignore[operator]
                form = kinds[rule]
                if form == _PASS:
                    below = states[-2]
                    after = chain.get(below * 4096 + top)
                    if after is None:
                        after = chain[below * 4096 + top] = _chain(t, below, top, kind)
                    states[-1] = after
                else:
                    size = sizes[rule]
                    if size:
                        children = values[-size:]
                        del values[-size:]
                        del states[-size:]
                    else:
                        children = []
                    if form == _CALL:
                        push(funcs[rule](state, *children))  # type: ignore[misc]
                    elif form == _FLAT:
                        push(_Flat(_flatten(children)))
                    else:
                        push(funcs[rule](state, *_flatten(children)))  # type: ignore[misc]
                    shift(gotos[rule][states[-1]])  # type: ignore[arg-type]
                if states[-1] == end:
                    return values[-1]
    except (KeyError, IndexError, TypeError) as problem:
        raise Fallback from problem
    raise Fallback


def _chain(t: Tables, below: int, top: int, kind: str) -> int:
    """The state on top after every unit reduction that lookahead `kind` triggers."""
    while top != t.end:
        a = t.action[top][kind]
        if a >= 0 or t.kinds[~a] != _PASS:
            break
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
