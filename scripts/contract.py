"""The event contract, regenerated from the installed ``openai`` SDK and checked against it.

    python scripts/contract.py           # rewrite tests/data/openai-webhook-events.json from the SDK,
                                         # and write openai_webhook_events/payloads/<type>.json for each
                                         # type lacking one
    python scripts/contract.py --check   # exit 1 with a readable diff when the SDK and the contract differ

The SDK's webhook event models (``openai.types.webhooks``, pydantic) are
walked field by field: ``str`` is ``"string"``, ``int`` ``"integer"``, a
``Literal`` ``{"literal": [...]}``, ``Optional``/``Union`` ``{"union": [...,
"null"]}``, ``List[X]`` ``{"list": X}``, a nested model ``{"object": name,
"fields": {...}}``; each field keeps the SDK's order and its required flag.
The file is ``json.dumps(contract, indent=1)`` plus a newline, event types
sorted, ``source`` naming the SDK version it was derived from.  Rewriting
with an SDK whose events are unchanged leaves the file as it is (its
``source`` still names the version the contract was derived from).

Event types OpenAI documents but the SDK does not model are kept, in the
same spelling, in tests/data/openai-webhook-events-documented.json (written
by hand from OpenAI's documentation): regenerating never drops them, and
they are not drift.  Both modes also report (a) a type an endpoint can
subscribe to (the SDK's ``webhook_create_params`` ``event_types``, where the
SDK has it) that neither file holds, and (b) a documented type the SDK now
models: regenerating moves it to the SDK-derived contract (and removes it
from the documented file); where the SDK's shape differs, the diff shows how.

For each event type the contract lacks, both modes print the skeleton of
the three code edits (the class for ``_models.py``, its ``WebhookEvent``
union member, its registry line for ``_parse.py``) and an example payload.
Exit codes: 0 in agreement (or written), 1 drift found by ``--check`` (or,
when writing, a subscribable type with no shape to write), 2 the SDK is
not installed, a contract file is unreadable, or the SDK uses an
annotation the contract has no spelling for.
"""

from __future__ import annotations

import argparse
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "tests" / "data" / "openai-webhook-events.json"
DOCUMENTED = ROOT / "tests" / "data" / "openai-webhook-events-documented.json"
EXAMPLES = ROOT / "openai_webhook_events" / "payloads"

Spec = (
    Any  # "string" | "integer" | "null" | {"literal": [...]} | {"union": [...]} | {"list": Spec} | {"object", "fields"}
)
Fields = dict[str, dict[str, Any]]


# --- reading the SDK ---------------------------------------------------------------------------------------


def sdk_contract() -> dict[str, Any]:
    """The contract of the installed SDK: ``{"source": ..., "events": {type: {"class", "fields"}}}``."""
    import openai
    import openai.types.webhooks as webhooks
    from pydantic import BaseModel

    events: dict[str, Any] = {}
    for name in sorted(dir(webhooks)):
        cls = getattr(webhooks, name)
        if not (isinstance(cls, type) and issubclass(cls, BaseModel) and name.endswith("WebhookEvent")):
            continue
        type_field = cls.model_fields.get("type")
        if type_field is None or typing.get_origin(type_field.annotation) is not typing.Literal:
            continue
        (event_type,) = typing.get_args(type_field.annotation)
        events[event_type] = {"class": name, "fields": _model_fields(cls)}
    return {"source": f"openai-python {openai.__version__}", "events": dict(sorted(events.items()))}


def sdk_subscribable() -> list[str] | None:
    """The event types an endpoint can subscribe to (``webhook_create_params``' ``event_types`` literal).

    ``None`` when the installed SDK has no such list.
    """
    try:
        from openai.types.webhooks.webhook_create_params import WebhookCreateParams
    except ImportError:
        return None
    annotation = typing.get_type_hints(WebhookCreateParams, include_extras=True).get("event_types")
    return None if annotation is None else _literal_values(annotation)


def _literal_values(annotation: Any) -> list[str]:
    """The values of the ``Literal`` inside *annotation* (``Required[List[Literal[...]]]``)."""
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    return [value for arg in typing.get_args(annotation) for value in _literal_values(arg)]


def sdk_docs() -> dict[str, str]:
    """The first line of the docstring of each SDK event class, by event type (for the skeletons)."""
    import openai.types.webhooks as webhooks

    sdk = sdk_contract()["events"]
    docs = {}
    for event_type, event in sdk.items():
        doc = (getattr(webhooks, event["class"]).__doc__ or "").strip()
        docs[event_type] = doc.split("\n")[0].strip() or f"Sent for {event_type}."
    return docs


def _model_fields(model: Any) -> Fields:
    return {
        name: {"type": _spec(field.annotation), "required": field.is_required()}
        for name, field in model.model_fields.items()
    }


def _spec(annotation: Any) -> Spec:
    from pydantic import BaseModel

    origin = typing.get_origin(annotation)
    if annotation is str:
        return "string"
    if annotation is int:
        return "integer"
    if annotation is type(None):
        return "null"
    if origin is typing.Literal:
        return {"literal": list(typing.get_args(annotation))}
    if origin in (typing.Union, types.UnionType):
        return {"union": [_spec(member) for member in typing.get_args(annotation)]}
    if origin is list:
        (item,) = typing.get_args(annotation)
        return {"list": _spec(item)}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {"object": annotation.__name__, "fields": _model_fields(annotation)}
    print(f"contract.py: no contract spelling for the SDK annotation {annotation!r}; extend _spec()", file=sys.stderr)
    raise SystemExit(2)


# --- the file ---------------------------------------------------------------------------------------------


def render(contract: dict[str, Any]) -> str:
    """The contract file's exact text."""
    return json.dumps(contract, indent=1) + "\n"


def load(path: Path) -> dict[str, Any]:
    try:
        contract: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"contract.py: cannot read the contract {path}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return contract


# --- the diff ---------------------------------------------------------------------------------------------


def differences(ours: dict[str, Any], sdk: dict[str, Any], documented: dict[str, Any]) -> list[str]:
    """One line per difference between the contract file (*ours*) and the SDK's contract, in type order.

    A type of the *documented* contract (the types the SDK does not model) is no difference while the SDK does
    not model it; once it does, that is one (the type moves), and its documented shape is compared with the SDK's.
    """
    lines: list[str] = []
    for event_type in sorted(set(ours["events"]) | set(sdk["events"])):
        theirs = sdk["events"].get(event_type)
        mine = documented["events"].get(event_type) if theirs is not None else None
        if mine is not None:
            lines.append(
                f"~ {event_type}: documented here ({mine['class']}), now modelled by the SDK ({theirs['class']}): "
                "it moves to the SDK-derived contract"
            )
        else:
            mine = ours["events"].get(event_type)
            if mine is None:
                lines.append(f"+ {event_type}: a new event type in the SDK ({theirs['class']}), not in the contract")
                continue
            if theirs is None:
                lines.append(f"- {event_type}: in the contract ({mine['class']}), no longer in the SDK")
                continue
        if mine["class"] != theirs["class"]:
            lines.append(f"~ {event_type}: class {mine['class']} in the contract, {theirs['class']} in the SDK")
        lines += _field_differences(event_type, "", mine["fields"], theirs["fields"])
    return lines


def unmodelled(subscribable: list[str], known: set[str], documented: Path) -> list[str]:
    """One line per type an endpoint can subscribe to that has no shape in *known* (the SDK's, either file's)."""
    return [
        f"+ {event_type}: an endpoint can subscribe to it (the SDK's webhook_create_params), but the SDK does not "
        f"model it and {documented.name} does not document it: add it there from OpenAI's documentation"
        for event_type in sorted(set(subscribable) - known)
    ]


def _field_differences(event_type: str, prefix: str, mine: Fields, theirs: Fields) -> list[str]:
    lines: list[str] = []
    for name in [*mine, *(n for n in theirs if n not in mine)]:
        path = f"{prefix}{name}"
        where = f"{event_type}: field {path}"
        if name not in theirs:
            lines.append(f"- {where}: in the contract ({describe(mine[name])}), not in the SDK")
        elif name not in mine:
            lines.append(f"+ {where}: in the SDK ({describe(theirs[name])}), not in the contract")
        else:
            ours, sdks = mine[name], theirs[name]
            if ours["required"] != sdks["required"]:
                lines.append(f"~ {where}: {_required(ours)} in the contract, {_required(sdks)} in the SDK")
            nested_mine, nested_theirs = _nested_fields(ours["type"]), _nested_fields(sdks["type"])
            if nested_mine is not None and nested_theirs is not None:
                if type_text(ours["type"]) != type_text(sdks["type"]):  # nested fields compared one by one below
                    lines.append(
                        f"~ {where}: type {type_text(ours['type'])} in the contract, "
                        f"{type_text(sdks['type'])} in the SDK"
                    )
                inner = f"{path}[]." if "list" in _unwrap_optional(ours["type"]) else f"{path}."
                lines += _field_differences(event_type, inner, nested_mine, nested_theirs)
            elif ours["type"] != sdks["type"]:
                lines.append(
                    f"~ {where}: type {type_text(ours['type'])} in the contract, {type_text(sdks['type'])} in the SDK"
                )
    return lines


def _required(field: dict[str, Any]) -> str:
    return "required" if field["required"] else "optional"


def _unwrap_optional(spec: Spec) -> Spec:
    """*spec* without a ``| null`` (the one non-null member of a two-member union)."""
    if isinstance(spec, dict) and "union" in spec:
        rest = [member for member in spec["union"] if member != "null"]
        if len(rest) == 1:
            return rest[0]
    return spec


def _nested_fields(spec: Spec) -> Fields | None:
    """The fields of the object *spec* holds (directly, as ``| null`` or as list items), or ``None``."""
    inner = _unwrap_optional(spec)
    if isinstance(inner, dict) and "list" in inner:
        inner = inner["list"]
    if isinstance(inner, dict) and "fields" in inner:
        fields: Fields = inner["fields"]
        return fields
    return None


def type_text(spec: Spec) -> str:
    """A contract type as the contract README writes it: ``string``, ``"a" | "b"``, ``list[object]``..."""
    if isinstance(spec, str):
        return spec
    if "literal" in spec:
        return " | ".join(json.dumps(value) for value in spec["literal"])
    if "union" in spec:
        return " | ".join(type_text(member) for member in spec["union"])
    if "list" in spec:
        return f"list[{type_text(spec['list'])}]"
    return "object"


def describe(field: dict[str, Any]) -> str:
    return f"{type_text(field['type'])}, {_required(field)}"


# --- skeletons for new event types ------------------------------------------------------------------------


def class_stem(class_name: str) -> str:
    return class_name.removesuffix("WebhookEvent")


def python_type(spec: Spec, stem: str, nested: dict[str, Fields]) -> str:
    """The annotation the package writes for *spec*; nested objects are collected into *nested* by class name."""
    if spec == "string":
        return "str"
    if spec == "integer":
        return "int"
    if spec == "null":
        return "None"
    if "literal" in spec:
        return "Literal[" + ", ".join(json.dumps(value) for value in spec["literal"]) + "]"
    if "union" in spec:
        return " | ".join(python_type(member, stem, nested) for member in spec["union"])
    if "list" in spec:
        return f"tuple[{python_type(spec['list'], stem, nested)}, ...]"
    name = stem + ("Data" if spec["object"] == "Data" else spec["object"].removeprefix("Data"))
    nested[name] = spec["fields"]
    for field in spec["fields"].values():
        python_type(field["type"], stem, nested)  # collect the objects nested in this one
    return name


def _is_resource_data(fields: Fields) -> bool:
    data = fields.get("data", {})
    return data.get("required") is True and _nested_fields(data["type"]) == {"id": {"type": "string", "required": True}}


def skeleton(event_type: str, event: dict[str, Any], doc: str) -> str:
    """The three code edits and the example payload for a new event type, as text to paste."""
    class_name = event["class"]
    fields: Fields = event["fields"]
    stem = class_stem(class_name)
    base = "_EnvelopeWithObject" if fields.get("object", {}).get("required") else "_Envelope"
    payload_classes: dict[str, Fields] = {}
    if _is_resource_data(fields):
        data_class = "ResourceData"
        registry = f'    "{event_type}": (models.{class_name}, _resource_data),'
    else:
        data_class = python_type(fields["data"]["type"], stem, payload_classes)
        module = "_" + event_type.split(".")[0].split("_")[0] + "_models"
        parser = "parse_" + "_".join(event_type.replace(".", "_").split("_")) + "_data"
        registry = f'    "{event_type}": (models.{class_name}, ("{module}", "{parser}")),'
    parts = [
        f"# {event_type} ({class_name})",
        "",
        "# edit 1, openai_webhook_events/_models.py: the class (keep the classes sorted by type)",
        f'class {class_name}({base}[{data_class}, Literal["{event_type}"]]):',
        f'    """{doc}"""',
        "    __slots__ = ()",
    ]
    if payload_classes:
        parts += ["", f"# its payload, in a payload module such as {module}.py, with a parser {parser}():"]
        for name, payload_fields in reversed(list(payload_classes.items())):
            parts += ["@dataclass(frozen=True, slots=True)", f"class {name}:"]
            required = [(n, f) for n, f in payload_fields.items() if f["required"]]
            optional = [(n, f) for n, f in payload_fields.items() if not f["required"]]
            for field_name, field in required:
                parts.append(f"    {field_name}: {python_type(field['type'], stem, {})}")
            for field_name, field in optional:
                parts.append(f"    {field_name}: {python_type(field['type'], stem, {})} = None")
            parts.append("")
    parts += [
        "",
        "# edit 2, openai_webhook_events/_models.py: its member of the WebhookEvent union",
        f"    {class_name},",
        "",
        "# edit 3, openai_webhook_events/_parse.py: its registry line",
        registry,
        "",
        f"# openai_webhook_events/payloads/{event_type}.json (written by `python scripts/contract.py` when missing)",
        example_text(event_type, event).rstrip("\n"),
    ]
    return "\n".join(parts) + "\n"


def example_payload(event_type: str, event: dict[str, Any]) -> dict[str, Any]:
    """A payload valid under the contract, every optional field present, in the examples' key order."""
    values = _example_object(event["fields"], event_type.replace(".", "_"))
    values["type"] = event_type
    values["object"] = "event"
    values["id"] = "evt_" + event_type.replace(".", "_")
    values["created_at"] = 1750000000
    order = ["id", "object", "created_at", "type", "data"]
    return {key: values[key] for key in dict.fromkeys([*order, *values]) if key in values}


def _example_object(fields: Fields, hint: str) -> dict[str, Any]:
    return {name: _example_value(field["type"], name, hint) for name, field in fields.items()}


def _example_value(spec: Spec, name: str, hint: str) -> Any:
    if spec == "string":
        return f"{name}_{hint}" if name != "id" else f"{hint.split('_')[0]}_123"
    if spec == "integer":
        return 1
    if spec == "null":
        return None
    if "literal" in spec:
        return spec["literal"][0]
    if "union" in spec:
        return _example_value(spec["union"][0], name, hint)
    if "list" in spec:
        return [_example_value(spec["list"], name, hint)]
    return _example_object(spec["fields"], hint)


def example_text(event_type: str, event: dict[str, Any]) -> str:
    return json.dumps(example_payload(event_type, event), indent=2) + "\n"


# --- main -------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 with a diff on any drift")
    parser.add_argument("--contract", type=Path, default=CONTRACT, help=f"the contract file (default {CONTRACT})")
    parser.add_argument(
        "--documented",
        type=Path,
        default=DOCUMENTED,
        help=f"the documented types the SDK does not model (default {DOCUMENTED})",
    )
    parser.add_argument(
        "--examples", type=Path, default=EXAMPLES, help=f"where example payloads are written (default {EXAMPLES})"
    )
    args = parser.parse_args(argv)
    try:
        sdk = sdk_contract()
        subscribable = sdk_subscribable()
    except ImportError as exc:
        print(f"contract.py: the openai SDK is not installed ({exc}); pip install -e '.[contract]'", file=sys.stderr)
        return 2
    empty: dict[str, Any] = {"source": "", "events": {}}
    ours = load(args.contract) if args.check or args.contract.exists() else empty
    documented = load(args.documented) if args.documented.exists() else empty
    kept = {t: event for t, event in documented["events"].items() if t not in sdk["events"]}
    diff = differences(ours, sdk, documented)
    missing = unmodelled(subscribable or [], {*ours["events"], *sdk["events"], *documented["events"]}, args.documented)
    if subscribable is None:
        print("The installed SDK lists no event types to subscribe to (webhook_create_params): not checked.")
    if args.check:
        if not diff and not missing:
            print(
                f"{args.contract.name} ({ours['source']}) agrees with the installed {sdk['source']}"
                + (f"; {args.documented.name} holds what it does not model: {', '.join(kept)}." if kept else ".")
            )
            return 0
        print(f"{args.contract} ({ours['source']}) differs from the installed {sdk['source']}:")
        print("\n".join(diff + missing))
    else:
        if diff or not args.contract.exists():
            args.contract.write_text(render(sdk), encoding="utf-8")
            print(f"wrote {args.contract} from {sdk['source']}" + (":\n" + "\n".join(diff) if ours["events"] else ""))
        else:
            print(f"{args.contract.name} is up to date ({ours['source']}; the installed {sdk['source']} agrees).")
        if kept != documented["events"]:
            args.documented.write_text(render({**documented, "events": kept}), encoding="utf-8")
            moved = ", ".join(t for t in documented["events"] if t not in kept)
            print(f"wrote {args.documented}: {moved} now modelled by the SDK, moved to {args.contract.name}")
        if missing:
            print("\n".join(missing))
    new_types = [t for t in sdk["events"] if t not in ours["events"] and t not in documented["events"]]
    if ours["events"] and new_types:  # a first generation needs no skeletons
        docs = sdk_docs()
        print("\nThe code for each new event type (see CONTRIBUTING.md, 'Adding an event type'):\n")
        for event_type in new_types:
            print(skeleton(event_type, sdk["events"][event_type], docs[event_type]))
    if args.check:
        return 1
    for event_type, event in {**sdk["events"], **kept}.items():
        example = args.examples / f"{event_type}.json"
        if not example.exists():
            example.parent.mkdir(parents=True, exist_ok=True)
            example.write_text(example_text(event_type, event), encoding="utf-8")
            print(f"wrote {example}: replace its made-up values with a real delivery's where you have one")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
