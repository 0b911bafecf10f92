"""The parse table copied out of Lark into lalr.Tables (once, when no cached copy verifies),
and Tables to and from the JSON data of that cache (parser.py reads and writes the file)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from exprdiff.syntax.lalr import _CALL, _FLAT, _PASS, _SPLICE, Tables

if TYPE_CHECKING:
    from lark import Lark

#: Version of the cached JSON form of Tables (to_data / from_data).
FORMAT = 1


def tables(lark: Lark) -> Tables:
    """Copy Lark's LALR table and terminals (already ordered by Lark's priority) into ints."""
    from lark.parsers.lalr_analysis import Shift

    lexer = lark.parser.lexer
    terminals = lexer.terminals
    pattern = ("|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)
               + "|(?P<_BAD>.)")
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
    return Tables(
        pattern=pattern, ignore=frozenset(lexer.ignore_types), action=tuple(action),
        goto=tuple(goto), sizes=tuple(len(r.expansion) for r in rules), kinds=tuple(kinds),
        names=tuple(names), start=table.start_states["start"], end=table.end_states["start"],
    )


def to_data(t: Tables) -> dict[str, Any]:
    """Tables as JSON-ready data (the parse table is cached, so valid input never loads Lark)."""
    return {"format": FORMAT, "pattern": t.pattern, "ignore": sorted(t.ignore),
            "action": list(t.action), "goto": [{str(k): v for k, v in row.items()}
                                               for row in t.goto],
            "sizes": list(t.sizes), "kinds": list(t.kinds), "names": list(t.names),
            "start": t.start, "end": t.end}


def from_data(data: dict[str, Any]) -> Tables:
    """The inverse of to_data; KeyError or ValueError when the data is not ours."""
    if data["format"] != FORMAT:
        raise ValueError("another format")
    return Tables(
        pattern=data["pattern"], ignore=frozenset(data["ignore"]),
        action=tuple(data["action"]),
        goto=tuple({int(k): v for k, v in row.items()} for row in data["goto"]),
        sizes=tuple(data["sizes"]), kinds=tuple(data["kinds"]), names=tuple(data["names"]),
        start=data["start"], end=data["end"],
    )
