"""The README's and the documentation's Markdown as the tests read it: fenced blocks by section, links, headings.

A *page* is a path relative to the repository's root (``README.md``, ``docs/lambda.md``); a *section* is a
heading line exactly as written (``## Quick start``), or ``None`` for the lines above a page's first heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("README.md", *sorted(str(path.relative_to(ROOT)) for path in (ROOT / "docs").rglob("*.md")))

_FENCE = re.compile(r"^```(\w*)\s*$")
_HEADING = re.compile(r"^#{1,6} \S")
_MARKER = re.compile(r"^<!-- snippet: (\S+) -->$")
_INCLUDE = re.compile(r'^--8<-- "([^"]+)"$')


@dataclass(frozen=True)
class Block:
    """One fenced code block: its language, its code (ending with a newline), where it is, and what it shows.

    ``marker`` is the file named by a ``<!-- snippet: FILE -->`` line directly before the block (the block is
    that file, verbatim); ``include`` the file of a block whose only line is ``--8<-- "FILE"`` (MkDocs shows
    that file there).
    """

    page: str
    section: str | None
    language: str
    code: str
    marker: str | None
    include: str | None


def text(page: str) -> str:
    return (ROOT / page).read_text(encoding="utf-8")


def blocks(page: str) -> list[Block]:
    """Every fenced block of *page*, in order."""
    found: list[Block] = []
    section: str | None = None
    lines = text(page).splitlines(keepends=True)
    index = 0
    while index < len(lines):
        line = lines[index].rstrip("\n")
        opening = _FENCE.match(line)
        if opening is None:
            if _HEADING.match(line):
                section = line
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].rstrip("\n") == "```")
        code = "".join(lines[index + 1 : end])
        marker = _MARKER.match(lines[index - 1].rstrip("\n")) if index else None
        include = _INCLUDE.match(code.strip())
        found.append(
            Block(
                page,
                section,
                opening.group(1),
                code,
                marker.group(1) if marker else None,
                include.group(1) if include else None,
            )
        )
        index = end + 1
    return found


def python_snippets(page: str, section: str | None) -> list[str]:
    """The code of the Python blocks written out under *section* of *page* (not example files, not includes)."""
    return [
        block.code
        for block in blocks(page)
        if block.section == section and block.language == "python" and block.marker is None and block.include is None
    ]


def fenced_code(page: str, section: str, language: str) -> str:
    """The code of the first *language* block under *section* of *page*."""
    return next(block.code for block in blocks(page) if block.section == section and block.language == language)


def headings(page: str) -> list[str]:
    """The heading lines of *page*, outside fenced blocks."""
    found: list[str] = []
    fenced = False
    for line in text(page).splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and _HEADING.match(line):
            found.append(line)
    return found


def anchor(heading: str) -> str:
    """The anchor GitHub and MkDocs give a heading: lower case, punctuation dropped, spaces as hyphens."""
    title = heading.lstrip("#").strip().lower()
    return re.sub(r"[^\w\- ]", "", title).replace(" ", "-")
