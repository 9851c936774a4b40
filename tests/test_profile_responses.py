"""The ``responses`` profile: every rule kept by a real body and broken by an altered one.

Broken streams are real captures (fixtures/real-streams/responses) changed one way: an event
dropped, duplicated, swapped or altered. Each must give the rule at the index of the first
event that breaks it. Schema checks are off for the rule cases (``RULES_ONLY``) so a rule is
seen alone; the schema rules have their own cases. Every real capture is checked whole too.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from recorder.cassette import Cassette, Chunk, Interaction, RecordedRequest, RecordedResponse
from recorder.profiles import get_profile
from recorder.profiles.responses.fold import ResponsesFold
from recorder.validate.findings import Finding, Severity
from recorder.validate.runner import RuleConfig, validate_cassette, validate_file
from recorder.wire.sse import SSEParser

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "fixtures" / "real-streams" / "responses"
RULES_ONLY = RuleConfig(schemas=False)
CREATE = RecordedRequest(method="POST", url="https://api.openai.com/v1/responses")

HELLO = "dotnet-helloworldstreaming-gpt-4o-mini-20250916.sse"
FUNCTION = "dotnet-functioncallstreamingworks.sse"
WEB_SEARCH = "dotnet-websearchcallstreaming.sse"
MCP = "dotnet-mcptoolstreamingworks-20250926.sse"
CODE = "dotnet-codeinterpretertoolstreaming-20250926.sse"
ANNOTATED = "dotnet-codeinterpretertoolstreamingwithfiles-20250926.sse"
SUMMARY = "fantasy-TestOpenAIResponsesWithSummaryThinking-openai-o4-mini-thinking-streaming-2.sse"
REASONING_TEXT = "pydantic-ai-openai-responses-raw-cot-stream-openrouter-openrouter.sse"
CUSTOM = "vercel-reframed-openai-openai-custom-tool-1.sse"
PATCH = "vercel-reframed-openai-openai-apply-patch-tool-1.sse"
ERROR = "vercel-reframed-openai-openai-error-1.sse"
RESUME = "dotnet-canstreambackgroundresponses-resume-get.sse"
XAI = "vercel-reframed-xai-xai-text-streaming-1.sse"
COPILOT = "vercel-reframed-openai-github-copilot-id-rotation-1.sse"

Event = list[Any]  # [SSE event name, payload (dict) or raw data (str)]


def real(name: str) -> list[Event]:
    """The events of a real capture as [name, payload] pairs (payload: JSON or raw text)."""
    parser = SSEParser(keep_comments=False)
    events = [*parser.feed((REAL / name).read_bytes()), *parser.close()]
    out: list[Event] = []
    for event in events:
        try:
            out.append([event.event, json.loads(event.data)])
        except ValueError:
            out.append([event.event, event.data])
    return out


def body(events: list[Event]) -> bytes:
    parts = []
    for name, payload in events:
        data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        head = f"event: {name}\n" if name != "message" else ""
        parts.append(f"{head}data: {data}\n\n")
    return "".join(parts).encode()


def cassette(
    events: list[Event],
    request: RecordedRequest | None = CREATE,
    headers: list[tuple[str, str]] | None = None,
) -> Cassette:
    if request is None:
        return Cassette.from_sse(body(events))
    return Cassette(
        interactions=[
            Interaction(
                request=request,
                response=RecordedResponse(
                    status=200, headers=headers or [("content-type", "text/event-stream")]
                ),
                chunks=[Chunk(t=0.0, data=body(events))],
                outcome="complete",
                ended_at=0.0,
            )
        ]
    )


def check(
    events: list[Event],
    request: RecordedRequest | None = CREATE,
    config: RuleConfig = RULES_ONLY,
    headers: list[tuple[str, str]] | None = None,
) -> list[Finding]:
    return validate_cassette(cassette(events, request, headers), config=config)


def index_of(events: list[Event], kind: str, nth: int = 0) -> int:
    found = [i for i, (_, payload) in enumerate(events) if _type(payload) == kind]
    return found[nth]


def _type(payload: Any) -> Any:
    return payload.get("type") if isinstance(payload, dict) else None


def renumber(events: list[Event]) -> list[Event]:
    """sequence_number 0, 1, 2... again after a structural change (so RS5 stays quiet)."""
    for number, (_, payload) in enumerate(events):
        if isinstance(payload, dict) and "sequence_number" in payload:
            payload["sequence_number"] = number
    return events


# --------------------------------------------------------------------------- mutations

Mutation = Callable[[list[Event]], tuple[list[Event], int | None]]


def drop(kind: str, nth: int = 0) -> Mutation:
    def change(events: list[Event]) -> tuple[list[Event], int | None]:
        at = index_of(events, kind, nth)
        del events[at]
        return renumber(events), at

    return change


def set_field(kind: str, path: str, value: Any, nth: int = 0, *, last: bool = False) -> Mutation:
    def change(events: list[Event]) -> tuple[list[Event], int | None]:
        at = index_of(events, kind, -1 if last else nth)
        target = events[at][1]
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(keys[-1])] = value
        else:
            target[keys[-1]] = value
        return events, at

    return change


def then(*mutations: Mutation, at: str | None = None) -> Mutation:
    """Several changes; the breaking index is that of the first event of kind ``at``."""

    def change(events: list[Event]) -> tuple[list[Event], int | None]:
        index = None
        for mutation in mutations:
            events, index = mutation(events)
        return events, index_of(events, at) if at else index

    return change


def at_kind(mutation: Mutation, kind: str, nth: int = 0) -> Mutation:
    """``mutation``, breaking at the ``nth`` event of ``kind`` (a .done that sums up)."""

    def change(events: list[Event]) -> tuple[list[Event], int | None]:
        events, _ = mutation(events)
        return events, index_of(events, kind, nth)

    return change


def custom(function: Callable[[list[Event]], int | None]) -> Mutation:
    def change(events: list[Event]) -> tuple[list[Event], int | None]:
        return events, function(events)

    return change


def _rename_sse(events: list[Event]) -> int:
    events[5][0] = "response.output_text.done"
    return 5


def _unknown_type(events: list[Event]) -> int:
    events[5] = [
        "response.output_text.sparkle",
        {**events[5][1], "type": "response.output_text.sparkle"},
    ]
    return 5


def _not_json(events: list[Event]) -> int:
    events[5][1] = "{not json"
    return 5


def _skip_sequence(events: list[Event]) -> int:
    events[5][1]["sequence_number"] = 7
    return 5


def _no_sequence(events: list[Event]) -> None:
    for _, payload in events:
        payload.pop("sequence_number", None)
    return None


def _duplicate_created(events: list[Event]) -> int:
    events.insert(1, copy.deepcopy(events[0]))
    renumber(events)
    return 1


def _second_terminal(events: list[Event]) -> int:
    events.append(copy.deepcopy(events[-1]))
    renumber(events)
    return len(events) - 1


def _event_after_terminal(events: list[Event]) -> int:
    events.append(copy.deepcopy(events[1]))
    renumber(events)
    return len(events) - 1


def _no_terminal(events: list[Event]) -> None:
    del events[-1]
    return None


def _item_index_skips(events: list[Event]) -> int:
    at = index_of(events, "response.output_item.added")
    events[at][1]["output_index"] = 1
    return at


def _part_after_item(events: list[Event]) -> int:
    part, item = (
        index_of(events, "response.content_part.done"),
        index_of(events, "response.output_item.done"),
    )
    events[part], events[item] = events[item], events[part]
    renumber(events)
    return part


def _swap_statuses(events: list[Event]) -> int:
    first = index_of(events, "response.web_search_call.in_progress")
    events[first], events[first + 1] = events[first + 1], events[first]
    renumber(events)
    return first + 1


def _refusal(events: list[Event]) -> list[Event]:
    """The hello stream as a refusal (the same pieces, refusal events)."""
    for event in events:
        payload = event[1]
        kind = payload["type"]
        if kind.startswith("response.output_text."):
            payload["type"] = event[0] = kind.replace("output_text", "refusal")
            payload.pop("logprobs", None)
            if "text" in payload:
                payload["refusal"] = payload.pop("text")
        for part in _parts(payload):
            if part.get("type") == "output_text":
                part.clear()
                part.update(type="refusal", refusal="Hello! How can I assist you today?")
    return events


def _parts(payload: dict[str, Any]) -> list[dict[str, Any]]:
    found = [payload["part"]] if isinstance(payload.get("part"), dict) else []
    items = [payload["item"]] if isinstance(payload.get("item"), dict) else []
    items += (payload.get("response") or {}).get("output") or []
    for item in items:
        found += [part for part in item.get("content") or [] if isinstance(part, dict)]
    return found


def _error_then(kind: str) -> Callable[[list[Event]], int]:
    def change(events: list[Event]) -> int:
        events.insert(3, [kind, {**copy.deepcopy(events[1][1]), "type": kind}])
        renumber(events)
        return 3

    return change


def _drop_annotations(events: list[Event]) -> int:
    at = index_of(events, "response.content_part.done", -1)
    events[at][1]["part"]["annotations"] = []
    return at


def _reorder_output(events: list[Event]) -> int:
    at = index_of(events, "response.completed")
    output = events[at][1]["response"]["output"]
    output[0], output[1] = output[1], output[0]
    return at


def _drop_listed_item(events: list[Event]) -> int:
    at = index_of(events, "response.completed")
    events[at][1]["response"]["output"].pop()
    return at


# (rule, capture, mutation, expected findings are errors)
BREAKS: list[tuple[str, str, Mutation]] = [
    ("RS2", HELLO, custom(_not_json)),
    ("RS3", HELLO, custom(_rename_sse)),
    ("RS4", HELLO, custom(_unknown_type)),
    ("RS5", HELLO, custom(_skip_sequence)),
    ("RS5", HELLO, custom(_no_sequence)),
    ("RS6", HELLO, drop("response.created")),
    ("RS6", HELLO, custom(_duplicate_created)),
    ("RS7", HELLO, custom(_second_terminal)),
    ("RS7", HELLO, custom(_event_after_terminal)),
    ("RS7", HELLO, custom(_no_terminal)),
    ("RS8", HELLO, drop("response.output_item.added")),
    ("RS8", HELLO, custom(_item_index_skips)),
    ("RS9", HELLO, drop("response.content_part.added")),
    ("RS9", SUMMARY, drop("response.reasoning_summary_part.added")),
    ("RS9", HELLO, custom(_part_after_item)),
    (
        "RS10",
        HELLO,
        at_kind(set_field("response.output_text.delta", "delta", "X"), "response.output_text.done"),
    ),
    (
        "RS10",
        FUNCTION,
        at_kind(
            set_field("response.function_call_arguments.delta", "delta", "X"),
            "response.function_call_arguments.done",
        ),
    ),
    (
        "RS10",
        SUMMARY,
        at_kind(
            set_field("response.reasoning_summary_text.delta", "delta", "X"),
            "response.reasoning_summary_text.done",
        ),
    ),
    (
        "RS10",
        REASONING_TEXT,
        at_kind(
            set_field("response.reasoning_text.delta", "delta", "X"),
            "response.reasoning_text.done",
        ),
    ),
    (
        "RS10",
        MCP,
        at_kind(
            set_field("response.mcp_call_arguments.delta", "delta", "X"),
            "response.mcp_call_arguments.done",
        ),
    ),
    (
        "RS10",
        CODE,
        at_kind(
            set_field("response.code_interpreter_call_code.delta", "delta", "X"),
            "response.code_interpreter_call_code.done",
        ),
    ),
    (
        "RS10",
        PATCH,
        at_kind(
            set_field("response.apply_patch_call_operation_diff.delta", "delta", "X"),
            "response.apply_patch_call_operation_diff.done",
        ),
    ),
    (
        "RS10",
        "refusal",
        at_kind(set_field("response.refusal.delta", "delta", "X"), "response.refusal.done"),
    ),
    ("RS11", HELLO, set_field("response.content_part.done", "part.text", "Hi")),
    ("RS11", HELLO, set_field("response.output_item.done", "item.content.0.text", "Hi")),
    ("RS11", HELLO, set_field("response.completed", "response.output.0.content.0.text", "Hi")),
    ("RS11", FUNCTION, set_field("response.output_item.done", "item.arguments", "{}")),
    ("RS11", CUSTOM, set_field("response.output_item.done", "item.input", "x")),
    ("RS11", SUMMARY, set_field("response.reasoning_summary_part.done", "part.text", "x")),
    ("RS11", "refusal", set_field("response.content_part.done", "part.refusal", "No")),
    ("RS12", ANNOTATED, custom(_drop_annotations)),
    ("RS13", WEB_SEARCH, custom(_swap_statuses)),
    ("RS14", HELLO, set_field("response.completed", "response.status", "in_progress")),
    ("RS14", HELLO, set_field("response.completed", "response.usage", None)),
    (
        "RS14",
        ERROR,
        set_field("response.failed", "response.error", None),
    ),
    ("RS15", MCP, custom(_reorder_output)),
    ("RS15", HELLO, custom(_drop_listed_item)),
    ("RS16", ERROR, custom(lambda events: index_of(events, "error"))),
    ("RS17", ERROR, custom(_error_then("response.in_progress"))),
    ("RS18", HELLO, set_field("response.completed", "response.id", "resp_other")),
    ("RS18", HELLO, set_field("response.in_progress", "response.created_at", 1)),
    ("RS18", HELLO, set_field("response.output_item.done", "item.id", "msg_other")),
    ("RS18", HELLO, set_field("response.content_part.done", "item_id", "msg_other")),
]

#: Rules whose finding is a warning by design (the others break with an error).
WARNINGS = {"RS4", "RS16"}


def base(name: str) -> list[Event]:
    if name == "refusal":
        return _refusal(real(HELLO))
    return real(name)


@pytest.mark.parametrize(
    ("rule", "capture", "mutation"),
    BREAKS,
    ids=[f"{rule}-{n}" for n, (rule, _, _) in enumerate(BREAKS)],
)
def test_a_broken_stream_gives_the_rule_at_the_first_breaking_event(
    rule: str, capture: str, mutation: Mutation
) -> None:
    events, expected = mutation(base(capture))
    findings = check(events)
    mine = [f for f in findings if f.rule == rule]
    assert mine, [(f.rule, f.event_index, f.message) for f in findings]
    first = mine[0]
    assert first.event_index == expected, first
    if rule in WARNINGS or (rule == "RS5" and expected is None):
        assert first.severity is Severity.WARNING
    else:
        assert first.severity is Severity.ERROR, first


KEEPS = sorted({capture for _, capture, _ in BREAKS})


@pytest.mark.parametrize("capture", KEEPS)
def test_the_unbroken_streams_keep_every_rule(capture: str) -> None:
    events = base(capture)
    if capture == ERROR:  # the server's error: a warning, and the contract holds
        assert {f.rule for f in check(events) if not f.is_error} == {"RS16"}
    errors = [f for f in check(events) if f.is_error]
    assert errors == []


def test_every_declared_rule_has_a_breaking_and_a_keeping_stream() -> None:
    declared = set(get_profile("responses").rules)
    broken = {rule for rule, _, _ in BREAKS} | {"RS1", "SCHEMA", "SCHEMA-REAL", "SCHEMA-EXTRA"}
    assert declared == broken
    # every rule's keeping stream: the unbroken captures above hold every rule


# --------------------------------------------------------------------------- framing, schemas


def test_invalid_utf8_is_rs1_at_its_byte() -> None:
    data = body(real(HELLO))
    at = data.index(b'"delta": "') + 10
    broken = data[:at] + b"\xff" + data[at:]
    found = validate_cassette(Cassette.from_sse(broken), config=RULES_ONLY)
    first = next(f for f in found if f.rule == "RS1")
    line_start = data.rindex(b"\n", 0, at) + 1  # the parser reports the line of the bytes
    assert (first.offset, first.line) == (line_start, data[:at].count(b"\n") + 1)
    assert first.is_error
    assert not [f for f in validate_cassette(Cassette.from_sse(data)) if f.rule == "RS1"]


def test_schema_rules_in_both_strengths() -> None:
    events = real(HELLO)
    events[5][1]["delta"] = 5
    events[6][1]["sparkle"] = True
    found = check(events, config=RuleConfig())
    assert ("SCHEMA", 5, Severity.ERROR) in {(f.rule, f.event_index, f.severity) for f in found}
    assert ("SCHEMA-EXTRA", 6, Severity.WARNING) in {
        (f.rule, f.event_index, f.severity) for f in found
    }
    # real servers send user: null, which the docs type as a string: a warning, strict an error
    default = {(f.rule, f.severity) for f in check(real(HELLO), config=RuleConfig())}
    strict = {(f.rule, f.severity) for f in check(real(HELLO), config=RuleConfig(strict=True))}
    assert ("SCHEMA-REAL", Severity.WARNING) in default
    assert ("SCHEMA-REAL", Severity.ERROR) in strict
    assert not any(f.is_error for f in check(real(HELLO), config=RuleConfig()))


# --------------------------------------------------------------------------- resumption


def resume_request(after: int | None) -> RecordedRequest:
    query = "stream=true" + (f"&starting_after={after}" if after is not None else "")
    return RecordedRequest(method="GET", url=f"https://api.openai.com/v1/responses/resp_1?{query}")


def test_a_resumed_stream_continues_after_starting_after() -> None:
    events = real(RESUME)  # starts at sequence_number 2 (response.in_progress)
    assert events[0][1]["sequence_number"] == 2
    assert [f for f in check(events, resume_request(1)) if f.is_error] == []
    wrong = check(events, resume_request(4))
    assert [(f.rule, f.event_index) for f in wrong if f.is_error][:1] == [("RS5", 0)]


def test_a_resumed_stream_may_start_inside_an_item() -> None:
    events = real(HELLO)[7:]  # after sequence_number 6: the item, its part, 3 deltas gone
    assert [f for f in check(events, resume_request(6)) if f.is_error] == []
    # the same body as a new stream: it opens in the middle of nothing
    fresh = check(events, CREATE)
    assert [(f.rule, f.event_index) for f in fresh if f.is_error][:2] == [("RS6", 0), ("RS5", 0)]


def test_a_raw_body_that_starts_past_zero_reads_as_resumed_with_a_warning() -> None:
    found = check(real(RESUME), None)
    assert [f for f in found if f.is_error] == []
    assert [(f.rule, f.event_index, f.severity) for f in found if f.rule == "RS5"] == [
        ("RS5", 0, Severity.WARNING)
    ]


# --------------------------------------------------------------------------- recognition

OPENAI = "https://api.openai.com"
AZURE = "https://x.openai.azure.com"


@pytest.mark.parametrize(
    ("method", "url", "shape"),
    [
        ("POST", "https://api.openai.com/v1/responses", "create"),
        (
            "GET",
            "https://api.openai.com/v1/responses/resp_1?stream=true&starting_after=3",
            "resume",
        ),
        (
            "POST",
            "https://x.openai.azure.com/openai/responses?api-version=2025-04-01-preview",
            "create",
        ),
        ("POST", f"{AZURE}/openai/v1/responses", "create"),
        ("GET", f"{AZURE}/openai/responses/resp_1?stream=true", "resume"),
        ("POST", "https://openrouter.ai/api/v1/responses", "create"),
        ("POST", "https://api.x.ai/v1/responses", "create"),
        ("GET", "https://api.openai.com/v1/responses/resp_1/input_items", None),
        ("POST", "https://api.openai.com/v1/chat/completions", None),
    ],
)
def test_endpoints(method: str, url: str, shape: str | None) -> None:
    profile = get_profile("responses")
    assert profile.endpoint_for(RecordedRequest(method=method, url=url))[0] == shape


def test_a_request_and_a_raw_body_are_recognised() -> None:
    events = real(HELLO)
    findings = validate_file(REAL / HELLO)
    assert findings.profile == "responses"
    chat = [["message", {"id": "x", "object": "chat.completion.chunk", "choices": []}]]
    # by the request alone, whatever the body says
    result = validate_cassette(cassette(chat, CREATE))
    assert all(f.rule != "G0" for f in result)
    assert get_profile("responses").claims is not None
    assert get_profile("responses").claims([(_sse(e), e[1]) for e in events[:3]])


def _sse(event: Event) -> Any:
    from recorder.wire.sse import ServerSentEvent

    return ServerSentEvent(event[0], json.dumps(event[1]))


# --------------------------------------------------------------------------- dialects


def test_xai_is_recognised_from_a_raw_body_and_its_deviations_are_warnings() -> None:
    result = validate_file(REAL / XAI)
    assert result.profile == "responses" and result.ok
    relaxed = [f for f in result.findings if f.rule == "SCHEMA"]
    assert relaxed and all(f.severity is Severity.WARNING for f in relaxed)
    assert "[xai: xAI leaves `error` and `instructions` off the response" in relaxed[0].message
    strict = validate_file(REAL / XAI, strict=True)
    assert not strict.ok


def test_xai_is_recognised_from_the_recorded_host() -> None:
    events = real(HELLO)
    for _, payload in events:
        if isinstance(payload.get("response"), dict):
            payload["response"].pop("instructions", None)
    request = RecordedRequest(method="POST", url="https://api.x.ai/v1/responses")
    found = check(events, request, RuleConfig())
    assert not any(f.is_error for f in found)
    assert any("[xai:" in f.message for f in found if f.rule == "SCHEMA")
    assert any(f.is_error for f in check(events, CREATE, RuleConfig()))


def test_copilot_rotates_ids_a_dialect_says_so() -> None:
    events = real(COPILOT)
    raw = [f for f in check(events, None) if f.is_error]
    assert {f.rule for f in raw} == {"RS18", "RS15"}
    request = RecordedRequest(method="POST", url="https://api.githubcopilot.com/responses")
    found = check(events, request)
    assert not any(f.is_error for f in found)
    assert any("[copilot: GitHub Copilot gives" in f.message for f in found)


def test_openrouter_done_sentinel_and_temporary_ids_are_its_dialect() -> None:
    result = validate_file(REAL / REASONING_TEXT)
    assert result.ok
    said = {f.rule: f.message for f in result.findings if "[openrouter:" in f.message}
    assert set(said) == {"RS2", "RS15"}


# --------------------------------------------------------------------------- real captures

#: Captures that truly break the contract (none of them a plain real recording): the rule
#: and event index of the first error, and why.
TRULY_BROKEN: dict[str, tuple[str, int | None]] = {
    # DERIVED: openai-php removed every blank line, so the SSE parser dispatches no event
    # (recognised by its data lines; RS1 at byte 0: nothing reaches a client).
    "php-derived-code-interpreter.sse": ("RS1", None),
    "php-derived-completion-create.sse": ("RS1", None),
    # DERIVED: the body stops inside its 16th event (byte 5727): no terminal event.
    "php-derived-image-generation.sse": ("RS7", None),
    # HAND-WRITTEN: its first data line is not JSON (',' missing at char 507), so nothing
    # recognises it as Responses (generic).
    "vercel-reframed-openai-parallel-tool-call-wrapper-1.sse": ("", None),
    # REFRAMED: vercel concatenated several HTTP responses into one file: a second
    # response.created after the first response.completed.
    "vercel-reframed-azure-azure-reasoning-encrypted-content-1.sse": ("RS6", 113),
    "vercel-reframed-openai-openai-reasoning-encrypted-content-1.sse": ("RS6", 56),
    "vercel-reframed-openai-openai-shell-tool-1.sse": ("RS6", 12),
    # REFRAMED with ids replaced by vercel's recorder ("capture-id-N", new on every event):
    # response.id changes at event 1 (Copilot's own rotation: the copilot dialect).
    "vercel-reframed-openai-github-copilot-id-rotation-1.sse": ("RS18", 1),
    # REFRAMED and trimmed by vercel: the response object lost its required fields (SCHEMA at
    # event 0) and most deltas were dropped (sequence_number jumps 5 -> 41 at event 6).
    "vercel-reframed-openai-openai-phase-1.sse": ("SCHEMA", 0),
    # HAND-WRITTEN: output_text.done at event 25 says more than its 4 deltas did.
    "vercel-reframed-openai-openai-shell-container-1.sse": ("RS10", 25),
}

CAPTURES = sorted(path.name for path in REAL.glob("*.sse"))


def test_the_truly_broken_table_names_existing_captures() -> None:
    assert set(TRULY_BROKEN) <= set(CAPTURES)
    assert len(CAPTURES) == 178


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_real_capture_is_recognised_and_keeps_the_contract(capture: str) -> None:
    result = validate_file(REAL / capture)
    errors = [f for f in result.findings if f.is_error]
    if capture not in TRULY_BROKEN:
        assert result.profile == "responses"
        assert errors == [], [(f.rule, f.event_index, f.message) for f in errors[:3]]
        return
    rule, index = TRULY_BROKEN[capture]
    if not rule:
        assert result.profile == "generic" and errors == []
        return
    assert result.profile == "responses"
    assert (errors[0].rule, errors[0].event_index) == (rule, index)


# --------------------------------------------------------------------------- CLI


def test_the_cli_exits_0_on_a_real_capture_and_1_on_a_broken_one(tmp_path: Path) -> None:
    command = [str(Path(sys.executable).parent / "sse-recorder"), "validate"]
    ok = subprocess.run([*command, str(REAL / HELLO)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    events, _ = custom(_second_terminal)(real(HELLO))
    broken = tmp_path / "broken.sse"
    broken.write_bytes(body(events))
    failed = subprocess.run(
        [*command, "--format", "json", str(broken)], capture_output=True, text=True
    )
    assert failed.returncode == 1, failed.stderr
    report = json.loads(failed.stdout)
    (file,) = report["files"]
    assert file["profile"] == "responses"
    assert [(f["rule"], f["event_index"]) for f in file["findings"] if f["severity"] == "error"][
        :1
    ] == [("RS7", 17)]


# --------------------------------------------------------------------------- view and fold


def test_the_view_gives_the_delta_text_of_every_streamed_kind() -> None:
    view = get_profile("responses").view
    events = real(HELLO)
    text = "".join(
        view.delta_text(payload) or ""
        for _, payload in events
        if payload["type"] == "response.output_text.delta"
    )
    assert text == index_payload(events, "response.output_text.done")["text"]
    assert view.delta_text(events[0][1]) is None  # response.created
    for capture, kind in [
        (FUNCTION, "response.function_call_arguments.delta"),
        (SUMMARY, "response.reasoning_summary_text.delta"),
        (CODE, "response.code_interpreter_call_code.delta"),
    ]:
        payload = index_payload(real(capture), kind)
        assert view.delta_text(payload) == payload["delta"]
        assert view.lane(kind, payload) == "delta"
    assert view.lane("response.output_item.added", events[2][1]) == "item"
    assert view.lane("response.completed", events[-1][1]) == "response"
    assert view.kind("response.created", events[0][1]) == "response.created"
    assert view.fold_identity("response.output_text.delta", events[5][1]) == view.fold_identity(
        "response.output_text.delta", events[6][1]
    )
    assert {"sequence_number", "obfuscation", "created_at", "id", "item_id"} <= set(view.volatile)
    assert view.error_event is not None and view.error_follow is not None
    error = json.loads(view.error_event.split("data: ", 1)[1])
    assert error["type"] == "error" and error["error"]["message"]  # the library raises on it
    assert view.error_event.startswith("event: error\n")
    assert json.loads(view.error_follow.split("data: ", 1)[1])["type"] == "response.failed"


def index_payload(events: list[Event], kind: str) -> dict[str, Any]:
    payload: dict[str, Any] = events[index_of(events, kind)][1]
    return payload


def test_final_is_the_fold_of_the_stream() -> None:
    profile = get_profile("responses")
    assert profile.fold_factory is ResponsesFold
    parser = SSEParser(keep_comments=False)
    events = [*parser.feed((REAL / HELLO).read_bytes()), *parser.close()]
    final = profile.final_of(events)
    assert final["status"] == "completed"
    assert (
        final["output"][0]["content"][0]["text"]
        == index_payload(real(HELLO), "response.output_text.done")["text"]
    )
