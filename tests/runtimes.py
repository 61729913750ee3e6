"""Locating and preparing the real runtimes the ``runtime``-marked tests drive (no tests here).

Everything fetched is cached under ``.ci/cache/`` (git-ignored) and fetched only through the
ordinary clients (pip, npm).  Under ``CI=true`` a piece that cannot be found or fetched fails
the test; elsewhere it skips with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).parent.parent
CACHE = ROOT / ".ci" / "cache"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> NoReturn:
    """Fail under CI, skip elsewhere: a runtime that cannot be prepared is never silently passed."""
    if IN_CI:
        pytest.fail(f"runtime unavailable under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


def run(args: list[str], *, timeout: float = 600, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def lambda_rie() -> Path:
    """AWS's Runtime Interface Emulator binary, extracted from the ``aws-sam-cli`` wheel on first use."""
    binary = CACHE / "sam" / "aws-lambda-rie-x86_64"
    if binary.is_file():
        return binary
    binary.parent.mkdir(parents=True, exist_ok=True)
    done = run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "aws-sam-cli", "-d", str(binary.parent)])
    wheels = sorted(binary.parent.glob("aws_sam_cli-*.whl"))
    if done.returncode != 0 or not wheels:
        unavailable(f"pip download aws-sam-cli failed: {done.stderr.strip()[-500:]}")
    with zipfile.ZipFile(wheels[-1]) as wheel:
        data = wheel.read("samcli/local/rapid/aws-lambda-rie-x86_64")
    partial = binary.with_suffix(".partial")
    partial.write_bytes(data)
    partial.chmod(0o755)
    partial.replace(binary)
    return binary


def python_tag(python: str) -> str:
    done = run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
    if done.returncode != 0:
        unavailable(f"{python} does not run: {done.stderr.strip()}")
    return done.stdout.strip()


def runtime_packages(python: str, *requirements: str) -> Path:
    """A folder with *requirements* installed for *python* (``pip install --target``), cached per version."""
    key = re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(sorted(requirements)))
    target = CACHE / "lambda-runtime" / f"{python_tag(python)}-{key}"
    if (target / ".complete").is_file():
        return target
    shutil.rmtree(target, ignore_errors=True)
    done = run([python, "-m", "pip", "install", "-q", "--target", str(target), *requirements])
    if done.returncode != 0:
        unavailable(f"pip install {' '.join(requirements)} for {python} failed: {done.stderr.strip()[-500:]}")
    (target / ".complete").touch()
    return target


def matrix_pythons() -> list[str]:
    """The interpreters to drive: ``RUNTIME_PYTHONS`` (whitespace-separated paths) or the running one."""
    return os.environ.get("RUNTIME_PYTHONS", "").split() or [sys.executable]


def pyodide(version: str) -> Path:
    """The npm package ``pyodide@version`` (its folder), installed under ``.ci/cache/`` on first use."""
    folder = CACHE / f"pyodide-{version}"
    package = folder / "node_modules" / "pyodide"
    if (package / "pyodide.asm.wasm").is_file():
        return package
    if shutil.which("node") is None or shutil.which("npm") is None:
        unavailable("Node.js and npm are needed to run Pyodide")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text('{"private": true}\n')
    done = run(["npm", "install", "--no-save", "--no-audit", "--no-fund", f"pyodide@{version}"], cwd=folder)
    if done.returncode != 0 or not (package / "pyodide.asm.wasm").is_file():
        unavailable(f"npm install pyodide@{version} failed: {done.stderr.strip()[-500:]}")
    return package


def pure_wheels(python_version: str, *requirements: str) -> Path:
    """*requirements* unpacked from pure wheels only (``--platform any``), for a Pyodide of *python_version*."""
    key = re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(sorted(requirements)))
    target = CACHE / f"pyodide-site-{python_version}-{key}"
    if (target / ".complete").is_file():
        return target
    shutil.rmtree(target, ignore_errors=True)
    done = run(
        [
            *(sys.executable, "-m", "pip", "install", "-q", "--target", str(target), "--only-binary=:all:"),
            *("--platform", "any", "--implementation", "py", "--abi", "none", "--python-version", python_version),
            *requirements,
        ]
    )
    if done.returncode != 0:
        unavailable(f"no pure wheels of {requirements} for Python {python_version}: {done.stderr.strip()[-500:]}")
    (target / ".complete").touch()
    return target
