"""Build the event schemas of the `responses`, `chat`, `assistants`, `anthropic` and `mcp`
profiles from sources.

    .venv/bin/python tools/build_schemas.py           # rewrite schemas/<those five>/
    .venv/bin/python tools/build_schemas.py --check   # exit 1, naming each file that differs

Sources (vendored in ``fixtures/reference/``, see its README.md):

- ``openai/openapi.yaml``: every member of ``ResponseStreamEvent`` becomes
  ``schemas/responses/v1/events/<type>.json``; ``CreateChatCompletionStreamResponse`` becomes
  ``schemas/chat/v1/events/chat.completion.chunk.json``. The component schemas they refer to
  are written to ``objects/<Component>.json``, one per file, linked by relative ``$ref``s that
  ``recorder.validate.schemas.SchemaSet`` resolves through their ``$id``s.
- the same file's ``AssistantStreamEvent``: each of its members (``ThreadStreamEvent``,
  ``RunStreamEvent``, ``RunStepStreamEvent``, ``MessageStreamEvent``, ``ErrorEvent``,
  ``DoneEvent``) maps an ``event`` name to the schema of its ``data``, which becomes
  ``schemas/assistants/v2/events/<event>.json`` (a ``$ref`` to ``RunObject``, ``MessageObject``,
  ...; ``done``'s data is the text ``[DONE]``, a string ``const``). Only ``data`` is taken:
  ``ThreadStreamEvent`` also lists a stray ``enabled``, which belongs to no payload. The spec's
  ``format: unixtime`` is dropped (no JSON Schema format; CONTRACT.md's "Schema traps").
  ``schemas/assistants/v1/`` (the retired ``assistants=v1`` API, which the file no longer
  describes) is v2 with the edits of ``tools/assistants_v1.py`` (a data table of the v1
  differences, with its sources) and without the v2-only deviations it names.
  ``schemas/assistants/profile.json`` is written too: version detection as data (the
  ``OpenAI-Beta`` header, and ``version_shapes`` from ``tools/assistants_v1.py``).
- the installed ``anthropic`` SDK (pinned in pyproject.toml): each member of
  ``RawMessageStreamEvent`` and of the beta union ``BetaRawMessageStreamEvent`` through
  ``pydantic.TypeAdapter(...).json_schema()``, plus ``ping`` and ``error``, which the SDK's union
  leaves out.
- ``mcp/<revision>.schema.json`` (MCP's own JSON Schema): each member of ``ServerNotification``
  and ``ServerRequest`` becomes ``schemas/mcp/<revision>/events/<method>.json``;
  ``JSONRPCResultResponse`` and ``JSONRPCErrorResponse`` become ``result.json`` and ``error.json``.

The source and its pinned commit are written into each ``profile.json`` and ``deviations.json``.

OpenAPI 3.1 and pydantic specifics become plain Draft 2020-12: ``nullable`` adds ``null`` (also
OpenAPI 3.0's nullable reference, ``allOf: [{$ref}, {nullable: true}]``); ``discriminator``,
``example`` and ``x-*`` keys go; ``$recursiveRef`` becomes a ``$ref`` to its own component; a
one-value ``enum`` becomes ``const`` (SchemaSet tells union branches apart by ``const``); an
``allOf`` of object parts is merged into one object (each part would otherwise count the others'
fields as undocumented); pydantic's ``additionalProperties: true`` goes (the SDK keeps unknown
fields for forward compatibility, but the contract lists its fields, so an unknown one should be
a SCHEMA-EXTRA warning).

Real servers differ from the docs in known ways. ``DEVIATIONS`` (``tools/schema_deviations.py``)
is that table, as data: each entry relaxes the generated schema (so the default strength accepts
the real shape) and is written to ``deviations.json`` with the ``documented`` schema that the
strict strength adds back.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "fixtures" / "reference"
SCHEMAS = ROOT / "schemas"
OPENAPI = REFERENCE / "openai" / "openapi.yaml"
OPENAPI_COMMIT = "f85dbe223d40"
ID_BASE = "https://sse-recorder.invalid/schemas"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
PROFILES = ("responses", "chat", "assistants", "anthropic", "mcp")
MCP = REFERENCE / "mcp"
MCP_COMMIT = "b0f60ba5409d"
#: MCP revisions, newest first; the default is the one most servers speak.
MCP_VERSIONS = ("2026-07-28", "2025-11-25")
MCP_DEFAULT = "2025-11-25"
GENERATOR = "tools/build_schemas.py"

Schema = dict[str, Any]
Files = dict[str, str]  # path relative to schemas/ -> file text

import assistants_v1  # noqa: E402 - tools/ is the script's folder
from schema_deviations import ALL, DEVIATIONS  # noqa: E402

# ---------------------------------------------------------------------------------------------
# OpenAPI -> Draft 2020-12
# ---------------------------------------------------------------------------------------------

_DROPPED = {"discriminator", "example", "$recursiveAnchor", "nullable", "externalDocs", "xml"}
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_DATA_KEYS = ("default", "const", "enum", "examples", "required")


def _load_openapi() -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with OPENAPI.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.load(handle, Loader=loader)
    return spec


def _convert(node: Any, component: str) -> Any:
    """One OpenAPI 3.1 schema node as Draft 2020-12, with refs as ``<Component>.json``."""
    if isinstance(node, list):
        return [_convert(item, component) for item in node]
    if not isinstance(node, dict):
        return node
    parts = node.get("allOf")
    if isinstance(parts, list) and _NULLABLE_PART in parts:
        # OpenAPI 3.0's nullable reference: allOf [{$ref}, {nullable: true}]
        rest = [part for part in parts if part != _NULLABLE_PART]
        node = {k: v for k, v in node.items() if k != "allOf"} | {"nullable": True}
        node |= rest[0] if len(rest) == 1 and not set(rest[0]) & set(node) else {"allOf": rest}
    out: Schema = {}
    for key, value in node.items():
        if key.startswith("x-") or key in _DROPPED:
            continue
        if key == "$ref":
            out["$ref"] = value.rsplit("/", 1)[-1] + ".json"
        elif key == "$recursiveRef":
            out["$ref"] = component + ".json"
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _convert(sub, component) for name, sub in value.items()}
        elif key in _DATA_KEYS:
            out[key] = copy.deepcopy(value)
        else:
            out[key] = _convert(value, component)
    if node.get("nullable") is True:
        out = _with_null(out)
    if isinstance(out.get("enum"), list) and len(out["enum"]) == 1 and "const" not in out:
        out["const"] = out.pop("enum")[0]
    if "$ref" in out and set(out) - _BESIDE_REF:
        # A validator that inlines references would merge a sibling keyword into the target:
        # keep the reference as its own subschema of an allOf instead.
        out.setdefault("allOf", []).insert(0, {"$ref": out.pop("$ref")})
    return out


_NULLABLE_PART = {"nullable": True}

#: Keywords that may stand beside a ``$ref`` (annotations only).
_BESIDE_REF = frozenset({"$ref", "$id", "$schema", "description", "title", "$comment"})


def _with_null(schema: Schema) -> Schema:
    """``schema`` that also accepts null."""
    declared = schema.get("type")
    if isinstance(declared, str) and "$ref" not in schema and "anyOf" not in schema:
        out = dict(schema, type=[declared, "null"])
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [schema, {"type": "null"}]}


def _ref_names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            yield ref.removesuffix(".json")
        for key, value in node.items():
            if key not in _DATA_KEYS:
                yield from _ref_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _ref_names(item)


_MERGEABLE = {"type", "properties", "required", "title", "description"}


def _flatten_all_of(node: Any, pool: dict[str, Schema]) -> Any:
    """Merge every ``allOf`` whose parts are plain objects (or refs to them) into one object."""
    if isinstance(node, list):
        return [_flatten_all_of(item, pool) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        k: (v if k in _DATA_KEYS else _flatten_all_of(v, pool))
        for k, v in node.items()
        if not (k in _SCHEMA_MAPS and isinstance(v, dict))
    }
    for key in _SCHEMA_MAPS:
        if isinstance(node.get(key), dict):
            out[key] = {name: _flatten_all_of(sub, pool) for name, sub in node[key].items()}
    parts = out.get("allOf")
    if not isinstance(parts, list):
        return out
    resolved = []
    for part in parts:
        if set(part) == {"$ref"} and part["$ref"].removesuffix(".json") in pool:
            part = _flatten_all_of(pool[part["$ref"].removesuffix(".json")], pool)
        if not set(part) <= _MERGEABLE or part.get("type", "object") != "object":
            return out
        resolved.append(part)
    merged: Schema = {k: v for k, v in out.items() if k != "allOf"}
    merged["type"] = "object"
    properties: Schema = {}
    required: list[str] = []
    for part in resolved:
        for name, sub in part.get("properties", {}).items():
            properties[name] = sub if name not in properties else {"allOf": [properties[name], sub]}
        required.extend(r for r in part.get("required", ()) if r not in required)
    merged["properties"] = properties
    if required:
        merged["required"] = required
    return merged


# ---------------------------------------------------------------------------------------------
# Relaxations (the schema side of DEVIATIONS)
# ---------------------------------------------------------------------------------------------


def _resolve(deviation: dict[str, Any], pool: dict[str, Schema], events: dict[str, Schema]) -> None:
    """Fill in what the table leaves to the build: ``*`` events and computed ``documented``."""
    if callable(deviation["documented"]):
        deviation["documented"] = deviation["documented"](pool)
    deviation["events"] = [
        name
        for event in deviation["events"]
        for name in (_data_of(event[1:-1], events) if event.startswith("<") else [event])
    ]
    # SchemaSet puts each documented schema inside an allOf, where "#/$defs/..." would point at
    # the wrong root: inline them.
    deviation["documented"] = _inline_defs(deviation["documented"])
    if deviation["events"] == [ALL]:
        prop = deviation["relax"][0][2]
        deviation["events"] = sorted(e for e, s in events.items() if prop in s.get("required", ()))
        deviation["relax"] = [
            (op, e, p, *a) for e in deviation["events"] for op, _, p, *a in deviation["relax"]
        ]
    unknown = set(deviation["events"]) - set(events)
    if unknown:
        raise SystemExit(f"{deviation['id']}: no event {sorted(unknown)}")


def _data_of(component: str, events: dict[str, Schema]) -> list[str]:
    """The events whose data is ``component`` (``data_of`` in the table)."""
    found = sorted(e for e, s in events.items() if s.get("$ref") == f"{component}.json")
    if not found:
        raise SystemExit(f"no event has the data {component}")
    return found


def _inline_defs(schema: Schema) -> Schema:
    defs = schema.get("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, list):
            return [inline(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref", "")
        if ref.startswith("#/$defs/"):
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return {**inline(defs[ref.removeprefix("#/$defs/")]), **inline(rest)}
        return {k: inline(v) for k, v in node.items() if k != "$defs"}

    return dict(inline(schema))


def _holder(schema: Schema, path: str) -> tuple[Schema, str]:
    """The object schema holding the last field of ``path`` (``a.b[].c``), and that field."""
    *parents, last = path.split(".")
    node = _object_branch(schema)
    for segment in parents:
        node = _object_branch(node["properties"][segment.removesuffix("[]")])
        if segment.endswith("[]"):
            node = _object_branch(node["items"])
    return node, last


def _object_branch(node: Schema) -> Schema:
    if "properties" in node or "items" in node:
        return node
    for branch in node.get("anyOf", ()):
        if "properties" in branch or "items" in branch:
            return branch
    raise SystemExit(f"no object or array in {json.dumps(node)[:200]}")


def _relax(pool: dict[str, Schema], events: dict[str, Schema], deviation: dict[str, Any]) -> None:
    for operation, target, path, *given in deviation.get("relax", ()):
        args = [arg(pool) if callable(arg) else arg for arg in given]
        if path == "$" and operation == "also":
            whole = events if target in events else pool
            whole[target] = _either(whole[target], args[0])
            continue
        holder, prop = _holder(events[target] if target in events else pool[target], path)
        properties = holder.setdefault("properties", {})
        name = prop.removesuffix("[]")
        if operation == "nullable":
            properties[name] = _with_null(properties[name])
        elif operation == "optional":
            if name not in holder.get("required", ()):
                raise SystemExit(f"{deviation['id']}: {target}.{path} is not required")
            holder["required"] = [r for r in holder["required"] if r != name]
        elif operation == "also" and prop.endswith("[]"):
            field = _object_branch(properties[name])
            field["items"] = {"anyOf": [field["items"], args[0]]}
        elif operation == "also":
            properties[name] = {"anyOf": [properties[name], args[0]]}
        elif operation == "without":
            if args[0] not in properties[name]:
                raise SystemExit(f"{deviation['id']}: {target}.{path} has no {args[0]}")
            properties[name] = {k: v for k, v in properties[name].items() if k != args[0]}
        elif operation == "add":
            if name in properties:
                raise SystemExit(f"{deviation['id']}: {target}.{path} is documented")
            properties[name] = dict(args[0], description=f"Not in the docs: {deviation['id']}.")
        else:
            raise SystemExit(f"{deviation['id']}: unknown relaxation {operation!r}")


def _either(schema: Schema, other: Schema) -> Schema:
    """``schema`` or ``other``; the annotations stay at the top."""
    notes = {k: v for k, v in schema.items() if k in ("title", "description")}
    rest = {k: v for k, v in schema.items() if k not in notes}
    return {**notes, "anyOf": [rest, other]}


def _deviations_file(
    profile: str, version: str, source: str, deviations: list[dict[str, Any]]
) -> Schema:
    entries = []
    for deviation in deviations:
        entry = {k: deviation[k] for k in ("id", "events", "path", "message", "documented")}
        if deviation.get("extra"):
            entry = {"id": entry["id"], "extra": True, **entry}
        entries.append(entry)
    return {
        "$comment": f"Data, not a schema. Read by recorder.validate.schemas. Written by {GENERATOR}"
        " from its DEVIATIONS table: edit that, then rerun it.",
        "title": f"{profile} {version}: where real streams differ from the docs",
        "description": (
            "Each entry is one documented constraint that real servers break. The default strength"
            " accepts these shapes and reports them as warnings (rule SCHEMA-REAL); the strict"
            " strength adds every `documented` schema to the event's schema and reports a break"
            " as an error, except entries marked `extra` (an undocumented field), which stay"
            " warnings in both strengths like any extra field. `events` lists the events whose"
            " data the entry applies to; `path` is the JSON path reported. Documented schema: "
            f"{source}. Sources of the deviations: fixtures/real-streams/{profile}/ (real captures)"
            " and the known gaps listed in fixtures/reference/README.md."
        ),
        "deviations": entries,
    }


# ---------------------------------------------------------------------------------------------
# Writing a profile version: events/, objects/, deviations.json
# ---------------------------------------------------------------------------------------------


def _version_files(
    profile: str,
    version: str,
    events: dict[str, Schema],
    pool: dict[str, Schema],
    source: str,
    table: list[dict[str, Any]] | None = None,
) -> Files:
    """The files of one version; ``events`` and ``pool`` refer to objects as ``<Name>.json``.
    ``table`` is the version's deviations (default: the profile's in ``DEVIATIONS``)."""
    deviations = [dict(d) for d in (DEVIATIONS[profile] if table is None else table)]
    for deviation in deviations:
        _resolve(deviation, pool, events)
        _relax(pool, events, deviation)
    base = f"{ID_BASE}/{profile}/{version}"
    files: Files = {}
    needed: set[str] = set()
    todo = [name for schema in events.values() for name in _ref_names(schema)]
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo.extend(_ref_names(pool[name]))
    for name in sorted(needed):
        schema = pool[name]
        document = {"$schema": DRAFT, "$id": f"{base}/objects/{name}.json"}
        document["title"] = schema.get("title", name)
        document.update((k, v) for k, v in schema.items() if k != "title")
        files[f"{profile}/{version}/objects/{name}.json"] = _dump(document)
    for event, schema in sorted(events.items()):
        document = {
            "$schema": DRAFT,
            "$id": f"{base}/events/{event}.json",
            "title": f"data of event: {event}",
        }
        # an event named with "/" (MCP's notifications/progress) sits in a subfolder of events/
        document.update(_prefix_refs(schema, "../" * (event.count("/") + 1) + "objects/"))
        document.pop("$defs", None)
        files[f"{profile}/{version}/events/{event}.json"] = _dump(document)
    files[f"{profile}/{version}/deviations.json"] = _dump(
        _deviations_file(profile, version, source, deviations)
    )
    return files


def _prefix_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, list):
        return [_prefix_refs(item, prefix) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
            out[key] = prefix + value
        elif key in _DATA_KEYS:
            out[key] = value
        else:
            out[key] = _prefix_refs(value, prefix)
    return out


def _profile_file(profile: str, meta: Schema) -> str:
    document = {
        "$comment": f"Data, not a schema. Read by recorder.validate.schemas. {meta.pop('comment')}",
        "profile": profile,
        **meta,
    }
    return _dump(document)


def _dump(document: Any) -> str:
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------
# The three profiles
# ---------------------------------------------------------------------------------------------


def _openapi_pool(spec: dict[str, Any]) -> dict[str, Schema]:
    components = spec["components"]["schemas"]
    converted = {name: _convert(schema, name) for name, schema in components.items()}
    return {name: _flatten_all_of(schema, converted) for name, schema in converted.items()}


def _openapi_source(spec: dict[str, Any]) -> str:
    return (
        f"fixtures/reference/openai/openapi.yaml (openai/openai-openapi {OPENAPI_COMMIT},"
        f" info.version {spec['info']['version']})"
    )


def build_responses(spec: dict[str, Any], pool: dict[str, Schema]) -> Files:
    events: dict[str, Schema] = {}
    for member in spec["components"]["schemas"]["ResponseStreamEvent"]["anyOf"]:
        name = member["$ref"].rsplit("/", 1)[-1]
        schema = copy.deepcopy(pool[name])
        kind = schema["properties"]["type"]["const"]
        if kind in events:
            raise SystemExit(f"two members of ResponseStreamEvent have type {kind!r}")
        schema.pop("title", None)
        events[kind] = {"description": schema.pop("description", name).strip(), **schema}
        events[kind]["description"] = f"{name}: {events[kind]['description']}"
    pool = copy.deepcopy(pool)
    source = _openapi_source(spec)
    files = _version_files("responses", "v1", events, pool, source)
    files["responses/profile.json"] = _profile_file(
        "responses",
        {
            "comment": f"Generated by {GENERATOR} from {source}, component ResponseStreamEvent.",
            "title": "OpenAI Responses streams (POST /v1/responses, stream: true)",
            "description": (
                "Each version folder holds events/<event type>.json (the schema of that event's"
                " data, one per member of ResponseStreamEvent), objects/ (the components they"
                " refer to) and deviations.json (what the default strength accepts beyond the"
                " docs)."
            ),
            "versions": ["v1"],
            "default_version": "v1",
        },
    )
    return files


def build_chat(spec: dict[str, Any], pool: dict[str, Schema]) -> Files:
    name = "CreateChatCompletionStreamResponse"
    schema = copy.deepcopy(pool[name])
    schema.pop("title", None)
    description = schema.pop("description", name).strip()
    events = {"chat.completion.chunk": {"description": f"{name}: {description}", **schema}}
    pool = copy.deepcopy(pool)
    source = _openapi_source(spec)
    files = _version_files("chat", "v1", events, pool, source)
    files["chat/profile.json"] = _profile_file(
        "chat",
        {
            "comment": f"Generated by {GENERATOR} from {source}, component {name}.",
            "title": "OpenAI Chat Completions streams (POST /v1/chat/completions, stream: true)",
            "description": (
                "One event kind, chat.completion.chunk (every `data:` line but the final"
                " `[DONE]`): events/chat.completion.chunk.json, the objects it refers to in"
                " objects/, and deviations.json (what the default strength accepts beyond the"
                " docs)."
            ),
            "versions": ["v1"],
            "default_version": "v1",
        },
    )
    return files


ASSISTANTS_VERSIONS = ("v2", "v1")


def _without_format(node: Any) -> Any:
    """``node`` without ``format`` keywords (the spec's ``unixtime`` is no JSON Schema format)."""
    if isinstance(node, list):
        return [_without_format(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: Schema = {}
    for key, value in node.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _without_format(sub) for name, sub in value.items()}
        elif key in _DATA_KEYS:
            out[key] = value
        elif key != "format" or not isinstance(value, str):
            out[key] = _without_format(value)
    return out


def _assistants_events(spec: dict[str, Any]) -> dict[str, Schema]:
    """Each member of ``AssistantStreamEvent`` by its ``event``: the schema of its ``data``."""
    components = spec["components"]["schemas"]
    events: dict[str, Schema] = {}
    for member in components["AssistantStreamEvent"]["oneOf"]:
        union = member["$ref"].rsplit("/", 1)[-1]
        for variant in components[union].get("oneOf", [components[union]]):
            (kind,) = variant["properties"]["event"]["enum"]
            if kind in events:
                raise SystemExit(f"two members of AssistantStreamEvent have event {kind!r}")
            # only `data`: ThreadStreamEvent's stray `enabled` belongs to no payload
            data = _without_format(_convert(variant["properties"]["data"], union))
            notes = [
                variant.get("description", ""),
                variant.get("x-oaiMeta", {}).get("dataDescription", ""),
            ]
            description = " ".join(n.strip() for n in notes if n.strip())
            events[kind] = {"description": f"{union}: {description}", **data}
    return events


def _field(component: Schema, path: str) -> tuple[Schema, str]:
    """The schema holding field ``path`` of ``component`` (``$``: the component), and its key."""
    if path == "$":
        return {"properties": {"$": component}}, "$"
    return _holder(component, path)


def _walk(node: Any) -> Iterator[Schema]:
    """Every schema object under ``node`` (not inside data keywords)."""
    if isinstance(node, list):
        for item in node:
            yield from _walk(item)
    elif isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key not in _DATA_KEYS:
                yield from _walk(list(value.values()) if key in _SCHEMA_MAPS else value)


def _v1_edit(pool: dict[str, Schema], edit: tuple[Any, ...]) -> None:
    """One edit of tools/assistants_v1.py's ``EDITS`` on the (copied) v2 components."""
    operation, component, path, *args = edit
    if path == "$" and operation not in ("enum", "ref"):
        raise SystemExit(f"v1: {operation!r} needs a field of {component}")
    holder, name = _field(pool[component], path)
    properties = holder.setdefault("properties", {})
    if operation == "add":
        if name in properties:
            raise SystemExit(f"v1: {component}.{path} is in v2 already")
        properties[name] = copy.deepcopy(args[0])
        return
    if name not in properties:
        raise SystemExit(f"v1: {component} has no {path}")
    if operation == "remove":
        del properties[name]
        holder["required"] = [r for r in holder.get("required", ()) if r != name]
        if not holder["required"]:
            del holder["required"]
    elif operation in ("require", "optional"):
        required = holder.get("required", [])
        if (name in required) == (operation == "require"):
            raise SystemExit(f"v1: {component}.{path} is {operation} in v2 already")
        if operation == "require":
            holder["required"] = [*required, name]
        else:
            holder["required"] = [r for r in required if r != name]
    elif operation == "without":
        properties[name] = {k: v for k, v in properties[name].items() if k != args[0]}
    elif operation in ("enum", "ref"):
        old, new = args
        found = 0
        for node in _walk(properties[name]):
            if operation == "enum" and old in node.get("enum", ()):
                found += 1
                node["enum"] = [new if v == old else v for v in node["enum"] if v != old or new]
            for key in ("oneOf", "anyOf") if operation == "ref" else ():
                branches = node.get(key, ())
                if {"$ref": f"{old}.json"} in branches:
                    found += 1
                    node[key] = [
                        {"$ref": f"{new}.json"} if b == {"$ref": f"{old}.json"} else b
                        for b in branches
                        if new or b != {"$ref": f"{old}.json"}
                    ]
        if not found:
            raise SystemExit(f"v1: no {old!r} in {component}.{path}")
    else:
        raise SystemExit(f"v1: unknown edit {operation!r}")


def build_assistants(spec: dict[str, Any], pool: dict[str, Schema]) -> Files:
    """v2 from ``AssistantStreamEvent``; v1 from v2 and tools/assistants_v1.py."""
    events = _assistants_events(spec)
    pool = {name: _without_format(schema) for name, schema in pool.items()}
    source = _openapi_source(spec)
    v1_pool = copy.deepcopy(pool)
    v1_events = {
        k: copy.deepcopy(v) for k, v in events.items() if k not in assistants_v1.EVENTS_DROPPED
    }
    files = _version_files("assistants", "v2", events, pool, source)
    v1_pool.update(copy.deepcopy(assistants_v1.COMPONENTS))
    for edit in assistants_v1.EDITS:
        _v1_edit(v1_pool, edit)
    unknown = set(assistants_v1.V2_ONLY_DEVIATIONS) - {d["id"] for d in DEVIATIONS["assistants"]}
    if unknown:
        raise SystemExit(f"v1: no deviation {sorted(unknown)}")
    table = [d for d in DEVIATIONS["assistants"] if d["id"] not in assistants_v1.V2_ONLY_DEVIATIONS]
    v1_source = f"{source} with the v1 differences of tools/assistants_v1.py"
    files.update(_version_files("assistants", "v1", v1_events, v1_pool, v1_source, table))
    files["assistants/profile.json"] = _profile_file(
        "assistants",
        {
            "comment": f"Generated by {GENERATOR} from {source}, component AssistantStreamEvent"
            " (v2), and tools/assistants_v1.py (v1 and version_shapes).",
            "title": "OpenAI Assistants run streams",
            "description": (
                "Each version folder holds events/<event name>.json (the schema of that event's"
                " data), objects/ (what the events refer to) and deviations.json (what the"
                " default strength accepts beyond the docs)."
            ),
            "versions": list(ASSISTANTS_VERSIONS),
            "default_version": ASSISTANTS_VERSIONS[0],
            "version_header": {"name": "OpenAI-Beta", "pattern": "assistants=(v[0-9]+)"},
            "version_shapes": assistants_v1.VERSION_SHAPES,
        },
    )
    return files


_PYDANTIC_DROPPED = {"discriminator"}


def _from_pydantic(node: Any) -> Any:
    """A pydantic schema node: refs as ``<Model>.json``, no ``additionalProperties: true``."""
    if isinstance(node, list):
        return [_from_pydantic(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: Schema = {}
    for key, value in node.items():
        if key in _PYDANTIC_DROPPED or (key == "additionalProperties" and value is True):
            continue
        if key == "$ref":
            out[key] = value.removeprefix("#/$defs/") + ".json"
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _from_pydantic(sub) for name, sub in value.items()}
        elif key in _DATA_KEYS:
            out[key] = copy.deepcopy(value)
        else:
            out[key] = _from_pydantic(value)
    return out


def _type_of(model: Any) -> str:
    return str(typing.get_args(model.model_fields["type"].annotation)[0])


def _union_members(union: Any) -> tuple[Any, ...]:
    args = typing.get_args(union)
    if typing.get_origin(union) is typing.Annotated:
        return _union_members(args[0])
    return args


_ANTHROPIC_PING: Schema = {
    "title": "Ping",
    "description": "A keep-alive; the SDK skips it. From the streaming docs: 'Event streams may"
    " also include any number of `ping` events.'",
    "type": "object",
    "properties": {"type": {"const": "ping", "type": "string"}},
    "required": ["type"],
}


def build_anthropic() -> Files:
    import anthropic
    import pydantic
    from anthropic.types import ErrorResponse, RawMessageStreamEvent
    from anthropic.types.beta import BetaRawMessageStreamEvent
    from pydantic.json_schema import models_json_schema

    standard = {_type_of(m): m for m in _union_members(RawMessageStreamEvent)}
    beta = {_type_of(m): m for m in _union_members(BetaRawMessageStreamEvent)}
    if set(standard) != set(beta):
        raise SystemExit(f"standard and beta unions differ: {sorted(set(standard) ^ set(beta))}")
    # One generation for every model, so that pydantic gives same-named models distinct names.
    models = [*beta.values(), *standard.values(), ErrorResponse]
    refs, top = models_json_schema([(m, "validation") for m in models])
    pool = {name: _from_pydantic(sub) for name, sub in top["$defs"].items()}

    def name_of(model: Any) -> str:
        return str(refs[(model, "validation")]["$ref"]).removeprefix("#/$defs/")

    events: dict[str, Schema] = {}
    for kind in sorted(standard):
        # Beta first: it is the superset, and SchemaSet names undocumented fields against the
        # first branch that fits.
        names = [name_of(beta[kind]), name_of(standard[kind])]
        events[kind] = {
            "description": f"anthropic.types {' or '.join(reversed(names))} (SDK"
            f" {anthropic.__version__}).",
            "anyOf": [{"$ref": f"{n}.json"} for n in names],
        }
    events["ping"] = copy.deepcopy(_ANTHROPIC_PING)
    events["error"] = {
        "description": f"anthropic.types.ErrorResponse (SDK {anthropic.__version__}): an error"
        " inside the stream, outside the SDK's event union.",
        "$ref": f"{name_of(ErrorResponse)}.json",
    }
    source = (
        f"the anthropic Python SDK {anthropic.__version__} (pydantic"
        f" {pydantic.VERSION}): anthropic.types.RawMessageStreamEvent,"
        " anthropic.types.beta.BetaRawMessageStreamEvent, anthropic.types.ErrorResponse"
    )
    files = _version_files("anthropic", "2023-06-01", events, pool, source)
    files["anthropic/profile.json"] = _profile_file(
        "anthropic",
        {
            "comment": f"Generated by {GENERATOR} from {source}.",
            "title": "Anthropic Messages streams (POST /v1/messages, stream: true)",
            "description": (
                "Versions are the `anthropic-version` request header. Each version folder holds"
                " events/<event type>.json (standard or beta SDK type; ping and error from the"
                " streaming docs), objects/ (the SDK models they refer to) and deviations.json"
                " (what the default strength accepts beyond the docs)."
            ),
            "sdk": {"package": "anthropic", "version": anthropic.__version__},
            "versions": ["2023-06-01"],
            "default_version": "2023-06-01",
            "version_header": {
                "name": "anthropic-version",
                "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2})$",
            },
        },
    )
    return files


def _mcp_refs(node: Any) -> Any:
    """``#/$defs/Name`` -> ``Name.json`` (one object per file, as the other profiles)."""
    if isinstance(node, list):
        return [_mcp_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: Schema = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
            out[key] = value.removeprefix("#/$defs/") + ".json"
        elif key in _DATA_KEYS:
            out[key] = value
        else:
            out[key] = _mcp_refs(value)
    return out


def build_mcp() -> Files:
    """MCP Streamable HTTP: the JSON-RPC messages a server may put on a POST's event stream,
    one event kind per method (``ServerNotification`` and ``ServerRequest`` members), plus
    ``result`` and ``error`` (the JSON-RPC response that ends the stream), per revision."""
    files: Files = {}
    for version in MCP_VERSIONS:
        document = json.loads((MCP / f"{version}.schema.json").read_text(encoding="utf-8"))
        pool = {name: _mcp_refs(schema) for name, schema in document["$defs"].items()}
        members = ["ServerNotification", *(["ServerRequest"] if "ServerRequest" in pool else [])]
        events: dict[str, Schema] = {}
        for union in members:
            for member in pool[union]["anyOf"]:
                name = member["$ref"].removesuffix(".json")
                schema = copy.deepcopy(pool[name])
                method = schema["properties"]["method"]["const"]
                description = schema.pop("description", name).strip()
                events[method] = {"description": f"{name}: {description}", **schema}
        for kind, name in (("result", "JSONRPCResultResponse"), ("error", "JSONRPCErrorResponse")):
            schema = copy.deepcopy(pool[name])
            description = schema.pop("description", name).strip()
            events[kind] = {"description": f"{name}: {description}", **schema}
        source = (
            f"fixtures/reference/mcp/{version}.schema.json (modelcontextprotocol/"
            f"modelcontextprotocol {MCP_COMMIT}, schema/{version}/schema.json)"
        )
        files.update(_version_files("mcp", version, events, pool, source))
    files["mcp/profile.json"] = _profile_file(
        "mcp",
        {
            "comment": f"Generated by {GENERATOR} from fixtures/reference/mcp/<version>.schema.json"
            f" (modelcontextprotocol/modelcontextprotocol {MCP_COMMIT}).",
            "title": "MCP Streamable HTTP: the event stream answering a POSTed JSON-RPC request",
            "description": (
                "Each version folder holds events/<method>.json (a message the server may send"
                " on the stream: the members of ServerNotification and, before 2026-07-28,"
                " ServerRequest), events/result.json and events/error.json (the JSON-RPC"
                " response), objects/ (the definitions they refer to) and deviations.json."
            ),
            "versions": list(MCP_VERSIONS),
            "default_version": MCP_DEFAULT,
            "version_header": {
                "name": "mcp-protocol-version",
                "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2})$",
            },
        },
    )
    return files


def build() -> Files:
    """Every file of the generated profiles, by path relative to ``schemas/``."""
    spec = _load_openapi()
    pool = _openapi_pool(spec)
    files: Files = {}
    files.update(build_responses(spec, pool))
    files.update(build_chat(spec, pool))
    files.update(build_assistants(spec, pool))
    files.update(build_anthropic())
    files.update(build_mcp())
    return files


def _checked_in() -> Files:
    found: Files = {}
    for profile in PROFILES:
        for path in sorted((SCHEMAS / profile).rglob("*")):
            if path.is_file():
                found[path.relative_to(SCHEMAS).as_posix()] = path.read_text(encoding="utf-8")
    return found


def differences(fresh: Files) -> list[str]:
    """The paths (relative to ``schemas/``) where the checked-in files differ from ``fresh``."""
    current = _checked_in()
    return sorted(p for p in fresh.keys() | current.keys() if fresh.get(p) != current.get(p))


def write(fresh: Files) -> None:
    for path in set(_checked_in()) - set(fresh):
        (SCHEMAS / path).unlink()
    for path, text in fresh.items():
        target = SCHEMAS / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None, build_files: Callable[[], Files] = build) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if schemas/ differs from a fresh build"
    )
    args = parser.parse_args(argv)
    fresh = build_files()
    if args.check:
        stale = differences(fresh)
        for path in stale:
            print(f"differs from a fresh build: schemas/{path}")
        return 1 if stale else 0
    write(fresh)
    counts = {
        p: sum(1 for f in fresh if f.startswith(f"{p}/") and "/events/" in f) for p in PROFILES
    }
    print("wrote " + ", ".join(f"{p}: {n} event schemas" for p, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
