"""The package works when vendored: its folder alone, on every Python 3.10-3.13, with no site-packages.

For each interpreter found (this one, and each ``$(pyenv root)/versions/3.1X.*``;
``.ci/run`` fails if one of 3.10-3.13 is missing), ``openai_webhook_events/``
is copied alone into an empty folder and a script runs there with
``python -E -s -S``, as in a bare runtime: it parses an example, signs and
unwraps a delivery, checks the run-time types, public module and pickling of
two events, makes an event and a Lambda request with the test helpers (from
the payloads in the folder), and checks that only standard library modules
were imported.  Vendored under another name (``myapp._vendor.openai_webhook_events``),
every public class names its public home under that name and every public
object pickles (events, errors, the ``Delivery`` of ``current_delivery()``...).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "openai_webhook_events"


def _pyenv_root() -> Path:
    root = os.environ.get("PYENV_ROOT")
    if root:
        return Path(root)
    try:
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return Path.home() / ".pyenv"
    return Path(out.strip())


def interpreters() -> dict[str, str]:
    """``{"3.1X": path}``: this interpreter and the newest pyenv CPython of each of 3.10-3.13 found."""
    found = {f"{sys.version_info.major}.{sys.version_info.minor}": sys.executable}
    for minor in ("3.10", "3.11", "3.12", "3.13"):
        candidates = sorted(
            _pyenv_root().glob(f"versions/{minor}.*/bin/python"),
            key=lambda p: tuple(int(x) for x in p.parent.parent.name.split(".") if x.isdigit()),
        )
        if candidates and minor not in found:
            found[minor] = str(candidates[-1])
    return found


def run_bare(python: str, folder: Path, script: str, *arguments: str) -> str:
    """What *script* prints, run as ``folder/check.py`` by *python* as in a bare runtime (no site, no environment)."""
    (folder / "check.py").write_text(script)
    result = subprocess.run(
        [python, "-E", "-s", "-S", "check.py", *arguments],
        cwd=folder,
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


SCRIPT = r"""
import dataclasses, json, os, pickle, sys, sysconfig, typing

from openai_webhook_events import ResponseCompletedWebhookEvent, SipHeader, parse_event, sign, unwrap

payload = json.loads(sys.argv[1])
event = parse_event(payload)
assert type(event) is ResponseCompletedWebhookEvent, type(event)
assert event.data.id == payload["data"]["id"]
call = parse_event(json.loads(sys.argv[3]))
for instance in (event, call):  # run-time types, public module and pickle on this Python
    cls = type(instance)
    hints = typing.get_type_hints(cls)
    assert hints["data"] is type(instance.data) is dataclasses.fields(cls)[2].type, hints
    assert cls.__module__ == type(instance.data).__module__ == "openai_webhook_events"
    assert pickle.loads(pickle.dumps(instance)) == instance
assert typing.get_type_hints(type(call.data))["sip_headers"] == tuple[SipHeader, ...]

body = json.dumps(payload).encode()
secret = "whsec_" + "dmVuZG9yZWQtc2VjcmV0LWtleS0wMTIzNDU2Nzg5YWI="
headers = sign(body, secret, webhook_id="msg_vendored", timestamp=1750000000)
assert unwrap(body, headers, secret, now=1750000000) == event

from openai_webhook_events import Router, Webhook, aws_lambda, testing  # the helpers read the payloads in the folder

assert testing.make_event(ResponseCompletedWebhookEvent) == event
request = testing.lambda_event(testing.make_payload("realtime.call.incoming"), secret, shape="alb", base64=True)
assert aws_lambda.lambda_handler(Webhook(secret), Router())(request, None)["statusCode"] == 200

package = "openai_webhook_events"
assert sys.modules[package].__file__.startswith(sys.argv[2]), sys.modules[package].__file__
# The standard library: its names, or (a distributor's own, as Debian's _missing_stdlib_info) a file in its folders.
stdlib = tuple(sysconfig.get_path(key) + os.sep for key in ("stdlib", "platstdlib"))
outside = sorted(
    name for name, module in sys.modules.items()
    if name.partition(".")[0] not in {*sys.stdlib_module_names, package, "__main__"}
    and not (getattr(module, "__file__", None) or "").startswith(stdlib)
)
assert not outside, outside
assert (sys.flags.ignore_environment, sys.flags.no_user_site, sys.flags.no_site) == (1, 1, 1)
print("ok", sys.version_info[:2], len(sys.modules))
"""


@pytest.mark.parametrize(("version", "python"), sorted(interpreters().items()))
def test_vendored_folder_parses_signs_and_unwraps_with_only_the_standard_library(
    version: str, python: str, tmp_path: Path
) -> None:
    shutil.copytree(PACKAGE, tmp_path / PACKAGE.name, ignore=shutil.ignore_patterns("__pycache__"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [PACKAGE.name]
    payload = (ROOT / "openai_webhook_events" / "payloads" / "response.completed.json").read_text()
    call = (ROOT / "openai_webhook_events" / "payloads" / "realtime.call.incoming.json").read_text()
    out = run_bare(python, tmp_path, SCRIPT, json.dumps(json.loads(payload)), str(tmp_path), call)
    assert out.startswith(f"ok ({version.replace('.', ', ')})"), out


PICKLE_SCRIPT = r"""
import json, pickle, sys, types

from myapp._vendor.openai_webhook_events import Router, Webhook, begin, current_delivery, receive, sign

package = "myapp._vendor.openai_webhook_events"


def roundtrip(value):
    copy = pickle.loads(pickle.dumps(value))
    assert type(copy) is type(value), (type(copy), type(value))
    return copy


secret = "whsec_" + "dmVuZG9yZWQtc2VjcmV0LWtleS0wMTIzNDU2Nzg5YWI="
router, pickled = Router(), []


@router.fallback
def handle(event):
    pickled.append(pickle.dumps(current_delivery()))  # first: nothing has read the package's Delivery yet


from myapp._vendor.openai_webhook_events import idempotency, queue, testing

body = json.dumps(testing.make_payload("batch.completed")).encode()
store = idempotency.MemoryStore()
response = receive(Webhook(secret), router, body, sign(body, secret, webhook_id="msg_1"),
                   idempotency=idempotency.Idempotency(store))
assert roundtrip(response) == response and response.status == 200, response
delivery = pickle.loads(pickled[0])
assert (type(delivery).__module__, delivery.webhook_id) == (package, "msg_1") and delivery.idempotency_key, delivery
attempt = begin(Webhook(secret), router, body, sign(body, secret, webhook_id="msg_2"))
copy = roundtrip(attempt)
assert (copy.event, copy.delivery, copy.handler) == (attempt.event, attempt.delivery, handle)

from myapp._vendor import openai_webhook_events as root
from myapp._vendor.openai_webhook_events import EVENT_TYPES, WebhookError, parse_event

for event_type in EVENT_TYPES:  # every event, its payload classes (imported on first use) included
    event = parse_event(testing.make_payload(event_type))
    assert roundtrip(event) == event, event_type
unknown = parse_event({"id": "evt_1", "object": "event", "created_at": 1, "type": "brand.new", "data": {"a": [1]}})
assert roundtrip(unknown) == unknown

errors = {  # each error's args are its constructor's arguments
    "WebhookError": ("x",), "WebhookConfigurationError": ("x",), "InvalidPayloadError": ("x",),
    "PayloadTooLargeError": (10,), "InvalidEventError": ("data.id", "x"), "UnknownEventTypeError": ("brand.new",),
    "WebhookVerificationError": ("x",), "MissingHeaderError": ("webhook-id",),
    "InvalidHeaderError": ("webhook-timestamp", "x"), "TimestampOutOfRangeError": (True,),
    "SignatureMismatchError": (),
}
exported = {name for name in root.__all__ if isinstance(value := getattr(root, name), type)
            and issubclass(value, WebhookError)}
assert set(errors) == exported, exported ^ set(errors)
for name, arguments in errors.items():
    error = getattr(root, name)(*arguments)
    copy = roundtrip(error)
    assert (copy.args, str(copy)) == (error.args, str(error)), name

claim = idempotency.Claim("completed", 1.5)
assert roundtrip(claim) == claim
queued = queue.QueuedDelivery(body, {"webhook-id": "msg_1"}, 2.5)
assert roundtrip(queued) == queued

classes = 0
for module in (root, idempotency, queue, testing, *(__import__(f"{package}.{name}", fromlist=["_"])
                                                  for name in ("aws_lambda", "wsgi", "asgi"))):
    for name in module.__all__:
        value = getattr(module, name)
        # Stores, routers, adapters...: named by their public home, pickled by it (on 3.10 an alias such as
        # queue.DeadLetter, Callable[...], passes isinstance(..., type)).
        if isinstance(value, type) and not isinstance(value, types.GenericAlias):
            assert value.__module__ == module.__name__, (value, module.__name__)
            assert pickle.loads(pickle.dumps(value)) is value
            classes += 1
assert "openai_webhook_events" not in sys.modules
print("ok", classes)
"""


@pytest.mark.parametrize(("version", "python"), sorted(interpreters().items()))
def test_vendored_under_another_name_every_public_object_pickles_by_its_public_home(
    version: str, python: str, tmp_path: Path
) -> None:
    vendor = tmp_path / "myapp" / "_vendor"
    shutil.copytree(PACKAGE, vendor / PACKAGE.name, ignore=shutil.ignore_patterns("__pycache__"))
    for folder in (vendor.parent, vendor):
        (folder / "__init__.py").touch()
    out = run_bare(python, tmp_path, PICKLE_SCRIPT)
    assert out.startswith("ok "), out


def test_every_public_class_is_named_by_the_public_module_that_exports_it() -> None:
    import importlib
    import types

    homes = {}
    for name in ("", ".idempotency", ".queue", ".testing", ".aws_lambda", ".wsgi", ".asgi"):
        module = importlib.import_module(PACKAGE.name + name)
        for public in module.__all__:
            value = getattr(module, public)
            if not isinstance(value, types.GenericAlias) and isinstance(value, type):  # on 3.10 an alias is a type
                homes[value.__qualname__] = value.__module__
                assert value.__module__ == module.__name__, (value, module.__name__)
    assert {homes[name] for name in ("Delivery", "Attempt", "Response")} == {"openai_webhook_events"}
    assert (homes["Claim"], homes["SQLiteStore"], homes["HandOff"]) == (
        "openai_webhook_events.idempotency",
        "openai_webhook_events.idempotency",
        "openai_webhook_events.queue",
    )
