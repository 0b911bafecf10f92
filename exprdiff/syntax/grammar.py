"""Where the grammar is read from and where parse tables are cached (the user's private folder);
the lexer's splitter made from the grammar's terminals."""

from __future__ import annotations

import os
import re

_GRAMMAR_NAME = "exprdiff.lark"


def grammar_text() -> str:
    """The grammar inside the installed package, or grammar/ beside it in a source checkout."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for path in (os.path.join(package, "grammar", _GRAMMAR_NAME),
                 os.path.join(os.path.dirname(package), "grammar", _GRAMMAR_NAME)):
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                return handle.read()
    from importlib import resources

    return resources.files("exprdiff").joinpath("grammar", _GRAMMAR_NAME).read_text(
        encoding="utf-8")


def cache_folder() -> str | None:
    """The user's private cache folder for parse tables (None: none can be had safely).

    `$XDG_CACHE_HOME/exprdiff` or `~/.cache/exprdiff`, created 0700. A folder that another user
    owns or can write to is refused: Lark's grammar cache in it is a pickle, and our table is
    trusted to parse correctly.
    """
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # unset, empty or relative: the XDG spec says use the default
        base = os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "exprdiff")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.stat(folder)
    except OSError:
        return None
    if os.name == "posix" and (info.st_uid != os.getuid() or info.st_mode & 0o022):
        return None
    return folder


def splitter(pattern: str) -> re.Pattern[str] | None:
    """`pattern` with every group made non-capturing, so that findall returns the matched
    texts themselves (None when that cannot be done safely, e.g. with a backreference)."""
    out: list[str] = []
    i, size, in_class = 0, len(pattern), False
    while i < size:
        char = pattern[i]
        if char == "\\":  # an escape: copied as it is
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":  # a class: a `]` first (after an optional `^`) is literal
            j = i + 1
            j += pattern.startswith("^", j)
            j += pattern.startswith("]", j)
            out.append(pattern[i:j])
            i, in_class = j, True
            continue
        elif char == "(" and pattern.startswith("?P<", i + 1):
            out.append("(?:")
            i = pattern.index(">", i) + 1
            continue
        elif char == "(" and not pattern.startswith("?", i + 1):
            out.append("(?:")
            i += 1
            continue
        out.append(char)
        i += 1
    text = "".join(out)
    if "(?P=" in text:
        return None
    try:
        compiled = re.compile(text, re.DOTALL)
    except re.error:
        return None
    return compiled if compiled.groups == 0 else None
