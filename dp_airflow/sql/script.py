"""SQL scripts: split into statements and bind ``?`` placeholders, outside quotes and comments.

SqlActivity's ``scriptArgument`` values fill the script's JDBC-style ``?`` placeholders in order,
across statements. They are passed to the driver as query parameters, never spliced into SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOLLAR_TAG = re.compile(r"\$[A-Za-z_]*\$")


@dataclass(frozen=True)
class Statement:
    """One statement of a SQL script, with its parameters and line."""

    text: str
    """The statement with ``?`` turned into the driver's ``%s`` (and ``%`` doubled) when it
    takes parameters; as written otherwise."""
    parameters: tuple[str, ...]
    line: int
    """1-based line of the script where the statement starts."""
    source: str
    """The statement as written."""


class ScriptError(ValueError):
    """More or fewer ``scriptArgument`` values than ``?`` placeholders."""


def _scan(script: str) -> list[tuple[int, int, list[int]]]:
    """(start, end, placeholder offsets) of each statement; ``;`` ends one outside quotes."""
    out: list[tuple[int, int, list[int]]] = []
    start, i, n = 0, 0, len(script)
    marks: list[int] = []
    while i < n:
        c = script[i]
        if c in "'\"":
            i += 1
            while i < n:
                if script[i] == c:
                    if i + 1 < n and script[i + 1] == c:  # doubled quote inside a literal
                        i += 2
                        continue
                    break
                i += 1
        elif c == "-" and script.startswith("--", i):
            newline = script.find("\n", i)
            i = n - 1 if newline < 0 else newline
        elif c == "/" and script.startswith("/*", i):
            close = script.find("*/", i + 2)
            i = n - 1 if close < 0 else close + 1
        elif c == "$" and (tag := _DOLLAR_TAG.match(script, i)):
            close = script.find(tag.group(), tag.end())
            i = n - 1 if close < 0 else close + len(tag.group()) - 1
        elif c == "?":
            marks.append(i)
        elif c == ";":
            out.append((start, i, marks))
            start, marks = i + 1, []
        i += 1
    out.append((start, n, marks))
    return out


def statements(script: str, arguments: tuple[str, ...] = ()) -> list[Statement]:
    """The script's non-empty statements, each with its share of ``arguments``."""
    out: list[Statement] = []
    remaining = list(arguments)
    for start, end, marks in _scan(script):
        source = script[start:end]
        if not _has_code(source):
            continue
        lead = len(source) - len(source.lstrip())
        line = script.count("\n", 0, start + lead) + 1
        if not arguments:
            out.append(Statement(source.strip(), (), line, source.strip()))
            continue
        if len(marks) > len(remaining):
            raise ScriptError(
                f"statement at line {line} has {len(marks)} '?' placeholder(s) but only "
                f"{len(remaining)} scriptArgument value(s) remain"
            )
        pieces, cursor = [], start
        for mark in marks:
            pieces.append(script[cursor:mark].replace("%", "%%"))
            pieces.append("%s")
            cursor = mark + 1
        pieces.append(script[cursor:end].replace("%", "%%"))
        taken, remaining = remaining[: len(marks)], remaining[len(marks) :]
        out.append(Statement("".join(pieces).strip(), tuple(taken), line, source.strip()))
    if remaining:
        raise ScriptError(
            f"{len(arguments)} scriptArgument value(s) but only "
            f"{len(arguments) - len(remaining)} '?' placeholder(s) in the script"
        )
    return out


def _has_code(text: str) -> bool:
    stripped = re.sub(r"--[^\n]*|/\*.*?\*/", "", text, flags=re.DOTALL)
    return bool(stripped.strip())


def driver_placeholders(sql: str) -> str:
    """One statement's ``?`` placeholders (outside quotes and comments) as the driver's ``%s``."""
    text = sql.rstrip().rstrip(";")
    marks = [mark for _, _, found in _scan(text) for mark in found]
    pieces, cursor = [], 0
    for mark in marks:
        pieces += [text[cursor:mark].replace("%", "%%"), "%s"]
        cursor = mark + 1
    pieces.append(text[cursor:].replace("%", "%%"))
    return "".join(pieces)
