"""``scripts/contract.py``: the contract regenerates from the pinned SDK, and ``--check`` reports drift with a diff."""

from __future__ import annotations

import copy
import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from openai_webhook_events import EVENT_TYPES, parse_event
from tests.strategies import CONTRACT

pytestmark = pytest.mark.tools  # the `test` extra's tools: type checkers, build, the contract's SDK

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "contract.py"
CONTRACT_FILE = ROOT / "tests" / "data" / "openai-webhook-events.json"
DOCUMENTED_FILE = ROOT / "tests" / "data" / "openai-webhook-events-documented.json"


def contract_script(*args: str | Path, sdk_patch: str = "") -> subprocess.CompletedProcess[str]:
    """Run the script; *sdk_patch*, Python run first in the same interpreter, changes the SDK it sees."""
    argv = [str(SCRIPT), *map(str, args)]
    run = [sys.executable, *argv]
    if sdk_patch:
        main = "runpy.run_path(sys.argv[0], run_name='__main__')"
        run = [sys.executable, "-c", "\n".join(["import runpy, sys", sdk_patch, f"sys.argv = {argv!r}", main])]
    return subprocess.run(run, capture_output=True, text=True, timeout=300, check=False)


def _diff(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stdout.splitlines() if line[:2] in ("+ ", "- ", "~ ")]


def _write(path: Path, contract: dict[str, Any]) -> Path:
    path.write_text(json.dumps(contract, indent=1) + "\n")
    return path


def test_the_installed_sdk_is_the_version_pinned_in_the_contract_extra() -> None:
    pinned = re.search(r'contract = \["openai==([0-9.]+)"\]', (ROOT / "pyproject.toml").read_text())
    assert pinned is not None
    assert importlib.metadata.version("openai") == pinned.group(1)


def test_check_passes_against_the_pinned_sdk() -> None:
    result = contract_script("--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == (
        f"openai-webhook-events.json ({json.loads(CONTRACT_FILE.read_text())['source']}) agrees with the installed "
        f"openai-python {importlib.metadata.version('openai')}; openai-webhook-events-documented.json holds what it "
        "does not model: video.completed, video.failed.\n"
    )


def test_check_fails_naming_a_type_the_contract_lacks_and_prints_its_skeleton(tmp_path: Path) -> None:
    contract = json.loads(CONTRACT_FILE.read_text())
    del contract["events"]["batch.failed"]
    result = contract_script("--check", "--contract", _write(tmp_path / "contract.json", contract))
    assert result.returncode == 1, result.stdout + result.stderr
    assert _diff(result) == [
        "+ batch.failed: a new event type in the SDK (BatchFailedWebhookEvent), not in the contract"
    ]
    out = result.stdout
    class_line = 'class BatchFailedWebhookEvent(_Envelope[ResourceData, Literal["batch.failed"]]):'
    registry_line = '\n    "batch.failed": (models.BatchFailedWebhookEvent, _resource_data),\n'
    assert class_line in out
    assert '    """Sent when a batch API request has failed."""\n    __slots__ = ()\n' in out
    assert "\n    BatchFailedWebhookEvent,\n" in out  # the union member
    assert registry_line in out
    # The skeleton is the code as the package writes it: pasted, it is what stands there for the real type.
    package = ROOT / "openai_webhook_events"
    assert class_line in (package / "_models.py").read_text()
    assert "\n    BatchFailedWebhookEvent,\n" in (package / "_models.py").read_text()
    assert registry_line in (package / "_parse.py").read_text()
    example = json.loads(out[out.index("# openai_webhook_events/payloads/batch.failed.json") :].split("\n", 1)[1])
    assert type(parse_event(example)) is EVENT_TYPES["batch.failed"]
    assert list(example) == ["id", "object", "created_at", "type", "data"]


def test_check_fails_naming_each_field_type_and_required_flag_that_differs(tmp_path: Path) -> None:
    contract = copy.deepcopy(json.loads(CONTRACT_FILE.read_text()))
    events = contract["events"]
    events["batch.failed"]["fields"]["created_at"]["required"] = False
    events["batch.failed"]["fields"]["data"]["type"]["fields"]["id"]["type"] = "integer"
    sip_header = events["live.call.incoming"]["fields"]["data"]["type"]["fields"]["sip_headers"]["type"]["list"]
    sip_header["fields"]["extra"] = {"type": "string", "required": True}
    del events["safety_identifier.blocked"]["fields"]["data"]["type"]["fields"]["model"]
    events["brand.new"] = {"class": "BrandNewWebhookEvent", "fields": {}}
    result = contract_script("--check", "--contract", _write(tmp_path / "contract.json", contract))
    assert result.returncode == 1
    assert _diff(result) == [
        "~ batch.failed: field created_at: optional in the contract, required in the SDK",
        "~ batch.failed: field data.id: type integer in the contract, string in the SDK",
        "- brand.new: in the contract (BrandNewWebhookEvent), no longer in the SDK",
        "- live.call.incoming: field data.sip_headers[].extra: in the contract (string, required), not in the SDK",
        "+ safety_identifier.blocked: field data.model: in the SDK (string | null, optional), not in the contract",
    ]


def test_regenerating_writes_the_committed_contract_from_the_sdk(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.json"
    result = contract_script("--contract", fresh, "--examples", tmp_path / "examples")
    assert result.returncode == 0, result.stderr
    committed = CONTRACT_FILE.read_text().splitlines(keepends=True)
    written = fresh.read_text().splitlines(keepends=True)
    assert written[1] == f' "source": "openai-python {importlib.metadata.version("openai")}",\n'
    assert written[:1] + written[2:] == committed[:1] + committed[2:]  # byte for byte but the source line
    assert sorted(p.stem for p in (tmp_path / "examples").glob("*.json")) == sorted(CONTRACT)


def test_regenerating_with_an_sdk_that_agrees_leaves_the_file_byte_identical(tmp_path: Path) -> None:
    copy_of_contract = tmp_path / "contract.json"
    copy_of_contract.write_bytes(CONTRACT_FILE.read_bytes())
    result = contract_script("--contract", copy_of_contract, "--examples", ROOT / "openai_webhook_events" / "payloads")
    assert result.returncode == 0, result.stderr
    assert "is up to date" in result.stdout
    assert "wrote" not in result.stdout  # nor any example: all 36 exist
    assert copy_of_contract.read_bytes() == CONTRACT_FILE.read_bytes()


def test_regenerating_after_drift_rewrites_the_contract_and_writes_the_missing_example(tmp_path: Path) -> None:
    contract = json.loads(CONTRACT_FILE.read_text())
    del contract["events"]["response.failed"]
    drifted = _write(tmp_path / "contract.json", contract)
    examples = tmp_path / "examples"
    result = contract_script("--contract", drifted, "--examples", examples)
    assert result.returncode == 0, result.stderr
    assert "+ response.failed: a new event type in the SDK" in result.stdout
    assert json.loads(drifted.read_text())["events"] == json.loads(CONTRACT_FILE.read_text())["events"]
    example = json.loads((examples / "response.failed.json").read_text())
    assert type(parse_event(example)) is EVENT_TYPES["response.failed"]


def test_the_documented_types_are_kept_apart_from_the_sdk_derived_contract_and_both_are_registered() -> None:
    documented = json.loads(DOCUMENTED_FILE.read_text())["events"]
    sdk_derived = json.loads(CONTRACT_FILE.read_text())["events"]
    assert sorted(documented) == ["video.completed", "video.failed"]
    assert not set(documented) & set(sdk_derived)
    assert set(CONTRACT) == set(documented) | set(sdk_derived) == set(EVENT_TYPES)


def test_check_and_regenerating_fail_on_a_subscribable_type_neither_the_sdk_nor_the_documented_types_shape(
    tmp_path: Path,
) -> None:
    documented = json.loads(DOCUMENTED_FILE.read_text())
    del documented["events"]["video.completed"]
    path = _write(tmp_path / "documented.json", documented)
    expected = [
        "+ video.completed: an endpoint can subscribe to it (the SDK's webhook_create_params), but the SDK does not "
        "model it and documented.json does not document it: add it there from OpenAI's documentation"
    ]
    checked = contract_script("--check", "--documented", path)
    assert (checked.returncode, _diff(checked)) == (1, expected), checked.stdout + checked.stderr
    written = contract_script("--documented", path, "--contract", tmp_path / "contract.json", "--examples", tmp_path)
    assert (written.returncode, _diff(written)) == (1, expected), written.stdout + written.stderr
    assert not (tmp_path / "video.completed.json").exists()  # no shape, no example
    assert (tmp_path / "video.failed.json").exists()
    assert json.loads(path.read_text()) == documented


def test_an_sdk_without_the_endpoint_api_is_not_checked_for_subscribable_types_and_says_so(tmp_path: Path) -> None:
    documented = json.loads(DOCUMENTED_FILE.read_text())
    del documented["events"]["video.completed"]
    path = _write(tmp_path / "documented.json", documented)
    result = contract_script(
        "--check",
        "--documented",
        path,
        sdk_patch="import openai.types.webhooks\nsys.modules['openai.types.webhooks.webhook_create_params'] = None",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(
        "The installed SDK lists no event types to subscribe to (webhook_create_params): not checked.\n"
    )


def _documented_now_modelled(tmp_path: Path, *, reshape: bool) -> tuple[Path, Path]:
    """A contract without health.alert.*, and a documented file with them (*reshape*: triggered in another shape)."""
    contract = json.loads(CONTRACT_FILE.read_text())
    documented = json.loads(DOCUMENTED_FILE.read_text())
    for event_type in ("health.alert.resolved", "health.alert.triggered"):
        documented["events"][event_type] = contract["events"].pop(event_type)
    if reshape:
        fields = documented["events"]["health.alert.triggered"]["fields"]
        fields["object"]["required"] = False
        fields["data"]["type"]["fields"]["severity"] = {"type": "string", "required": True}
    return _write(tmp_path / "contract.json", contract), _write(tmp_path / "documented.json", documented)


def test_check_fails_when_the_sdk_models_a_documented_type_and_regenerating_moves_it(tmp_path: Path) -> None:
    contract, documented = _documented_now_modelled(tmp_path, reshape=False)
    moved = [
        f"~ health.alert.{name}: documented here (HealthAlert{name.title()}WebhookEvent), now modelled by the SDK "
        f"(HealthAlert{name.title()}WebhookEvent): it moves to the SDK-derived contract"
        for name in ("resolved", "triggered")
    ]
    checked = contract_script("--check", "--contract", contract, "--documented", documented)
    assert (checked.returncode, _diff(checked)) == (1, moved), checked.stdout + checked.stderr
    assert "The code for each new event type" not in checked.stdout  # their classes exist: no skeletons
    written = contract_script("--contract", contract, "--documented", documented, "--examples", tmp_path / "examples")
    assert written.returncode == 0, written.stdout + written.stderr
    assert _diff(written) == moved
    assert contract.read_bytes() == CONTRACT_FILE.read_bytes()
    assert documented.read_bytes() == DOCUMENTED_FILE.read_bytes()
    assert contract_script("--check", "--contract", contract, "--documented", documented).returncode == 0


def test_a_documented_type_the_sdk_models_in_another_shape_is_drift(tmp_path: Path) -> None:
    contract, documented = _documented_now_modelled(tmp_path, reshape=True)
    result = contract_script("--check", "--contract", contract, "--documented", documented)
    assert result.returncode == 1
    assert _diff(result)[1:] == [
        "~ health.alert.triggered: documented here (HealthAlertTriggeredWebhookEvent), now modelled by the SDK "
        "(HealthAlertTriggeredWebhookEvent): it moves to the SDK-derived contract",
        "- health.alert.triggered: field data.severity: in the contract (string, required), not in the SDK",
        "~ health.alert.triggered: field object: optional in the contract, required in the SDK",
    ]


@pytest.mark.parametrize("content", ["{not json", None])
def test_an_unreadable_contract_is_a_one_line_error(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "contract.json"
    if content is not None:
        path.write_text(content)
    result = contract_script("--check", "--contract", path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"contract.py: cannot read the contract {path}: ")
    assert result.stderr.count("\n") == 1


def test_the_weekly_drift_workflow_checks_against_the_newest_sdk() -> None:
    workflow = (ROOT / ".github" / "workflows" / "contract-drift.yml").read_text()
    assert re.search(r"^  schedule:\n    - cron: \"\d+ \d+ \* \* \d\"", workflow, re.MULTILINE), workflow
    assert "\n  workflow_dispatch:\n" in workflow
    assert "python -m pip install --upgrade openai\n" in workflow  # the newest, not the pin
    assert workflow.rstrip().endswith("run: python scripts/contract.py --check")
