"""The version is written once (``__version__``), read by the build, and released in the changelog."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import openai_webhook_events

ROOT = Path(__file__).resolve().parents[2]


def _project_table() -> str:
    pyproject = (ROOT / "pyproject.toml").read_text()
    return pyproject.split("\n[project]\n", 1)[1].split("\n[", 1)[0]


def test_pyproject_reads_the_version_from_the_package() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^dynamic = \["version"\]', _project_table(), re.MULTILINE)
    assert not re.search(r"^version\s*=", _project_table(), re.MULTILINE), "the version is written once"
    dynamic = pyproject.split("\n[tool.setuptools.dynamic]\n", 1)[1].split("\n[", 1)[0]
    assert dynamic.strip() == 'version = { attr = "openai_webhook_events.__version__" }'


def test_the_installed_distribution_has_the_package_version() -> None:
    assert importlib.metadata.version("openai-webhook-events") == openai_webhook_events.__version__


def test_the_changelog_releases_the_package_version_below_unreleased() -> None:
    headings = re.findall(r"^## \[([^\]]+)\](.*)$", (ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert headings[0] == ("Unreleased", "")
    version, date = headings[1]
    assert version == openai_webhook_events.__version__
    assert re.fullmatch(r" - \d{4}-\d{2}-\d{2}", date), date
