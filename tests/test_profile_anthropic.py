"""The ``anthropic`` profile: every rule kept and broken, on real bodies; recognition; the view.

Broken streams are real bodies from fixtures/real-streams/anthropic/ changed one way (an event
dropped, duplicated, moved or altered); each must give the rule at the first breaking event.
Every real capture is detected and has no error but the bodies listed in ``TRULY_BROKEN``.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anthropic
import pytest

from recorder.cassette import Cassette, Chunk, Interaction, RecordedRequest, RecordedResponse
from recorder.errors import UsageError
from recorder.profiles import detect, get_profile
from recorder.replay.faults import FaultSpec, Piece, apply_event_faults
from recorder.testing.snapshot import render_snapshot
from recorder.validate.findings import Finding, Severity
from recorder.validate.runner import RuleConfig, validate_cassette, validate_file
from recorder.wire.sse import SSEParser
from tests.upstream import Script, Upstream, split_events

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real-streams" / "anthropic"
PROFILE = get_profile("anthropic")
#: (SSE event name, payload); a str payload is written as the data verbatim.
Events = list[list[Any]]


def real(name: str) -> Events:
    """The events of a real body, as [event name, decoded payload]."""
    parser = SSEParser(keep_comments=False)
    events = [*parser.feed((REAL / name).read_bytes()), *parser.close()]
    return [[event.event, json.loads(event.data)] for event in events]


# Text block 0 (2 text deltas), ping at 2, tool_use block 1 (6 input_json_delta pieces):
# 0 message_start, 1 start/0 text, 2 ping, 3-4 text_delta, 5 stop/0, 6 start/1 tool_use,
# 7-12 input_json_delta, 13 stop/1, 14 message_delta, 15 message_stop
TOOL = "fantasy-TestAnthropicCommon-claude-sonnet-4-tool-streaming.sse"
# 0 message_start, 1 start/0 thinking, 2 ping, 3-8 thinking_delta, 9 signature_delta,
# 10 stop/0, 11 start/1 text, 12-13 text_delta, 14 stop/1, 15 message_delta, 16 message_stop
THINKING = "llm-anthropic-stream-events-thinking.sse"
# 0 message_start, 1 start/0 redacted_thinking, 2 stop/0, 3 start/1 redacted_thinking, 4 ping,
# 5 stop/1, 6 ping, 7 start/2 text, 8 ping, 9-23 text_delta, 24 stop/2, 25 message_delta, 26 stop
REDACTED = "pydantic-ai-anthropic-model-thinking-part-redacted-stream.sse"
# 0 message_start, 1 start/0 fallback, 2 stop/0, 3 start/1 text, 4-5 text_delta, 6 stop/1,
# 7 message_delta, 8 message_stop
FALLBACK = "vercel-reframed-anthropic-anthropic-fallback.sse"
# ... 10 start/1 mcp_tool_use, 11-27 input_json_delta, 28 stop/1, 29 start/2 mcp_tool_result,
# 30 stop/2 ...
MCP = "pydantic-ai-anthropic-mcp-servers-stream.sse"
MAX_TOKENS = "anthropic-sdk-python-incomplete-partial-json-max-tokens.sse"


def body(events: Events) -> bytes:
    out = []
    for name, payload in events:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        out.append(f"event: {name}\ndata: {data}\n\n")
    return "".join(out).encode()


def findings(events: Events, tmp_path: Path, *, strict: bool = False) -> list[Finding]:
    path = tmp_path / "body.sse"
    path.write_bytes(body(events))
    # named: a body that lost its message_start is no longer recognised as Anthropic's
    result = validate_file(path, profile="anthropic", config=RuleConfig(strict=strict))
    return result.findings


def located(events: Events, tmp_path: Path) -> set[tuple[str, int | None]]:
    return {(f.rule, f.event_index) for f in findings(events, tmp_path)}


def errors(events: Events, tmp_path: Path) -> list[Finding]:
    return [f for f in findings(events, tmp_path) if f.severity is Severity.ERROR]


# ------------------------------------------------------------------------ mutations


def drop(index: int) -> Callable[[Events], None]:
    def mutate(events: Events) -> None:
        del events[index]

    return mutate


def duplicate(index: int) -> Callable[[Events], None]:
    return lambda events: events.insert(index, copy.deepcopy(events[index]))


def move(source: int, target: int) -> Callable[[Events], None]:
    return lambda events: events.insert(target, events.pop(source))


def insert(index: int, name: str, payload: Any) -> Callable[[Events], None]:
    return lambda events: events.insert(index, [name, payload])


def edit(index: int, change: Callable[[Any], None]) -> Callable[[Events], None]:
    return lambda events: change(events[index][1])


def rename(index: int, name: str) -> Callable[[Events], None]:
    def mutate(events: Events) -> None:
        events[index][0] = name

    return mutate


def raw(index: int, data: str) -> Callable[[Events], None]:
    def mutate(events: Events) -> None:
        events[index][1] = data

    return mutate


def both(*mutations: Callable[[Events], None]) -> Callable[[Events], None]:
    def mutate(events: Events) -> None:
        for mutation in mutations:
            mutation(events)

    return mutate


def _set(path: str, value: Any) -> Callable[[Any], None]:
    *parents, last = path.split(".")

    def change(payload: Any) -> None:
        for part in parents:
            payload = payload[part]
        payload[last] = value

    return change


ERROR = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}

#: (case, body, mutation, rule, index of the first breaking event; None: at the end)
CASES: list[tuple[str, str, Callable[[Events], None], str, int | None]] = [
    ("data-not-json", TOOL, raw(4, '{"type": "content_block_delta", "index": 0'), "F1", 4),
    ("data-without-type", TOOL, edit(3, lambda p: p.pop("type")), "F1", 3),
    ("event-name-differs", TOOL, rename(3, "content_block_stop"), "F2", 3),
    ("unknown-event", TOOL, insert(5, "future_event", {"type": "future_event"}), "F3", 5),
    ("no-message_start", TOOL, drop(0), "S1", 0),
    ("message_start-late", TOOL, move(0, 4), "S1", 0),
    ("delta-before-message_start", TOOL, move(3, 0), "S1", 1),
    ("message_start-twice", TOOL, duplicate(0), "S2", 1),
    (
        "message_start-with-content",
        TOOL,
        edit(0, _set("message.content", [{"type": "text", "text": "Hi"}])),
        "S3",
        0,
    ),
    ("message_start-stopped", TOOL, edit(0, _set("message.stop_reason", "end_turn")), "S3", 0),
    ("no-message_stop", TOOL, drop(15), "S4", None),
    ("ping-after-message_stop", TOOL, insert(16, "ping", {"type": "ping"}), "S4", 16),
    ("message_stop-twice", TOOL, duplicate(15), "S4", 16),
    (
        "block-numbered-from-1",
        TOOL,
        both(*(edit(i, _set("index", 1)) for i in (1, 3, 4, 5))),
        "B1",
        1,
    ),
    (
        "block-skips-a-number",
        TOOL,
        both(*(edit(i, _set("index", 2)) for i in range(6, 14))),
        "B1",
        6,
    ),
    ("two-blocks-open", TOOL, move(5, 6), "B1", 5),
    ("delta-after-stop", TOOL, move(4, 5), "B1", 5),
    ("delta-of-unknown-block", TOOL, edit(3, _set("index", 7)), "B1", 3),
    ("block-started-twice", TOOL, both(drop(5), insert(5, *real(TOOL)[1])), "B2", 5),
    ("block-stopped-twice", TOOL, duplicate(5), "B2", 6),
    (
        "json-delta-on-text",
        TOOL,
        edit(3, _set("delta", {"type": "input_json_delta", "partial_json": "{}"})),
        "B3",
        3,
    ),
    (
        "text-delta-on-tool",
        TOOL,
        edit(7, _set("delta", {"type": "text_delta", "text": "x"})),
        "B3",
        7,
    ),
    (
        "thinking-delta-on-text",
        THINKING,
        edit(12, _set("delta", {"type": "thinking_delta", "thinking": "x"})),
        "B3",
        12,
    ),
    (
        "delta-on-redacted-thinking",
        REDACTED,
        insert(
            2,
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "x"},
            },
        ),
        "B3",
        2,
    ),
    (
        "delta-between-fallback-start-and-stop",
        FALLBACK,
        insert(
            2,
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "x"},
            },
        ),
        "B3",
        2,
    ),
    (
        "delta-on-mcp-tool-result",
        MCP,
        insert(
            30,
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 2,
                "delta": {"type": "input_json_delta", "partial_json": "{}"},
            },
        ),
        "B3",
        30,
    ),
    ("thinking-after-signature", THINKING, move(9, 8), "B4", 9),
    ("no-signature", THINKING, drop(9), "B4", 9),
    ("tool-input-not-json", TOOL, edit(12, _set("delta.partial_json", "}}")), "B5", 13),
    (
        "tool-input-not-an-object",
        TOOL,
        both(
            *(edit(i, _set("delta.partial_json", "")) for i in range(7, 12)),
            edit(12, _set("delta.partial_json", "[1, 2]")),
        ),
        "B5",
        13,
    ),
    ("message_delta-inside-a-block", TOOL, move(14, 13), "M1", 13),
    ("no-message_delta", TOOL, drop(14), "M1", 14),
    ("block-after-message_delta", TOOL, move(14, 6), "M1", 7),
    ("no-stop_reason", TOOL, edit(14, _set("delta.stop_reason", None)), "M2", 14),
    ("output-tokens-fall", TOOL, edit(14, _set("usage.output_tokens", 0)), "U1", 14),
    (
        "cut-at-max_tokens-in-a-tool-block",
        TOOL,
        both(drop(13), edit(13, _set("delta.stop_reason", "max_tokens"))),
        "C1",
        13,
    ),
    (
        "error-event",
        TOOL,
        lambda events: events.__setitem__(slice(5, None), [["error", ERROR]]),
        "E1",
        5,
    ),
    ("event-after-error", TOOL, insert(5, "error", ERROR), "E2", 6),
    ("message-without-id", TOOL, edit(0, lambda p: p["message"].pop("id")), "SCHEMA", 0),
    (
        "server-tool-use-old-shape",
        TOOL,
        edit(14, _set("usage.server_tool_use", {"web_search_requests": 0})),
        "SCHEMA-REAL",
        14,
    ),
    ("undocumented-field", TOOL, edit(5, _set("x_gateway", "yes")), "SCHEMA-EXTRA", 5),
]


@pytest.mark.parametrize(
    ("name", "mutate", "rule", "index"),
    [pytest.param(b, m, r, i, id=f"{r}-{case}") for case, b, m, r, i in CASES],
)
def test_a_broken_real_body_gives_the_rule_at_the_first_breaking_event(
    name: str, mutate: Callable[[Events], None], rule: str, index: int | None, tmp_path: Path
) -> None:
    events = real(name)
    assert (rule, index) not in located(events, tmp_path)
    mutate(events)
    found = [f for f in findings(events, tmp_path) if f.rule == rule]
    assert found, f"no {rule} finding"
    assert found[0].event_index == index, found[0]


@pytest.mark.parametrize("name", [TOOL, THINKING, REDACTED, FALLBACK, MCP])
def test_the_base_bodies_keep_every_rule(name: str, tmp_path: Path) -> None:
    # (the fallback and MCP bodies carry SCHEMA-REAL warnings: known real-world shapes)
    assert errors(real(name), tmp_path) == []


def test_every_rule_has_a_stream_that_breaks_it_and_one_that_keeps_it() -> None:
    assert {case[3] for case in CASES} == set(PROFILE.rules)
    assert {case[1] for case in CASES} <= {TOOL, THINKING, REDACTED, FALLBACK, MCP}


def test_severities_and_sources() -> None:
    rules = PROFILE.rules
    assert rules["F3"].severity is Severity.WARNING
    assert rules["C1"].severity is Severity.WARNING
    assert all(rules[r].severity is Severity.ERROR for r in ("S1", "B3", "B5", "M1", "U1", "E1"))
    assert {rule.source for rule in rules.values()} <= {"SPEC", "SDK", "EX"}


# ------------------------------------------------------------------------ what keeps the rules


def test_ping_may_come_anywhere_before_message_stop(tmp_path: Path) -> None:
    events = real(TOOL)
    ping = ["ping", {"type": "ping"}]
    for where in (15, 14, 9, 4, 1, 0):
        events.insert(where, copy.deepcopy(ping))
    assert findings(events, tmp_path) == []


def test_json_padded_with_spaces_is_valid(tmp_path: Path) -> None:
    padded = (REAL / TOOL).read_bytes()
    assert b'"}      }' in padded or b"}   }" in padded  # the live API's padding
    result = validate_file(REAL / TOOL)
    assert result.findings == []
    text = body(real(TOOL)).replace(b'"}}\n', b'"}              }\n')
    (tmp_path / "padded.sse").write_bytes(text)
    assert validate_file(tmp_path / "padded.sse").findings == []


def test_an_empty_tool_input_join_is_an_empty_object(tmp_path: Path) -> None:
    events = real(TOOL)
    for index in range(7, 13):
        events[index][1]["delta"]["partial_json"] = ""
    assert findings(events, tmp_path) == []
    del events[7:13]  # no delta at all
    assert findings(events, tmp_path) == []


def test_a_complete_message_in_message_start_is_a_warning(tmp_path: Path) -> None:
    # What programmatic tool calling sends when a tool call resumes (a real vercel capture):
    # the whole message in message_start, then message_stop.
    start = real(TOOL)[0]
    start[1]["message"]["content"] = [
        {"type": "tool_use", "id": "toolu_1", "name": "rollDie", "input": {"player": "p2"}}
    ]
    start[1]["message"]["stop_reason"] = "tool_use"
    found = findings([start, ["message_stop", {"type": "message_stop"}]], tmp_path)
    assert [(f.rule, f.severity, f.event_index) for f in found] == [("S3", Severity.WARNING, 0)]


def test_usage_of_compaction_iterations_is_summed(tmp_path: Path) -> None:
    # The top-level usage of a compacted message is its last iteration's: input_tokens falls
    # from 60385 to 612 in this real body, while the sums over the iterations rise.
    name = "vercel-reframed-anthropic-anthropic-compaction-1.sse"
    assert [f for f in validate_file(REAL / name).findings if f.rule == "U1"] == []
    events = real(name)
    events[-2][1]["usage"].pop("iterations")
    found = [f for f in findings(events, tmp_path) if f.rule == "U1"]
    assert found and "input_tokens falls from 60385" in found[0].message


def test_an_error_event_ends_the_contract(tmp_path: Path) -> None:
    events = [*real(TOOL)[:5], ["error", ERROR]]
    (finding,) = findings(events, tmp_path)
    assert (finding.rule, finding.event_index, finding.severity) == ("E1", 5, Severity.ERROR)
    assert "overloaded_error: Overloaded" in finding.message


def test_a_max_tokens_cut_inside_a_tool_block_is_reported_as_such() -> None:
    # The SDK's fixture: its last line lacks the blank line that dispatches message_stop, so
    # S4 holds too (see TRULY_BROKEN).
    found = validate_file(REAL / MAX_TOKENS).findings
    (cut,) = [f for f in found if f.rule == "C1"]
    assert cut.severity is Severity.WARNING and cut.event_index == 14
    assert "max_tokens inside block 1 (tool_use)" in cut.message
    assert "input JSON is incomplete (149 characters" in cut.message
    assert not [f for f in found if f.rule in ("M1", "B1", "B5")]


def test_strict_makes_known_deviations_errors(tmp_path: Path) -> None:
    events = real(TOOL)
    events[14][1]["usage"]["server_tool_use"] = {"web_search_requests": 0}
    (default,) = findings(events, tmp_path)
    (strict,) = findings(events, tmp_path, strict=True)
    assert (default.rule, default.severity) == ("SCHEMA-REAL", Severity.WARNING)
    assert (strict.rule, strict.severity) == ("SCHEMA-REAL", Severity.ERROR)


def test_beta_blocks_and_deltas_are_known(tmp_path: Path) -> None:
    for name in (
        "pydantic-ai-anthropic-compaction-usage-with-cache-streaming.sse",
        MCP,
        FALLBACK,
        "pydantic-ai-anthropic-advisor-tool-stream.sse",
    ):
        result = validate_file(REAL / name)
        assert not [f for f in result.findings if f.rule in ("SCHEMA", "F3", "B3")], name


# ------------------------------------------------------------------------ real captures

#: Real captures that truly break the contract, with the first error and why.
TRULY_BROKEN: dict[str, tuple[str, int | None, str]] = {
    # SDK test fixtures whose file ends right after the last data line: without the blank line
    # the final message_stop is never dispatched (WHATWG: an unterminated event is dropped).
    "anthropic-sdk-python-basic-handwritten.sse": ("S4", None, "no blank line after message_stop"),
    MAX_TOKENS: ("S4", None, "no blank line after message_stop"),
    "anthropic-sdk-python-tool-use.sse": ("S4", None, "no blank line after message_stop"),
    # vercel chunk files that concatenate several HTTP responses: a second message_start.
    "vercel-reframed-anthropic-anthropic-programmatic-tool-calling-1.sse": (
        "S2",
        167,
        "14 responses",
    ),
    "vercel-reframed-anthropic-anthropic-tool-search-bm25-1.sse": ("S2", 33, "2 responses"),
    "vercel-reframed-anthropic-anthropic-tool-search-deferred-bm25.sse": ("S2", 33, "3 responses"),
    "vercel-reframed-anthropic-anthropic-tool-search-deferred-regex.sse": ("S2", 33, "3 responses"),
    "vercel-reframed-anthropic-anthropic-tool-search-regex-1.sse": ("S2", 32, "2 responses"),
    # vercel's hand-written anomaly fixtures (ids msg_dup, msg_first, msg_second).
    "vercel-reframed-anthropic-duplicate-message-start.sse": ("S2", 1, "message_start twice"),
    # a message_start spliced into the first: its first block lacks a signature (SCHEMA at 1)
    "vercel-reframed-anthropic-spliced-message-start.sse": ("SCHEMA", 1, "spliced"),
}


@pytest.mark.parametrize("path", sorted(REAL.glob("*.sse")), ids=lambda p: p.name)
def test_every_real_capture_is_detected_and_keeps_the_contract(path: Path) -> None:
    result = validate_file(path)
    assert result.profiles == ["anthropic"]
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    expected = TRULY_BROKEN.get(path.name)
    if expected is None:
        assert errors == []
    else:
        assert errors, path.name
        assert (errors[0].rule, errors[0].event_index) == expected[:2]


def test_the_cli_exits_0_on_a_kept_contract_and_1_on_a_broken_one(tmp_path: Path) -> None:
    command = [str(Path(sys.executable).with_name("sse-recorder")), "validate"]
    kept = subprocess.run([*command, str(REAL / TOOL)], capture_output=True, text=True)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "(anthropic," in kept.stdout
    broken = REAL / "vercel-reframed-anthropic-anthropic-tool-search-bm25-1.sse"
    failed = subprocess.run(
        [*command, "--format", "json", str(broken)], capture_output=True, text=True
    )
    assert failed.returncode == 1
    report = json.loads(failed.stdout)
    assert report["files"][0]["profile"] == "anthropic"
    assert {"rule": "S2", "event_index": 33} in [
        {"rule": f["rule"], "event_index": f["event_index"]} for f in report["files"][0]["findings"]
    ]


# ------------------------------------------------------------------------ recognition


def _cassette(url: str, events: Events) -> Cassette:
    return Cassette(
        interactions=[
            Interaction(
                request=RecordedRequest(method="POST", url=url),
                response=RecordedResponse(
                    status=200, headers=[("content-type", "text/event-stream")]
                ),
                chunks=[Chunk(t=0.0, data=body(events))],
                outcome="complete",
                ended_at=0.0,
            )
        ]
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://api.anthropic.com/v1/messages",
        "https://api.anthropic.com/v1/messages?beta=true",
        "https://my-resource.services.ai.azure.com/anthropic/v1/messages",
        "https://gateway.ai.cloudflare.com/v1/acct/gw/anthropic/v1/messages",
        "https://openrouter.ai/api/v1/messages",
        "https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5/publishers/"
        "anthropic/models/claude-sonnet-4@20250514:streamRawPredict",
    ],
)
def test_requests_to_messages_endpoints_are_anthropic(url: str) -> None:
    request = RecordedRequest(method="POST", url=url)
    assert detect(request, ()).name == "anthropic"
    found = validate_cassette(_cassette(url, real(TOOL)))
    assert found == []


@pytest.mark.parametrize(
    "url",
    [
        "https://api.anthropic.com/v1/messages/count_tokens",
        "https://api.anthropic.com/v1/messages/batches",
        "https://api.openai.com/v1/threads/thread_1/messages",
    ],
)
def test_other_endpoints_are_not(url: str) -> None:
    assert detect(RecordedRequest(method="POST", url=url), ()).name != "anthropic"


def test_a_raw_body_is_recognised_by_its_events() -> None:
    parser = SSEParser(keep_comments=False)
    assert detect(None, parser.feed((REAL / TOOL).read_bytes())).name == "anthropic"
    ping_first = SSEParser().feed(b'event: ping\ndata: {"type": "ping"}\n\n')
    assert detect(None, ping_first).name != "anthropic"


# ------------------------------------------------------------------------ the view


def test_the_view_gives_the_delta_text() -> None:
    view = PROFILE.view
    texts = [view.delta_text(payload) for _, payload in real(THINKING)]
    assert texts[0] is None and texts[1] is None
    assert all(isinstance(texts[i], str) for i in range(3, 9))  # thinking_delta
    assert texts[9] is None  # signature_delta: not text
    assert texts[12] is not None  # text_delta
    tool = [view.delta_text(payload) for _, payload in real(TOOL)]
    assert "".join(t for t in tool[7:13] if t) == "".join(
        p["delta"]["partial_json"] for _, p in real(TOOL)[7:13]
    )
    assert view.lane("message_start", real(TOOL)[0][1]) == "message"
    assert view.lane("content_block_start", real(TOOL)[1][1]) == "block"
    assert view.lane("content_block_delta", real(TOOL)[3][1]) == "delta"
    assert {"id", "*_id", "signature"} <= set(view.volatile)


def _faulted(spec: str) -> bytes:
    pieces = [Piece(0.0, (REAL / TOOL).read_bytes(), 0.0)]
    faulted = apply_event_faults(pieces, FaultSpec.parse(spec), view=PROFILE.view)
    return b"".join(piece.data for piece in faulted)


def test_the_error_event_fault_injects_an_overloaded_error(tmp_path: Path) -> None:
    error_event = PROFILE.view.error_event
    assert error_event is not None
    name, data = error_event.strip().split("\n")
    assert name == "event: error"
    payload = json.loads(data.removeprefix("data: "))
    assert payload["error"]["type"] == "overloaded_error"
    faulted = _faulted("error-event@5")
    assert faulted.endswith(error_event.encode())
    (tmp_path / "faulted.sse").write_bytes(faulted)
    found = validate_file(tmp_path / "faulted.sse").findings
    assert [(f.rule, f.event_index) for f in found] == [("E1", 5)]
    assert "overloaded_error: Overloaded (injected by sse-recorder)" in found[0].message


def test_drop_done_has_no_meaning_here() -> None:
    with pytest.raises(UsageError, match="drop-done has no meaning here"):
        _faulted("drop-done")


def test_the_error_event_is_what_the_anthropic_library_raises_on() -> None:
    chunks = split_events(_faulted("error-event@5"))
    assert chunks[-1] == (PROFILE.view.error_event or "").encode()
    upstream = Upstream({("POST", "/v1/messages"): Script(chunks, gap=0.0)})
    with (
        upstream.serve() as server,
        anthropic.Anthropic(base_url=server.url, api_key="test", max_retries=0) as client,
    ):
        texts: list[str] = []
        with (
            pytest.raises(anthropic.APIStatusError) as raised,
            client.messages.stream(
                model="claude-sonnet-4-20250514",
                max_tokens=100,
                messages=[{"role": "user", "content": "Hi"}],
            ) as stream,
        ):
            texts.extend(stream.text_stream)
    # a 200 response, so the generic APIStatusError, carrying the event's data as its body
    assert type(raised.value) is anthropic.APIStatusError
    injected = json.loads((PROFILE.view.error_event or "").split("data: ", 1)[1])
    assert raised.value.body == injected
    assert texts == [p["delta"]["text"] for _, p in real(TOOL)[3:5]]


def _rerecorded(events: Events) -> Events:
    """The same answer recorded again: new ids and signature, other delta boundaries."""
    events = copy.deepcopy(events)
    events[0][1]["message"]["id"] = "msg_01OtherRecording0000000"
    events[9][1]["delta"]["signature"] = "EqQBCkgIARABGAIiQNewSignature=="
    thinking = "".join(e[1]["delta"]["thinking"] for e in events[3:9])
    events[3][1]["delta"]["thinking"] = thinking[:5]
    events[4][1]["delta"]["thinking"] = thinking[5:]
    del events[5:9]  # 6 thinking deltas became 2
    text = events[8][1]["delta"]["text"] + events[9][1]["delta"]["text"]
    events[8][1]["delta"]["text"] = text
    del events[9]  # 2 text deltas became 1
    return events


def test_folded_snapshots_hold_still_across_a_re_recording() -> None:
    original = real(THINKING)
    again = _rerecorded(original)
    assert render_snapshot(body(again), fold=True, profile="anthropic") == render_snapshot(
        body(original), fold=True, profile="anthropic"
    )
    changed = copy.deepcopy(again)
    changed[8][1]["delta"]["text"] = "Something else."
    assert render_snapshot(body(changed), fold=True, profile="anthropic") != render_snapshot(
        body(original), fold=True, profile="anthropic"
    )
    # unfolded, the ids and the signature are placeholders but the delta count shows
    plain = render_snapshot(body(original), profile="anthropic")
    assert "msg_01" not in plain and "<signature" in plain
