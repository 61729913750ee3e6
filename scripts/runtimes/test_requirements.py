"""Install the package with its ``test`` extra into the running interpreter, leaving out only what cannot install.

    python scripts/runtimes/test_requirements.py install REPO [EXTRA]

Tries ``pip install -e REPO[EXTRA]`` first (EXTRA: ``test-run`` unless given).  If that fails
(a test requirement with no wheel and no buildable sdist for this interpreter), installs the
package alone and then each test requirement on its own, and for every requirement that still fails prints the pytest
arguments that leave out exactly the test files importing it (``--ignore=tests/x.py``) on
stdout, with the requirement, the files and pip's last error line on stderr.  A test file
that fails for any other reason still runs and fails: nothing about the package is hidden.
Exits non-zero if the package itself or pytest cannot be installed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import tomllib  # type: ignore[import-not-found,unused-ignore]  # runs on 3.14/3.15; mypy checks as 3.10

# Distributions whose import name is not their normalised project name.
IMPORT_NAMES = {
    "pytest-cov": "pytest_cov",
    "typing-extensions": "typing_extensions",
    "aws-sam-cli": "samcli",
    "azure-functions": "azure.functions",
    "functions-framework": "functions_framework",
    "pyyaml": "yaml",
    "cfn-lint": "cfnlint",
}
# Without these the suite cannot run at all.
ESSENTIAL = {"pytest", "hypothesis", "pytest-cov"}


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", *args], capture_output=True, text=True, check=False
    )


def _project_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _files_importing(tests: Path, module: str) -> list[str]:
    """The test files importing *module* at module level (a lazy import inside a test still fails there)."""
    pattern = re.compile(rf"^(import|from)\s+{re.escape(module)}(\.|\s|$)", re.MULTILINE)
    return sorted(
        str(path.relative_to(tests.parent)) for path in tests.rglob("test_*.py") if pattern.search(path.read_text())
    )


def install(repo: Path, extra_name: str = "test-run") -> int:
    if _pip("-e", f"{repo}[{extra_name}]").returncode == 0:
        return 0
    base = _pip("-e", str(repo))
    if base.returncode != 0:
        print(f"FAILED: the package itself does not install:\n{base.stderr}", file=sys.stderr)
        return 1
    extras = tomllib.loads((repo / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    extra = [r for r in extras[extra_name] if not r.startswith("openai-webhook-events[")]
    status = 0
    version = "{}.{}".format(*sys.version_info[:2])
    for requirement in extra:
        result = _pip(requirement)
        if result.returncode == 0:
            continue
        name = _project_name(requirement)
        last_error = next((line for line in reversed(result.stderr.splitlines()) if line.strip()), "")
        if name in ESSENTIAL:
            print(f"FAILED: {requirement} does not install on {version}: {last_error}", file=sys.stderr)
            status = 1
            continue
        files = _files_importing(repo / "tests", IMPORT_NAMES.get(name, name.replace("-", "_")))
        print(
            f"LEFT OUT on {version}: {requirement} does not install ({last_error}); "
            f"not collected: {', '.join(files) or 'no test file imports it'}",
            file=sys.stderr,
        )
        for file in files:
            print(f"--ignore={file}")
    return status


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4) or sys.argv[1] != "install":
        sys.exit(__doc__)
    sys.exit(install(Path(sys.argv[2]), *sys.argv[3:]))
