"""The README is the front door: at most 400 lines, contents first, Troubleshooting; its framework snippets
are the files of examples/ verbatim; its first command works on a fresh clone exactly as written."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.markdown import PAGES, ROOT, anchor, blocks, fenced_code, headings, text
from tests.servers import free_port, missing

README_SNIPPETS = {  # the places the README shows one snippet for, each an example file that its tests serve
    "## AWS Lambda": "examples/lambda_function.py",
    "## Flask": "examples/flask_app.py",
    "## FastAPI and Starlette": "examples/fastapi_app.py",
    "## Django": "examples/django_app.py",
    "## Any WSGI or ASGI server": "examples/wsgi_app.py",
}


def test_every_marked_block_is_its_example_file_byte_for_byte() -> None:
    marked = [block for page in PAGES for block in blocks(page) if block.marker is not None]
    assert {block.section: block.marker for block in marked if block.page == "README.md"} == README_SNIPPETS
    for block in marked:
        assert block.code == (ROOT / str(block.marker)).read_text(encoding="utf-8"), (
            f"{block.page}, {block.section}: the block differs from {block.marker}"
        )


def test_the_readme_is_at_most_400_lines_and_opens_with_its_contents() -> None:
    readme = text("README.md")
    assert len(readme.splitlines()) <= 400
    contents = next(line for line in readme.split("\n\n") if line.startswith("**Contents:**"))
    assert readme.index(contents) < readme.index("\n## ")  # before the first section
    sections = [heading for heading in headings("README.md") if heading.startswith("## ")]
    assert re.findall(r"\]\(#([^)]+)\)", contents) == [anchor(heading) for heading in sections]


def test_the_readmes_troubleshooting_covers_what_breaks_between_a_framework_and_openai() -> None:
    section = text("README.md").split("\n## Troubleshooting\n", 1)[1].split("\n## ", 1)[0]
    for topic in ("raw body", "API key", "quotes", "truncated", "clock", "redirect", "trailing slash", "proxy",
                  "413", "base64", "payload formats", "CSRF"):  # fmt: skip
        assert topic in section, topic


def test_the_readmes_first_command_parses_an_example_payload_on_a_fresh_clone(tmp_path: Path) -> None:
    command = fenced_code("README.md", "## Try it", "sh").strip()
    assert command == "python3 -m openai_webhook_events parse openai_webhook_events/payloads/response.completed.json"
    clone = tmp_path / "clone"  # what a clone holds of the package: no site-packages (-S), only the folder
    shutil.copytree(ROOT / "openai_webhook_events", clone / "openai_webhook_events",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-E", "-S", *command.split()[1:]],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("ResponseCompletedWebhookEvent(")


def test_the_command_line_pages_commands_run_as_written_one_after_another(tmp_path: Path) -> None:
    """The shell blocks of docs/cli.md ("Command line"), in order in one shell (the last verifies what the one
    before signed)."""
    script = "".join(block.code for block in blocks("docs/cli.md") if block.language == "sh")
    shutil.copytree(ROOT / "openai_webhook_events", tmp_path / "openai_webhook_events",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    python3 = f'python3() {{ "{sys.executable}" -E -S "$@"; }}\n'  # this interpreter, no site-packages
    result = subprocess.run(
        ["sh", "-euc", python3 + script], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")
    printed = result.stdout.splitlines()
    assert printed[0].startswith("ResponseCompletedWebhookEvent(")
    assert any(line.startswith("curl ") for line in printed)
    assert printed[-1].startswith("ResponseCompletedWebhookEvent(")  # verify: the signed payload, typed


@pytest.mark.parametrize(
    ("page", "section"),
    [("README.md", "## Send yourself a delivery"), ("docs/wsgi-asgi.md", "## Try it")],
)
def test_the_serve_and_post_commands_run_as_written_and_the_app_answers_ok(
    page: str, section: str, tmp_path: Path
) -> None:
    """The shell block starts the app (Flask, gunicorn) on ``$PORT`` in the background, waits until it answers,
    posts a signed delivery with ``sign --curl ... | sh`` and stops the app: run with ``PORT`` a free port, from
    the checkout's root, this interpreter's scripts first on ``PATH``."""
    if shutil.which("curl") is None:
        missing("curl")
    script = fenced_code(page, section, "sh")
    assert "PORT=${PORT:-8000}" in script
    assert script.endswith("| sh\nkill $!\n")
    env = {**os.environ, "PORT": str(free_port()), "PYTHONPATH": str(ROOT),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}  # fmt: skip
    with (tmp_path / "out").open("w+") as out, (tmp_path / "err").open("w+") as err:
        shell = subprocess.Popen(["sh", "-euc", script], cwd=ROOT, env=env, stdout=out, stderr=err,
                                 start_new_session=True)  # fmt: skip
        try:
            returncode = shell.wait(timeout=120)
        finally:  # the app too, when the script stopped before its `kill`: the group of the shell started here
            with contextlib.suppress(ProcessLookupError):
                os.killpg(shell.pid, signal.SIGTERM)
        out.seek(0)
        err.seek(0)
        printed, logged = out.read(), err.read()
    assert returncode == 0, logged[-2000:]
    assert '{"message": "ok"}' in printed, (printed, logged[-2000:])
    assert "\nHTTP 200 " in printed, printed  # the status line the printed curl writes after the answer
