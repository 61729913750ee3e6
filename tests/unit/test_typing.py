"""User code type-checks against the package: an exhaustive ``match`` passes mypy --strict and pyright strict.

The snippet is generated from ``EVENT_TYPES`` (one ``case`` per event class,
then ``UnknownWebhookEvent``, then ``assert_never``), so it stays complete as
event types are added; the same snippet with one case removed must fail both
checkers at the ``assert_never`` line.  A third file imports every name of the
run-time ``__all__``: the checkers, which read the package's star imports
instead, must see each one exported.  A fourth uses the test helpers: given
an event class, ``testing.make_event`` returns that class.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import openai_webhook_events
from openai_webhook_events import EVENT_TYPES, UnknownWebhookEvent

ROOT = Path(__file__).resolve().parents[2]
REMOVED = EVENT_TYPES["batch.failed"].__name__

pytestmark = pytest.mark.tools  # the `test` extra's tools: type checkers, build, the contract's SDK


def _snippet(*, omit: str | None = None) -> str:
    classes = [cls.__name__ for cls in EVENT_TYPES.values() if cls.__name__ != omit] + [UnknownWebhookEvent.__name__]
    cases = "".join(f"        case {name}():\n            return {name!r}\n" for name in classes)
    return (
        "from typing_extensions import assert_never\n\n"
        "from openai_webhook_events import (\n"
        + "".join(f"    {name},\n" for name in classes)
        + "    WebhookEvent,\n    parse_event,\n)\n\n\n"
        "def describe(event: WebhookEvent) -> str:\n"
        "    match event:\n"
        f"{cases}"
        "        case _:\n"
        "            assert_never(event)\n\n\n"
        'print(describe(parse_event({"type": "x", "id": "e", "created_at": 0, "data": {}})))\n'
    )


def _public_names_snippet() -> str:
    names = sorted(openai_webhook_events.__all__)
    return (
        "from openai_webhook_events import (\n"
        + "".join(f"    {name},\n" for name in names)
        + f")\n\nprint({', '.join(names)})\n"
    )


HELPERS_SNIPPET = """\
from typing import Any

from typing_extensions import assert_type

from openai_webhook_events import ResponseCompletedWebhookEvent, WebhookEvent
from openai_webhook_events.testing import lambda_event, make_event, make_payload, signed_request

assert_type(make_event(ResponseCompletedWebhookEvent, id="evt_1"), ResponseCompletedWebhookEvent)
assert_type(make_event("response.completed"), WebhookEvent)
assert_type(make_payload(ResponseCompletedWebhookEvent, data={"id": "resp_1"}), dict[str, Any])
assert_type(signed_request(make_payload("batch.failed"), "whsec_" + "QUJD" * 8), tuple[bytes, dict[str, str]])
assert_type(lambda_event(make_event("batch.failed"), "whsec_" + "QUJD" * 8, shape="alb"), dict[str, Any])
print(make_event(ResponseCompletedWebhookEvent).data.id)
"""


@pytest.fixture(scope="module")
def snippets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("typing")
    (folder / "exhaustive.py").write_text(_snippet())
    (folder / "missing_case.py").write_text(_snippet(omit=REMOVED))
    (folder / "public_names.py").write_text(_public_names_snippet())
    (folder / "helpers.py").write_text(HELPERS_SNIPPET)
    (folder / "mypy.ini").write_text("[mypy]\n")
    (folder / "pyrightconfig.json").write_text(
        json.dumps({"typeCheckingMode": "strict", "pythonVersion": "3.10", "extraPaths": [str(ROOT)]})
    )
    return folder


def _assert_never_line(folder: Path) -> int:
    lines = (folder / "missing_case.py").read_text().splitlines()
    return lines.index("            assert_never(event)") + 1


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_snippet_has_one_case_per_event_class_and_the_unknown_class() -> None:
    snippet = _snippet()
    assert snippet.count("        case ") == len(EVENT_TYPES) + 2
    assert f"case {REMOVED}()" not in _snippet(omit=REMOVED)


def test_mypy_strict_accepts_the_exhaustive_match_and_rejects_a_missing_case(snippets: Path) -> None:
    result = _run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--python-version",
            "3.10",
            "--no-incremental",
            "--config-file",
            "mypy.ini",
            "exhaustive.py",
            "missing_case.py",
            "public_names.py",
            "helpers.py",
        ],
        snippets,
        env={**os.environ, "MYPYPATH": str(ROOT)},  # the checkout, also when installed in editable mode
    )
    output = result.stdout + result.stderr
    errors = [line for line in output.splitlines() if ": error:" in line]
    assert not [e for e in errors if e.startswith(("exhaustive.py", "public_names.py", "helpers.py"))], output
    line = _assert_never_line(snippets)
    assert [e for e in errors if e.startswith(f"missing_case.py:{line}:") and REMOVED in e], output
    assert all(e.startswith(f"missing_case.py:{line}:") for e in errors), output
    assert result.returncode == 1, output


def test_pyright_strict_accepts_the_exhaustive_match_and_rejects_a_missing_case(snippets: Path) -> None:
    pyright = shutil.which("pyright", path=str(Path(sys.executable).parent)) or shutil.which("pyright")
    assert pyright, "pyright is in the test extra"
    result = _run(
        [
            pyright,
            "--outputjson",
            "--pythonpath",
            sys.executable,
            "exhaustive.py",
            "missing_case.py",
            "public_names.py",
            "helpers.py",
        ],
        snippets,
    )
    report = json.loads(result.stdout)
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    assert not [d for d in errors if Path(d["file"]).name in ("exhaustive.py", "public_names.py", "helpers.py")], errors
    line = _assert_never_line(snippets)
    missing = [d for d in errors if Path(d["file"]).name == "missing_case.py"]
    assert missing, report
    assert all(d["range"]["start"]["line"] + 1 == line for d in missing), missing
    assert any(re.search(REMOVED, d["message"]) for d in missing), missing
    assert result.returncode == 1, result.stdout
