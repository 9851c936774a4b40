"""The ``chat`` profile (OpenAI Chat Completions streams): every rule kept and broken.

Streams are real bodies from fixtures/real-streams/chat/, broken one change at a time (drop,
duplicate, reorder, alter a chunk); each broken stream must give the expected rule at the
first breaking event's index (None: found at the end). Schema checks are off for the rule
cases so each rule is seen alone; the SCHEMA rules and every real capture run with them.
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
from recorder.profiles import detect, get_profile
from recorder.validate.findings import Finding, Severity
from recorder.validate.runner import RuleConfig, validate_cassette, validate_file
from recorder.wire.sse import ServerSentEvent
from tests.conftest import REAL_STREAMS

CHAT = REAL_STREAMS / "chat"
RULES_ONLY = RuleConfig(schemas=False)
Events = list[Any]  # decoded payloads, and "[DONE]" for the sentinel

TEXT = "fantasy-TestOpenAICommon-openai-gpt-4o-mini-simple-streaming.sse"  # usage chunk at 4
TOOL = "fantasy-TestOpenAICommon-openai-gpt-4o-mini-tool-streaming.sse"  # finish 9, usage 10
N3 = "openai-python-multiple-choices-n3.sse"
REFUSAL = "openai-python-pydantic-refusal.sse"
AZURE = "fantasy-TestAzureCommon-azure-gpt-5-mini-simple-streaming.sse"
NO_USAGE_TOOL = "openllmetry-open-ai-function-calls-tools-streaming-i0.sse"  # finish at 9


def load(name: str) -> Events:
    """The events of a real body: each data line decoded ("[DONE]" kept as text)."""
    blocks = (CHAT / name).read_text(encoding="utf-8").split("\n\n")
    data = [block.removeprefix("data: ") for block in blocks if block.startswith("data: ")]
    return [item if item == "[DONE]" else json.loads(item) for item in data]


def body(events: Events) -> bytes:
    return b"".join(
        b"data: "
        + (item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)).encode()
        + b"\n\n"
        for item in events
    )


def cassette(events: Events, request: RecordedRequest | None = None) -> Cassette:
    if request is None:
        return Cassette.from_sse(body(events))
    return Cassette(
        interactions=[
            Interaction(
                request=request,
                response=RecordedResponse(
                    status=200, headers=[("content-type", "text/event-stream")]
                ),
                chunks=[Chunk(t=0.0, data=body(events))],
                outcome="complete",
                ended_at=0.0,
            )
        ],
    )


def findings(
    events: Events, request: RecordedRequest | None = None, config: RuleConfig = RULES_ONLY
) -> list[Finding]:
    return validate_cassette(cassette(events, request), config=config)


def located(events: Events, request: RecordedRequest | None = None) -> set[tuple[str, int | None]]:
    return {(f.rule, f.event_index) for f in findings(events, request)}


def chat_request(
    body: dict[str, Any] | None = None, url: str = "https://api.openai.com/v1/chat/completions"
) -> RecordedRequest:
    payload = {"model": "gpt-4o-mini", "stream": True, "messages": [], **(body or {})}
    return RecordedRequest(method="POST", url=url, body=json.dumps(payload).encode())


# ------------------------------------------------------------------------ mutations


def _set(index: int, path: str, value: Any) -> Callable[[Events], None]:
    """Set a dotted path (digits index lists) in event ``index``."""

    def mutate(events: Events) -> None:
        target = events[index]
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        for part in parents:
            target = target[part]
        target[last] = value

    return mutate


def _drop(index: int) -> Callable[[Events], None]:
    return lambda events: events.pop(index) and None


def _insert(index: int, item: Any) -> Callable[[Events], None]:
    return lambda events: events.insert(index, copy.deepcopy(item))


def _duplicate(index: int, at: int) -> Callable[[Events], None]:
    return lambda events: events.insert(at, copy.deepcopy(events[index]))


def _with_choice(index: int, **choice: Any) -> Callable[[Events], None]:
    """Insert at ``index`` a copy of event 1 carrying ``choice`` as its only choice."""

    def mutate(events: Events) -> None:
        chunk = copy.deepcopy(events[1])
        chunk["choices"] = [{"index": 0, "logprobs": None, "finish_reason": None, **choice}]
        events.insert(index, chunk)

    return mutate


def _move_usage_before_finish(events: Events) -> None:
    usage = events.pop(10)
    events.insert(9, usage)


def _error_at(index: int) -> Callable[[Events], None]:
    return _insert(index, {"error": {"message": "The server had an error", "type": "server_error"}})


def _legacy_function_call(events: Events) -> None:
    """The tool call stream as a legacy ``function_call`` stream (pre-tools API shape)."""
    for chunk in events:
        if not isinstance(chunk, dict) or not chunk.get("choices"):
            continue
        choice = chunk["choices"][0]
        calls = choice["delta"].pop("tool_calls", None)
        if calls:
            function = dict(calls[0]["function"])
            choice["delta"]["function_call"] = function
        if choice.get("finish_reason") == "tool_calls":
            choice["finish_reason"] = "function_call"


def _legacy_without_name(events: Events) -> None:
    _legacy_function_call(events)
    events[0]["choices"][0]["delta"]["function_call"].pop("name")


# Each case: (name, base body, mutation, rule, index of the first breaking event).
CASES: list[tuple[str, str, Callable[[Events], None], str, int | None]] = [
    ("data-not-json", TEXT, lambda e: e.__setitem__(2, '{"id": "chatcmpl-'), "CH1", 2),
    ("data-a-json-list", TEXT, lambda e: e.__setitem__(2, "[1, 2]"), "CH1", 2),
    ("no-done", TEXT, _drop(5), "CH2", None),
    ("chunk-after-done", TEXT, _duplicate(2, 6), "CH2", 6),
    ("id-changes", TEXT, _set(2, "id", "chatcmpl-other"), "CH3", 2),
    ("created-changes", TEXT, _set(2, "created", 1), "CH3", 2),
    ("model-changes", TEXT, _set(3, "model", "gpt-4o"), "CH3", 3),
    ("object-wrong", TEXT, _set(1, "object", "chat.completion"), "CH4", 1),
    ("first-delta-without-role", TEXT, lambda e: e[0]["choices"][0]["delta"].pop("role"), "CH5", 0),
    (
        "content-a-list-of-parts",
        TEXT,
        _set(1, "choices.0.delta.content", [{"type": "text", "text": "Olá"}]),
        "CH6",
        1,
    ),
    ("refusal-not-text", REFUSAL, _set(2, "choices.0.delta.refusal", 7), "CH6", 2),
    (
        "first-tool-delta-without-id",
        TOOL,
        lambda e: e[0]["choices"][0]["delta"]["tool_calls"][0].pop("id"),
        "CH7",
        0,
    ),
    (
        "first-tool-delta-without-name",
        TOOL,
        lambda e: e[0]["choices"][0]["delta"]["tool_calls"][0]["function"].pop("name"),
        "CH7",
        0,
    ),
    (
        "later-tool-delta-with-a-name",
        TOOL,
        _set(4, "choices.0.delta.tool_calls.0.function.name", "weather"),
        "CH7",
        4,
    ),
    (
        "legacy-function-call-without-name",
        TOOL,
        _legacy_without_name,
        "CH7",
        0,
    ),
    (
        "arguments-not-json",
        TOOL,
        _set(8, "choices.0.delta.tool_calls.0.function.arguments", '"'),
        "CH8",
        9,
    ),
    ("finish-reason-twice", TEXT, _duplicate(3, 4), "CH9", 4),
    ("finish-reason-never", NO_USAGE_TOOL, _drop(9), "CH9", None),
    ("content-after-finish", TEXT, _duplicate(2, 4), "CH10", 4),
    (
        "tool-arguments-after-finish",
        NO_USAGE_TOOL,
        _duplicate(8, 10),
        "CH10",
        10,
    ),
    (
        "tool-calls-finish-without-tool-calls",
        TEXT,
        _set(3, "choices.0.finish_reason", "tool_calls"),
        "CH11",
        3,
    ),
    (
        "usage-chunk-with-choices",
        TEXT,
        lambda e: e[4].__setitem__("choices", e[3]["choices"]),
        "CH12",
        4,
    ),
    ("usage-chunk-not-last", TOOL, _move_usage_before_finish, "CH12", 10),
    ("server-error", TEXT, _error_at(2), "CH13", 2),
]


@pytest.mark.parametrize(
    ("name", "mutate", "rule", "index"),
    [pytest.param(b, m, r, i, id=f"{r}-{n}") for n, b, m, r, i in CASES],
)
def test_a_broken_real_stream_gives_the_rule_at_the_first_breaking_event(
    name: str, mutate: Callable[[Events], None], rule: str, index: int | None
) -> None:
    events = load(name)
    assert not {f.rule for f in findings(events)} & {rule}, "the base body must keep the rule"
    mutate(events)
    found = located(events)
    assert (rule, index) in found, sorted(found, key=str)
    earlier = [
        i for r, i in found if r == rule and i is not None and index is not None and i < index
    ]
    assert not earlier, f"{rule} found before the breaking event {index}: {earlier}"


# ------------------------------------------------------------------------ keeping the rules

KEEPING = {
    TEXT: "text, then the include_usage chunk",
    TOOL: "one tool call streamed by index",
    N3: "n=3 choices interleaved",
    REFUSAL: "a refusal streamed",
    AZURE: "Azure's prompt-filter preamble and content_filter_results",
    "openai-python-multiple-parallel-tool-calls.sse": "parallel tool calls",
    "openai-python-content-logprobs.sse": "logprobs on content",
    "openai-python-refusal-logprobs.sse": "logprobs on a refusal",
    "openai-python-max-tokens-reached-length.sse": "finish_reason length",
    NO_USAGE_TOOL: "a tool call without include_usage",
}


@pytest.mark.parametrize("name", sorted(KEEPING))
def test_real_streams_keep_every_rule(name: str) -> None:
    assert [f for f in findings(load(name)) if f.severity is not Severity.INFO] == []


def test_a_legacy_function_call_stream_keeps_the_rules() -> None:
    events = load(TOOL)
    _legacy_function_call(events)
    assert located(events) == set()
    final = get_profile("chat").final_of(
        ServerSentEvent("message", item if isinstance(item, str) else json.dumps(item))
        for item in events
    )
    call = final["choices"][0]["message"]["function_call"]
    assert call == {"name": "weather", "arguments": '{"location":"Florence,Italy"}'}
    assert final["choices"][0]["finish_reason"] == "function_call"


def test_invalid_arguments_are_a_warning_naming_the_call() -> None:
    events = load(TOOL)
    _set(8, "choices.0.delta.tool_calls.0.function.arguments", "")(events)
    (finding,) = [f for f in findings(events) if f.rule == "CH8"]
    assert finding.severity is Severity.WARNING
    assert "tool call 0 ('weather')" in finding.message
    assert finding.json_path == "$.choices[0]"


def test_a_missing_finish_reason_at_a_clean_end_is_a_warning() -> None:
    events = load(NO_USAGE_TOOL)
    events.pop(9)
    (finding,) = [f for f in findings(events) if f.rule == "CH9"]
    assert finding.severity is Severity.WARNING  # gpt-audio streams leave it out


def test_a_cut_stream_is_not_blamed_for_unfinished_choices() -> None:
    events = load(TEXT)[:3]  # no finish, no [DONE]
    assert located(events) == {("CH2", None)}


def test_a_server_error_excuses_the_missing_done() -> None:
    events = [*load(TEXT)[:2], {"error": {"message": "overloaded", "code": "503"}}]
    found = findings(events)
    assert {(f.rule, f.event_index) for f in found} == {("CH13", 2)}
    assert "the server reported an error: 503: overloaded" in found[0].message


def test_a_chunk_after_a_server_error_breaks_ch13_too() -> None:
    events = load(TEXT)
    _error_at(2)(events)
    after = [f for f in findings(events) if f.rule == "CH13" and f.event_index == 3]
    assert after and "after the error event at event 2" in after[0].message


def test_trailing_metadata_after_the_usage_chunk_is_a_warning() -> None:
    """OpenAI's own gpt-audio streams send audio.expires_at after the usage chunk."""
    events = load(TEXT)
    events.insert(5, {**events[1], "choices": [{"index": 0, "delta": {"audio": {"x": 1}}}]})
    (finding,) = [f for f in findings(events) if f.rule == "CH12"]
    assert finding.severity is Severity.WARNING and finding.event_index == 5


def test_include_usage_asked_but_no_usage_chunk() -> None:
    events = load(NO_USAGE_TOOL)
    request = chat_request({"stream_options": {"include_usage": True}})
    assert located(events, request) == {("CH12", None)}
    assert located(load(TOOL), request) == set()
    # OpenAI's 2024 streams with include_usage leave `usage` out of the other chunks
    assert located(load("openai-python-2024-08-gpt-4o-2024-08-06-long.sse"), request) == set()


def test_n_choices_are_tracked_apart() -> None:
    events = load(N3)
    # choice 1 finishing twice is found even though choices 0 and 2 interleave
    finishes = [
        i
        for i, e in enumerate(events)
        if isinstance(e, dict) and e["choices"] and e["choices"][0]["finish_reason"]
    ]
    one = next(i for i in finishes if events[i]["choices"][0]["index"] == 1)
    _duplicate(one, finishes[-1] + 1)(events)
    assert located(events) == {("CH9", finishes[-1] + 1)}


def test_rule_findings_carry_source_severity_location_and_excerpt() -> None:
    events = load(TEXT)
    _set(2, "id", "chatcmpl-other")(events)
    (finding,) = [f for f in findings(events) if f.rule == "CH3"]
    assert finding.severity is Severity.ERROR and finding.source == "SPEC"
    assert finding.json_path == "$.id" and finding.offset and finding.line
    assert finding.excerpt and finding.excerpt.startswith('{"id": "chatcmpl-other"')


# ------------------------------------------------------------------------ schemas


def test_the_schema_rules() -> None:
    with_schemas = RuleConfig()
    assert [f for f in findings(load(TEXT), config=with_schemas)] == []
    events = load(TEXT)
    _set(1, "choices.0.index", "0")(events)
    _set(2, "system_fingerprint", None)(events)
    _set(3, "surprise", True)(events)
    got = {(f.rule, f.event_index, f.severity) for f in findings(events, config=with_schemas)}
    assert ("SCHEMA", 1, Severity.ERROR) in got
    assert ("SCHEMA-REAL", 2, Severity.WARNING) in got
    assert ("SCHEMA-EXTRA", 3, Severity.WARNING) in got
    strict = {
        (f.rule, f.event_index, f.severity)
        for f in findings(events, config=RuleConfig(strict=True))
    }
    assert ("SCHEMA-REAL", 2, Severity.ERROR) in strict


def test_every_rule_is_declared_kept_and_broken() -> None:
    profile = get_profile("chat")
    declared = set(profile.rules)
    contract = {f"CH{n}" for n in range(1, 14)}
    assert declared == contract | {"SCHEMA", "SCHEMA-REAL", "SCHEMA-EXTRA"}
    broken = {case[3] for case in CASES} | {"SCHEMA", "SCHEMA-REAL", "SCHEMA-EXTRA"}
    assert broken == declared
    assert all(
        rule.severity is Severity.WARNING
        for rule in profile.rules.values()
        if rule.source == "EX" and rule.id not in ("CH13",)
    )


# ------------------------------------------------------------------------ recognition


@pytest.mark.parametrize(
    ("method", "url", "chat"),
    [
        ("POST", "https://api.openai.com/v1/chat/completions", True),
        (
            "POST",
            "https://res.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
            True,
        ),
        ("POST", "https://res.openai.azure.com/openai/v1/chat/completions", True),
        ("POST", "https://api.groq.com/openai/v1/chat/completions", True),
        ("POST", "http://localhost:11434/v1/chat/completions/", True),
        ("GET", "https://api.openai.com/v1/chat/completions/chatcmpl-1", False),
        ("POST", "https://api.openai.com/v1/completions", False),
    ],
)
def test_recognised_from_the_request(method: str, url: str, chat: bool) -> None:
    request = RecordedRequest(method=method, url=url)
    assert (detect(request, ()).name == "chat") is chat


def test_raw_bodies_are_recognised_from_their_first_chunk_azure_preamble_included() -> None:
    for name in (TEXT, AZURE):
        events = [
            ServerSentEvent("message", block)
            for block in body(load(name)).decode().split("\n\n")
            if block
        ]
        sample = [ServerSentEvent("message", e.data.removeprefix("data: ")) for e in events]
        assert detect(None, sample).name == "chat", name


# ------------------------------------------------------------------------ dialects

COMPATIBLE_BODY = "openllmetry-chat-streaming-i0.sse"  # usage on the finish chunk: CH12


def test_a_dialect_from_the_recorded_host_makes_its_deviations_warnings() -> None:
    events = load(COMPATIBLE_BODY)
    plain = findings(events, chat_request())
    assert [(f.rule, f.severity) for f in plain if f.rule == "CH12"] == [("CH12", Severity.ERROR)]
    groq = findings(events, chat_request(url="https://api.groq.com/openai/v1/chat/completions"))
    (finding,) = [f for f in groq if f.rule == "CH12"]
    assert finding.severity is Severity.WARNING and "[groq: " in finding.message
    strict = validate_cassette(
        cassette(events, chat_request(url="https://api.groq.com/openai/v1/chat/completions")),
        config=RuleConfig(schemas=False, strict=True),
    )
    assert [f.severity for f in strict if f.rule == "CH12"] == [Severity.ERROR]


def test_a_dialect_from_the_first_chunk_of_a_raw_body() -> None:
    result = validate_file(CHAT / "ruby-openai-deepseek-chat.sse")
    (finding,) = [f for f in result.findings if f.rule == "CH12"]
    assert finding.severity is Severity.WARNING and "[deepseek: " in finding.message
    assert result.ok


def test_a_dialect_chosen_by_name() -> None:
    result = validate_file(CHAT / COMPATIBLE_BODY, config=RuleConfig(dialect="vllm"))
    assert result.ok, [f for f in result.findings if f.is_error]
    assert any("[vllm: " in f.message for f in result.findings)


def test_every_dialect_names_rules_the_profile_has() -> None:
    profile = get_profile("chat")
    names = [d.name for d in profile.dialects]
    assert {"azure", "openrouter", "groq", "deepseek", "mistral", "ollama", "vllm"} <= set(names)
    for dialect in profile.dialects:
        assert set(dialect.relax) <= set(profile.rules), dialect.name


# ------------------------------------------------------------------------ view


def test_the_view_gives_each_chunks_delta_text() -> None:
    view = get_profile("chat").view
    text, tool, refusal = load(TEXT), load(TOOL), load(REFUSAL)
    assert view.delta_text(text[1]) == "Olá"
    assert view.delta_text(tool[2]) == "location"
    assert view.delta_text(refusal[1]) == "I'm"
    assert view.delta_text(text[4]) is None  # the usage chunk
    assert view.delta_text({"choices": [{"delta": {"reasoning_content": "Hm"}}]}) == "Hm"
    assert view.is_sentinel(ServerSentEvent("message", "[DONE]"))


def test_folded_deltas_join_text_and_arguments_never_repeated_fields() -> None:
    from recorder.testing.snapshot import fold_delta_runs

    view = get_profile("chat").view
    for name, joined, path in (
        (TEXT, "Olá!", ("choices", 0, "delta", "content")),
        (
            TOOL,
            '{"location":"Florence,Italy"}',
            ("choices", 0, "delta", "tool_calls", 0, "function", "arguments"),
        ),
    ):
        events = [("chat.completion.chunk", e) for e in load(name) if isinstance(e, dict)]
        folded = fold_delta_runs(events, view)
        merged = next(payload for kind, payload in folded if kind.endswith("(folded)"))
        value: Any = merged
        for part in path:
            value = value[part]
        assert joined.endswith(value) and len(value) > 1
        assert merged["model"] == events[1][1]["model"]  # not once per chunk
        assert merged["id"] == events[1][1]["id"] and merged["object"] == "chat.completion.chunk"


# ------------------------------------------------------------------------ real captures

#: Bodies that truly break the contract (or cannot be read as a chat stream), and why.
#: Everything else in fixtures/real-streams/chat/ must be recognised as chat with no error.
BROKEN: dict[str, set[tuple[str, int | None]]] = {
    # A local OpenAI-compatible server (localhost:5002, created in milliseconds) sends usage
    # on the chunk carrying finish_reason instead of a usage chunk with empty choices.
    "openllmetry-chat-streaming-i0.sse": {("CH12", 194)},
    # The server's own in-band errors, reported as such: OpenRouter's "Token limit reached"
    # (400) after a finish, Groq's tool_use_failed (`event: error`, no [DONE]).
    "pydantic-ai-openrouter-stream-error-openrouter.sse": {("CH13", 3)},
    "pydantic-ai-tool-use-failed-error-streaming-groq.sse": {("CH13", 94)},
    "pydantic-ai-tool-use-failed-error-streaming-with-text-groq.sse": {("CH13", 85)},
    # DeepSeek served from Azure AI Foundry (SGLang: matched_stop): `created` moves on by
    # a second during the stream (first at event 3); reframed by us from vercel/ai's payloads.
    "vercel-reframed-azure-azure-deepseek-reasoning-1.sse": {("CH3", 3)},
}
#: Hand-reformatted by openai-php without blank lines between events: no event is ever
#: dispatched (a client sees nothing), an error at byte 0; recognised by their data lines,
#: except the one whose only line is an error object.
NOT_STREAMS = {
    "php-derived-anthropic-compat-keepalive.sse",
    "php-derived-anthropic-compat-ping.sse",
    "php-derived-chat-completion-create.sse",
    "php-derived-chat-completion-error.sse",
}
REAL = sorted(path.name for path in CHAT.glob("*.sse"))


@pytest.mark.parametrize("name", REAL)
def test_every_real_capture_is_recognised_and_holds_unless_listed(name: str) -> None:
    result = validate_file(CHAT / name)
    if name in NOT_STREAMS:
        assert result.events == 0 and result.profile in ("chat", "generic")
        first = result.findings[0]
        assert first.is_error and first.message.startswith("no event was dispatched")
        return
    assert result.profile == "chat"
    errors = {(f.rule, f.event_index) for f in result.findings if f.is_error}
    expected = BROKEN.get(name, set())
    assert expected <= errors and {r for r, _ in errors} == {r for r, _ in expected}, errors


def test_the_broken_table_names_real_files() -> None:
    assert set(BROKEN) | NOT_STREAMS <= set(REAL)
    assert len(REAL) == 180


# ------------------------------------------------------------------------ command line


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("sse-recorder")), "validate", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_cli_exit_codes(tmp_path: Path) -> None:
    good = run_cli(str(CHAT / TEXT))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "(chat, 1 stream" in good.stdout
    events = load(TEXT)
    _duplicate(2, 4)(events)
    broken = tmp_path / "broken.sse"
    broken.write_bytes(body(events))
    bad = run_cli(str(broken), "--format", "json")
    assert bad.returncode == 1
    report = json.loads(bad.stdout)
    rules = {(f["rule"], f.get("event_index")) for f in report["files"][0]["findings"]}
    assert ("CH10", 4) in rules
    compatible = str(CHAT / COMPATIBLE_BODY)
    assert run_cli(compatible).returncode == 1
    assert run_cli(compatible, "--dialect", "vllm").returncode == 0
    unknown = run_cli(compatible, "--dialect", "nope")
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
