"""Every relative link of the README and the docs resolves: the file exists, and an anchor names a heading.

A docs page links only inside docs/ (MkDocs publishes nothing else); its ``--8<--`` includes name files that
exist, and a ``FILE:NAME`` include a section that FILE marks with ``[start:NAME]`` and ``[end:NAME]``.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import pytest

from tests.markdown import PAGES, ROOT, anchor, headings, text

_LINK = re.compile(r"\]\(([^)\s]+)\)")
_INCLUDE = re.compile(r'^--8<-- "([^"]+)"$', re.MULTILINE)


def links(page: str) -> list[str]:
    """The link targets of *page*, outside fenced blocks and inline code."""
    prose = re.sub(r"^```.*?^```", "", text(page), flags=re.MULTILINE | re.DOTALL)
    return _LINK.findall(re.sub(r"`[^`\n]*`", "", prose))


def resolve(page: str, target: str) -> tuple[str, str]:
    """The page-relative *target* as a path from the repository's root, and its anchor ('' when none)."""
    path, _, fragment = target.partition("#")
    if not path:
        return page, fragment
    joined = PurePosixPath(page).parent / path
    parts: list[str] = []
    for part in joined.parts:
        if part == "..":
            assert parts, f"{page}: {target} leaves the repository"
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts), fragment


@pytest.mark.parametrize("page", PAGES)
def test_every_relative_link_names_a_file_that_exists_and_a_heading_it_has(page: str) -> None:
    for target in links(page):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path, fragment = resolve(page, target)
        assert (ROOT / path).exists(), f"{page}: {target} does not exist"
        if page.startswith("docs/"):
            assert path.startswith("docs/"), f"{page}: {target} is outside docs/, which MkDocs does not publish"
        if fragment:
            assert path.endswith(".md"), f"{page}: {target} has an anchor but is not a page"
            assert fragment in {anchor(heading) for heading in headings(path)}, f"{page}: no heading for {target}"


@pytest.mark.parametrize("page", [page for page in PAGES if page.startswith("docs/")])
def test_every_include_names_a_file_and_a_section_that_exist(page: str) -> None:
    for include in _INCLUDE.findall(text(page)):
        path, _, section = include.partition(":")
        assert (ROOT / path).is_file(), f"{page}: {include} does not exist"
        if section:
            included = (ROOT / path).read_text(encoding="utf-8")
            assert f"[start:{section}]" in included, f"{page}: {include}"
            assert f"[end:{section}]" in included, f"{page}: {include}"


def test_the_checks_find_the_links_and_anchors_they_check() -> None:
    """The README links to the docs and to its own sections; a page and an anchor that do not exist are caught."""
    readme = links("README.md")
    assert "docs/lambda.md#deploy-without-pip" in readme
    assert "#troubleshooting" in readme
    assert resolve("docs/quality/index.md", "../lambda.md#deploy-without-pip") == (
        "docs/lambda.md",
        "deploy-without-pip",
    )
    assert "deploy-without-pip" in {anchor(heading) for heading in headings("docs/lambda.md")}
    assert "no-such-section" not in {anchor(heading) for heading in headings("docs/lambda.md")}
    assert (
        anchor("## In a framework of your own: `receive()` and `begin()`")
        == "in-a-framework-of-your-own-receive-and-begin"
    )
