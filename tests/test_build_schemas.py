"""tools/build_schemas.py: the generated profiles are reproducible, valid, and fit real streams."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import jsonschema_rs
import pytest

from recorder.validate.findings import Severity
from recorder.validate.schemas import SchemaSet, object_validator
from recorder.wire.sse import parse_bytes

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"
SCHEMAS = ROOT / "schemas"
REAL_STREAMS = ROOT / "fixtures" / "real-streams"

sys.path.insert(0, str(TOOLS))
import assistants_v1  # noqa: E402
import build_schemas  # noqa: E402

#: The pinned source the assistants files name.
OPENAPI_SOURCE = (
    f"fixtures/reference/openai/openapi.yaml (openai/openai-openapi {build_schemas.OPENAPI_COMMIT},"
)

#: (profile, version, event schemas expected)
PROFILES = [("responses", "v1", 58), ("chat", "v1", 1), ("anthropic", "2023-06-01", 8)]
#: Assistants: v2 from AssistantStreamEvent, v1 from v2 and tools/assistants_v1.py
#: (its real captures are checked in tests/test_schemas.py, per inferred version).
ASSISTANTS = [("assistants", "v2", 25), ("assistants", "v1", 24)]

#: Real captures that break the documented contract: kept out of the clean table, and checked
#: to still break it, so the list stays true.
TRUE_BREACHES = {
    # xAI's Responses-compatible server: no `error`/`instructions` on the response, an
    # `x_search` tool, url_citation annotations without start_index/end_index/title.
    "responses/vercel-reframed-xai-xai-text-streaming-1.sse",
    "responses/vercel-reframed-xai-xai-text-with-reasoning-streaming-1.sse",
    "responses/vercel-reframed-xai-xai-text-with-reasoning-streaming-store-false-1.sse",
    "responses/vercel-reframed-xai-xai-web-search-tool-1.sse",
    "responses/vercel-reframed-xai-xai-x-search-tool.sse",
    # vercel/ai trimmed the response object of this fixture to 8 fields (no error, tools, ...).
    "responses/vercel-reframed-openai-openai-phase-1.sse",
    # Groq sends an in-band `data: {"error": {...}}` instead of a chunk.
    "chat/pydantic-ai-tool-use-failed-error-streaming-groq.sse",
    "chat/pydantic-ai-tool-use-failed-error-streaming-with-text-groq.sse",
}


@cache
def fresh_build() -> dict[str, str]:
    return build_schemas.build()


def generated_files() -> list[Path]:
    names = {name for name, _, _ in PROFILES + ASSISTANTS}
    return sorted(p for name in names for p in (SCHEMAS / name).rglob("*.json"))


def real_captures(profile: str) -> list[str]:
    """Captures of ``profile`` whose payloads are real (recorded, or reframed from real data)."""
    found = []
    for line in (REAL_STREAMS / "provenance.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        real = entry["real"].startswith(("real", "likely real", "payloads real"))
        if real and entry["file"].startswith(f"{profile}/"):
            found.append(entry["file"])
    return sorted(found)


def schema_issues(capture: str, *, strict: bool = False) -> list[tuple[str, Any]]:
    """(event kind, issue) for every payload of ``capture`` that differs from its schema."""
    profile = capture.split("/")[0]
    schemas = SchemaSet.load(profile, SchemaSet.versions_of(profile)[0])
    events, _ = parse_bytes((REAL_STREAMS / capture).read_bytes())
    issues = []
    for event in events:
        if event.data.strip() in ("", "[DONE]"):
            continue
        payload = json.loads(event.data)
        kind = "chat.completion.chunk" if profile == "chat" else payload.get("type")
        issues.extend((kind, issue) for issue in schemas.check(kind, payload, strict=strict))
    return issues


def test_checked_in_schemas_equal_a_fresh_build() -> None:
    result = subprocess.run(
        [sys.executable, str(TOOLS / "build_schemas.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_names_each_differing_file(capsys: pytest.CaptureFixture[str]) -> None:
    changed = dict(fresh_build())
    changed["chat/v1/events/chat.completion.chunk.json"] += " "
    changed["chat/v1/objects/Unknown.json"] = "{}\n"
    del changed["assistants/v1/events/done.json"]
    assert build_schemas.main(["--check"], build_files=lambda: changed) == 1
    out = capsys.readouterr().out
    assert "schemas/chat/v1/events/chat.completion.chunk.json" in out
    assert "schemas/chat/v1/objects/Unknown.json" in out
    assert "schemas/assistants/v1/events/done.json" in out
    assert build_schemas.main(["--check"], build_files=fresh_build) == 0


def test_profiles_name_their_generator_and_source() -> None:
    for name, version, _ in PROFILES:
        meta = json.loads((SCHEMAS / name / "profile.json").read_text(encoding="utf-8"))
        assert meta["versions"] == [version] and meta["default_version"] == version
        assert "tools/build_schemas.py" in meta["$comment"]
    assistants_meta = json.loads((SCHEMAS / "assistants" / "profile.json").read_text("utf-8"))
    assert assistants_meta["versions"] == [v for _, v, _ in ASSISTANTS]
    assert assistants_meta["default_version"] == "v2"
    assert f"tools/build_schemas.py from {OPENAPI_SOURCE}" in assistants_meta["$comment"]
    for _, version, _ in ASSISTANTS:
        deviations = json.loads(
            (SCHEMAS / "assistants" / version / "deviations.json").read_text("utf-8")
        )
        assert OPENAPI_SOURCE in deviations["description"]
    anthropic_meta = json.loads((SCHEMAS / "anthropic" / "profile.json").read_text("utf-8"))
    pinned = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"anthropic=={anthropic_meta["sdk"]["version"]}"' in pinned


@cache
def registry() -> Any:
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in generated_files()]
    return jsonschema_rs.Registry([(d["$id"], d) for d in documents if "$id" in d])


@pytest.mark.parametrize("path", generated_files(), ids=lambda p: p.relative_to(SCHEMAS).as_posix())
def test_every_generated_schema_is_valid_draft_2020_12(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    if path.name in ("profile.json", "deviations.json"):
        schemas = [d["documented"] for d in document.get("deviations", ())]
        schemas += [shape["schema"] for shape in document.get("version_shapes", ())]
    else:
        schemas = [document]
    for schema in schemas:
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema_rs.validator_for(schema, registry=registry())


@pytest.mark.parametrize(("profile", "version", "count"), PROFILES + ASSISTANTS)
def test_schema_set_loads_each_new_profile(profile: str, version: str, count: int) -> None:
    schemas = SchemaSet(profile, version)
    assert len(schemas.events) == count
    expected = tuple(v for p, v, _ in PROFILES + ASSISTANTS if p == profile)
    assert SchemaSet.versions_of(profile) == expected


# --- assistants -------------------------------------------------------------------------------


def test_assistants_v2_events_are_the_members_of_assistant_stream_event() -> None:
    spec = build_schemas._load_openapi()
    events = build_schemas._assistants_events(spec)
    assert set(events) == set(SchemaSet.load("assistants", "v2").events)
    assert events["thread.run.created"]["$ref"] == "RunObject.json"
    assert events["thread.message.delta"]["$ref"] == "MessageDeltaObject.json"
    assert events["error"]["$ref"] == "Error.json"
    # done's data is the text [DONE], not JSON
    assert {k: v for k, v in events["done"].items() if k != "description"} == {
        "type": "string",
        "const": "[DONE]",
    }


def test_assistants_v1_is_v2_less_the_table() -> None:
    v2, v1 = SchemaSet.load("assistants", "v2"), SchemaSet.load("assistants", "v1")
    assert set(v1.events) == set(v2.events) - set(assistants_v1.EVENTS_DROPPED)

    def ids(version: str) -> list[str]:
        path = SCHEMAS / "assistants" / version / "deviations.json"
        return [d["id"] for d in json.loads(path.read_text("utf-8"))["deviations"]]

    only_v2 = set(assistants_v1.V2_ONLY_DEVIATIONS)
    assert only_v2 <= set(ids("v2"))
    assert ids("v1") == [i for i in ids("v2") if i not in only_v2]


@pytest.mark.parametrize(
    "edit",
    [
        ("remove", "ThreadObject", "tool_resources"),  # removed by the table already
        ("add", "RunObject", "file_ids", {}),  # added by the table already
        ("optional", "RunObject", "parallel_tool_calls"),  # removed by the table already
        ("ref", "MessageObject", "content", "NoSuchComponent", None),
        ("enum", "RunObject", "status", "paused", None),
        ("require", "RunObject", "id"),  # required already
        ("remove", "RunObject", "$"),
    ],
)
def test_a_v1_edit_that_does_not_apply_stops_the_build(edit: tuple[Any, ...]) -> None:
    pool = copy.deepcopy(v1_pool())
    with pytest.raises(SystemExit):
        build_schemas._v1_edit(pool, edit)


@cache
def v1_pool() -> dict[str, Any]:
    """The OpenAPI components with the v1 table applied."""
    pool = build_schemas._openapi_pool(build_schemas._load_openapi())
    pool.update(copy.deepcopy(assistants_v1.COMPONENTS))
    for known in assistants_v1.EDITS:
        build_schemas._v1_edit(pool, known)
    return pool


def json_endpoint_schemas() -> list[str]:
    toml = (ROOT / "recorder" / "profiles" / "assistants" / "profile.toml").read_text("utf-8")
    return sorted({e["schema"] for e in tomllib.loads(toml)["json_endpoints"]})


@pytest.mark.parametrize("version", [v for _, v, _ in ASSISTANTS])
@pytest.mark.parametrize("name", json_endpoint_schemas())
def test_the_json_endpoints_objects_exist(version: str, name: str) -> None:
    assert (SCHEMAS / "assistants" / version / "objects" / name).is_file()
    validator = object_validator("assistants", version, name)
    assert not validator.is_valid({})


CLEAN = [c for p, _, _ in PROFILES for c in real_captures(p) if c not in TRUE_BREACHES]


@pytest.mark.parametrize("capture", CLEAN)
def test_real_capture_has_no_schema_error_by_default(capture: str) -> None:
    errors = [
        (kind, i.json_path, i.message) for kind, i in schema_issues(capture) if i.rule == "SCHEMA"
    ]
    assert errors == []


@pytest.mark.parametrize("capture", sorted(TRUE_BREACHES))
def test_true_breaches_still_break_the_contract(capture: str) -> None:
    assert any(i.rule == "SCHEMA" for _, i in schema_issues(capture))


def test_real_captures_cover_every_api() -> None:
    counts = {p: sum(c.startswith(f"{p}/") for c in CLEAN) for p, _, _ in PROFILES}
    assert all(n >= 20 for n in counts.values()), counts


TEXT_DELTA = {
    "type": "response.output_text.delta",
    "item_id": "msg_1",
    "output_index": 0,
    "content_index": 0,
    "delta": "Hi",
    "sequence_number": 3,
    "logprobs": [],
}


def test_a_documented_breach_is_a_schema_error() -> None:
    schemas = SchemaSet.load("responses", "v1")
    assert schemas.check("response.output_text.delta", TEXT_DELTA) == []
    issues = schemas.check("response.output_text.delta", {**TEXT_DELTA, "delta": 5})
    assert [(i.rule, i.severity, i.json_path) for i in issues] == [
        ("SCHEMA", Severity.ERROR, "$.delta")
    ]


@pytest.mark.parametrize("strict", [False, True])
def test_a_deviation_is_a_warning_by_default_and_an_error_when_strict(strict: bool) -> None:
    schemas = SchemaSet.load("responses", "v1")
    payload = {k: v for k, v in TEXT_DELTA.items() if k != "logprobs"}
    issues = schemas.check("response.output_text.delta", payload, strict=strict)
    expected = Severity.ERROR if strict else Severity.WARNING
    assert [(i.rule, i.severity, i.json_path) for i in issues] == [
        ("SCHEMA-REAL", expected, "$.logprobs")
    ]


@pytest.mark.parametrize(
    ("profile", "kind", "payload", "path"),
    [
        (
            "chat",
            "chat.completion.chunk",
            {
                "id": "chatcmpl-1",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "gpt-4o",
                "system_fingerprint": None,
                "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}],
            },
            "$.system_fingerprint",
        ),
        (
            "anthropic",
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {
                    "output_tokens": 5,
                    "server_tool_use": {"web_search_requests": 1},
                },
            },
            "$.usage.server_tool_use.web_fetch_requests",
        ),
    ],
)
def test_deviations_of_chat_and_anthropic(
    profile: str, kind: str, payload: dict[str, Any], path: str
) -> None:
    schemas = SchemaSet.load(profile, SchemaSet.versions_of(profile)[0])
    default = schemas.check(kind, payload)
    strict = schemas.check(kind, payload, strict=True)
    assert [(i.rule, i.severity, i.json_path) for i in default] == [
        ("SCHEMA-REAL", Severity.WARNING, path)
    ]
    assert [(i.rule, i.severity) for i in strict] == [("SCHEMA-REAL", Severity.ERROR)]
