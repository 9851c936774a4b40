"""The final folds, judged by the official SDKs on every vendored real body.

For each body of ``fixtures/real-streams/{responses,chat,anthropic}/`` a real HTTP server on
127.0.0.1 (``tests/upstream.py``, one module-scoped server choosing the body by the
``x-fixture`` request header) serves it; the official client runs its stream helper to the end
(``responses.stream().get_final_response()``, ``chat.completions.stream().get_final_completion()``,
``messages.stream().get_final_message()``, or ``beta.messages.stream()`` when the body holds
blocks only the beta types know) and our fold folds the same body parsed by ``recorder``'s own
parser. They must be equal.

What is compared: ``model_dump(mode="json", exclude_unset=True, by_alias=True,
warnings=False)`` of the library's object. ``by_alias`` because the fold speaks the wire's names
(``schema``, ``from``), which the SDK renames to ``schema_``, ``from_``. ``exclude_unset``
because the SDK models declare every optional field with a null default: a plain dump invents
keys the stream never sent, which no fold of the wire can know (and that would only pin the
SDK's schema version). ``warnings=False`` silences pydantic's complaints about real payloads
that do not match the SDK's types (they are dumped as received). The library's own additions
are dropped: ``parsed`` (Responses output text, Chat message) and ``parsed_arguments``
(function calls), results of its structured-output parsing, not of the stream. Fields the
library *sets* while folding (Chat's ``usage``/``system_fingerprint``, the declared fields of a
Chat message merged more than once, Anthropic's ``stop_details``) count as set and are compared.

Where the library cannot build a final object it raises; those bodies are listed by name in
``LIBRARY_RAISES`` with the error type, the test asserts the library raised exactly that and
that our fold still returns without raising.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import anthropic
import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recorder.profiles.anthropic.fold import AnthropicFold
from recorder.profiles.chat.fold import ChatFold
from recorder.profiles.responses.fold import ResponsesFold
from tests.conftest import shared_path
from tests.upstream import Received, Script, Upstream, split_events

try:
    from recorder.wire.sse import parse_bytes
except ImportError:  # before the package move
    from recorder.sse import parse_bytes  # type: ignore[no-redef,import-untyped,unused-ignore]

# The SDKs' own dumps of real payloads that do not match their types warn; not our concern.
pytestmark = pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")

APIS = ("responses", "chat", "anthropic")
BODIES = {
    f"{api}/{path.name}": path
    for api in APIS
    for path in sorted(shared_path("real-streams", api).glob("*.sse"))
}


def _chunks(*choices_per_chunk: list[dict[str, Any]], **top: Any) -> bytes:
    """A Chat body: one chunk per list of choices, then ``[DONE]``."""
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    events = [
        f"data: {json.dumps({**base, 'choices': choices, **top})}\n\n"
        for choices in choices_per_chunk
    ]
    return ("".join(events) + "data: [DONE]\n\n").encode()


def _delta(index: int, finish: str | None = None, **delta: Any) -> dict[str, Any]:
    return {"index": index, "delta": delta, "finish_reason": finish}


#: Hand-made Chat bodies pinning what the library does with the shapes compatible servers send
#: (no real recording shows each of them alone); judged by the library like the real ones.
SYNTHETIC: dict[str, bytes] = {
    # n=2, interleaved; the second choice first appears in a later chunk.
    "chat-synthetic/n2-interleaved.sse": _chunks(
        [_delta(0, role="assistant", content="")],
        [_delta(1, role="assistant", content="B")],
        [_delta(0, content="A"), _delta(1, content="b")],
        [_delta(0, "stop"), _delta(1, "stop")],
    ),
    # The usage chunk (choices: []) replaces the null usage of the others.
    "chat-synthetic/usage-chunk.sse": _chunks(
        [_delta(0, role="assistant", content="hi")],
        [_delta(0, "stop")],
        [],
    )
    + b"",
    # role in every chunk: strings concatenate ("assistantassistant"), as accumulate_delta does.
    "chat-synthetic/role-repeated.sse": _chunks(
        [_delta(0, role="assistant", content="a")],
        [_delta(0, role="assistant", content="b", finish="stop")],
    ),
    # reasoning_content and other extras fold like declared fields; numbers add.
    "chat-synthetic/reasoning-content.sse": _chunks(
        [_delta(0, role="assistant", reasoning_content="think", n=1)],
        [_delta(0, reasoning_content="ing", n=2)],
        [_delta(0, content="done", finish="stop")],
    ),
    # content as a list of parts (no index): extended while the accumulator holds no objects.
    "chat-synthetic/content-list-once.sse": _chunks(
        [_delta(0, role="assistant", content=[{"type": "text", "text": "a"}], finish="stop")],
    ),
    # Tool calls merged by index; legacy function_call merged as an object; refusal.
    "chat-synthetic/tools-function-call-refusal.sse": _chunks(
        [
            _delta(
                0,
                role="assistant",
                tool_calls=[
                    {
                        "index": 0,
                        "id": "c0",
                        "type": "function",
                        "function": {"name": "f", "arguments": ""},
                    },
                    {
                        "index": 1,
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "g", "arguments": "{"},
                    },
                ],
            )
        ],
        [_delta(0, tool_calls=[{"index": 0, "function": {"arguments": "{}"}}])],
        [_delta(0, tool_calls=[{"index": 1, "function": {"arguments": "}"}}])],
        [_delta(0, function_call={"name": "h", "arguments": "{"})],
        [_delta(0, function_call={"arguments": "}"}, refusal="no")],
        [_delta(0, "tool_calls")],
    ),
    # content as a list twice: accumulate_delta finds objects without "index" and raises.
    "chat-synthetic/content-list-twice.sse": _chunks(
        [_delta(0, role="assistant", content=[{"type": "text", "text": "a"}])],
        [_delta(0, content=[{"type": "text", "text": "b"}], finish="stop")],
    ),
    # logprobs lists are extended; a choice new in a later chunk gets its own twice.
    "chat-synthetic/logprobs.sse": _chunks(
        [
            {
                **_delta(0, role="assistant", content="a"),
                "logprobs": {
                    "content": [{"token": "a", "logprob": -1, "bytes": [97], "top_logprobs": []}],
                    "refusal": None,
                },
            }
        ],
        [
            {
                **_delta(0, content="b"),
                "logprobs": {
                    "content": [{"token": "b", "logprob": -2, "bytes": [98], "top_logprobs": []}]
                },
            },
            {
                **_delta(1, content="c"),
                "logprobs": {
                    "content": [{"token": "c", "logprob": 0, "bytes": [99], "top_logprobs": []}]
                },
            },
        ],
        [_delta(0, "stop"), _delta(1, "stop")],
    ),
}

#: Bodies the library refuses, with the error it raises (checked exactly, both ways).
LIBRARY_RAISES: dict[str, str] = {
    # gpt-audio chunks without "choices": the helper iterates None.
    "chat/dotnet-chatwithaudio.sse": "TypeError",
    "chat/dotnet-chatwithaudioasync.sse": "TypeError",
    "chat/dotnet-chatwithbasicaudiooutput.sse": "TypeError",
    "chat/dotnet-chatwithbasicaudiooutputasync.sse": "TypeError",
    # finish_reason "length": parse_chat_completion refuses by design.
    "chat/openai-python-max-tokens-reached-length.sse": "LengthFinishReasonError",
    "chat/vercel-reframed-deepseek-deepseek-text.sse": "LengthFinishReasonError",
    # No blank lines between events (hand-edited framing): no chunk, no snapshot to assert.
    "chat/php-derived-anthropic-compat-keepalive.sse": "AssertionError",
    "chat/php-derived-anthropic-compat-ping.sse": "AssertionError",
    "chat/php-derived-chat-completion-create.sse": "AssertionError",
    "chat/php-derived-chat-completion-error.sse": "AssertionError",
    # In-band `data: {"error": ...}`.
    "chat/pydantic-ai-openrouter-stream-error-openrouter.sse": "APIError",
    "chat/pydantic-ai-tool-use-failed-error-streaming-groq.sse": "APIError",
    "chat/pydantic-ai-tool-use-failed-error-streaming-with-text-groq.sse": "APIError",
    "chat-synthetic/content-list-twice.sse": "RuntimeError",
    # OpenRouter's delta `annotations` entries have no `index`: accumulate_delta refuses.
    "chat/pydantic-ai-openrouter-web-search-annotations-stream-openrouter.sse": "RuntimeError",
    # Resumed streams (GET ?starting_after=N) start without response.created.
    "responses/dotnet-canstreambackgroundresponses-resume-get.sse": "RuntimeError",
    "responses/dotnet-canstreambackgroundresponsesasync-resume-get.sse": "RuntimeError",
    "responses/pydantic-ai-background-mode-streaming-starting-after-vcr-i1.sse": "RuntimeError",
    # Blank lines stripped by hand: "Didn't receive a `response.completed` event" / output
    # identity conflicts.
    "responses/php-derived-code-interpreter.sse": "RuntimeError",
    "responses/php-derived-completion-create.sse": "RuntimeError",
    "responses/php-derived-image-generation.sse": "RuntimeError",
    # Several HTTP responses concatenated by vercel: "Lifecycle response identity changed."
    # or "Completed output item identity changed.".
    "responses/vercel-reframed-azure-azure-reasoning-encrypted-content-1.sse": "RuntimeError",
    "responses/vercel-reframed-openai-github-copilot-id-rotation-1.sse": "RuntimeError",
    "responses/vercel-reframed-openai-openai-client-tool-search-1.sse": "RuntimeError",
    "responses/vercel-reframed-openai-openai-reasoning-encrypted-content-1.sse": "RuntimeError",
    "responses/vercel-reframed-openai-openai-shell-tool-1.sse": "RuntimeError",
    # An `error` event (insufficient_quota).
    "responses/vercel-reframed-openai-openai-error-1.sse": "APIError",
    # A data line that is not JSON.
    "responses/vercel-reframed-openai-parallel-tool-call-wrapper-1.sse": "JSONDecodeError",
}

#: Content block types only ``anthropic.types.beta`` knows: such bodies go to
#: ``client.beta.messages.stream``.
BETA_BLOCKS = frozenset(
    {
        "advisor_tool_result",
        "compaction",
        "fallback",
        "mcp_tool_listing",
        "mcp_tool_result",
        "mcp_tool_use",
    }
)

#: ``message_delta`` fields only the beta types (and the beta accumulator) know.
BETA_DELTA_FIELDS = frozenset({"context_management", "input_transformations"})


def _body(name: str) -> bytes:
    return SYNTHETIC[name] if name in SYNTHETIC else BODIES[name].read_bytes()


def _script(received: Received) -> Script:
    return Script(split_events(_body(received.header("x-fixture") or "")), gap=0)


@dataclass(frozen=True)
class Clients:
    """The official clients, pointed at the module's upstream (built once: they are slow)."""

    openai: openai.OpenAI
    anthropic: anthropic.Anthropic


@pytest.fixture(scope="module")
def clients() -> Iterator[Clients]:
    routes: dict[tuple[str, str], Any] = {
        ("POST", "/v1/responses"): _script,
        ("POST", "/v1/chat/completions"): _script,
        ("POST", "/v1/messages"): _script,
    }
    with (
        Upstream(routes).serve() as server,
        openai.OpenAI(base_url=server.url + "/v1", api_key="test", max_retries=0) as oai,
        anthropic.Anthropic(base_url=server.url, api_key="test", max_retries=0) as claude,
    ):
        yield Clients(oai, claude)


def _events(name: str) -> list[tuple[str, Any]]:
    events, _ = parse_bytes(_body(name))
    out: list[tuple[str, Any]] = []
    for event in events:
        try:
            payload = json.loads(event.data)
        except ValueError:
            payload = None
        out.append((event.event, payload))
    return out


def _fold(api: str, name: str) -> dict[str, Any] | None:
    folds: dict[str, type[ResponsesFold | ChatFold | AnthropicFold]] = {
        "responses": ResponsesFold,
        "chat": ChatFold,
        "anthropic": AnthropicFold,
    }
    fold = folds[api]()
    for kind, payload in _events(name):
        fold.feed(kind, payload)
    return fold.result()


@cache
def _is_beta(name: str) -> bool:
    for _, payload in _events(name):
        if not isinstance(payload, dict):
            continue
        if payload.get("type") == "content_block_start":
            block = payload.get("content_block")
            if isinstance(block, dict) and block.get("type") in BETA_BLOCKS:
                return True
        if payload.get("type") == "message_delta" and BETA_DELTA_FIELDS & payload.keys():
            return True
    return False


def _library(api: str, name: str, clients: Clients) -> dict[str, Any]:
    headers = {"x-fixture": name}
    api = api.removesuffix("-synthetic")
    if api == "anthropic":
        client = clients.anthropic
        request: dict[str, Any] = {
            "model": "m",
            "max_tokens": 1,
            "messages": [{"role": "user", "content": "x"}],
            "extra_headers": headers,
        }
        manager = (
            client.beta.messages.stream(**request)
            if _is_beta(name)
            else client.messages.stream(**request)
        )
        with manager as stream:
            message = stream.get_final_message()
        return message.model_dump(mode="json", exclude_unset=True, by_alias=True, warnings=False)
    client_ = clients.openai
    if api == "responses":
        with client_.responses.stream(model="m", input="x", extra_headers=headers) as stream_:
            response = stream_.get_final_response()
        dumped = response.model_dump(mode="json", exclude_unset=True, by_alias=True, warnings=False)
        for item in dumped.get("output") or []:
            item.pop("parsed_arguments", None)
            for part in item.get("content") or [] if item.get("type") == "message" else []:
                part.pop("parsed", None)
        return dumped
    with client_.chat.completions.stream(
        model="m", messages=[{"role": "user", "content": "x"}], extra_headers=headers
    ) as chat_stream:
        completion = chat_stream.get_final_completion()
    dumped = completion.model_dump(mode="json", exclude_unset=True, by_alias=True, warnings=False)
    for choice in dumped.get("choices") or []:
        chat_message = choice.get("message") or {}
        chat_message.pop("parsed", None)
        for call in chat_message.get("tool_calls") or []:
            if isinstance(call.get("function"), dict):
                call["function"].pop("parsed_arguments", None)
    return dumped


@pytest.mark.parametrize("name", [*sorted(BODIES), *SYNTHETIC])
def test_fold_equals_library(name: str, clients: Clients) -> None:
    api = name.split("/")[0].removesuffix("-synthetic")
    try:
        expected = _library(api, name, clients)
    except Exception as error:  # the library refused the body
        assert name in LIBRARY_RAISES, f"library raised {error!r}"
        assert type(error).__name__ == LIBRARY_RAISES[name]
        _fold(api, name)  # must not raise
        return
    assert name not in LIBRARY_RAISES, "the library no longer raises on this body"
    assert _fold(api, name) == expected


def test_every_api_has_bodies() -> None:
    counts = {api: sum(name.startswith(api + "/") for name in BODIES) for api in APIS}
    assert counts == {"responses": 178, "chat": 180, "anthropic": 122}


FOLDS: tuple[type[ResponsesFold | ChatFold | AnthropicFold], ...] = (
    ResponsesFold,
    ChatFold,
    AnthropicFold,
)
#: Every event type and key the folds look at, so that random payloads reach every branch.
KINDS = sorted(
    {
        "chat.completion.chunk",
        "content_block_delta",
        "content_block_start",
        "content_block_stop",
        "error",
        "message",
        "message_delta",
        "message_start",
        "message_stop",
        "ping",
        "response.completed",
        "response.created",
        "response.failed",
        "response.function_call_arguments.delta",
        "response.in_progress",
        "response.incomplete",
        "response.output_item.added",
        "response.output_item.done",
        "response.output_text.delta",
    }
)
KEYS = sorted(
    {
        "arguments",
        "choices",
        "citation",
        "citations",
        "container",
        "content",
        "content_block",
        "content_index",
        "context_management",
        "delta",
        "error",
        "finish_reason",
        "function",
        "id",
        "index",
        "input",
        "item",
        "logprobs",
        "message",
        "object",
        "output",
        "output_index",
        "output_tokens",
        "partial_json",
        "refusal",
        "response",
        "role",
        "signature",
        "text",
        "thinking",
        "to",
        "tool_calls",
        "type",
        "usage",
    }
)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False),
    st.sampled_from(["", "x", "{", '{"a": 1}', *KINDS, "text", "tool_use", "message"]),
)
JSON = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)
    ),
    max_leaves=20,
)
EVENTS = st.lists(st.tuples(st.sampled_from(KINDS), JSON), max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=EVENTS)
def test_folds_never_raise_on_malformed_events(events: list[tuple[str, Any]]) -> None:
    for fold_type in FOLDS:
        fold = fold_type()
        for kind, payload in events:
            fold.feed(kind, payload)
        result = fold.result()
        assert result is None or isinstance(json.loads(json.dumps(result)), dict)


@pytest.mark.parametrize("api", APIS)
def test_folds_never_raise_on_reordered_real_events(api: str) -> None:
    """Every real body's events reversed, shuffled and cut short: no fold raises."""
    rng = random.Random(0)
    folds: dict[str, type[ResponsesFold | ChatFold | AnthropicFold]] = {
        "responses": ResponsesFold,
        "chat": ChatFold,
        "anthropic": AnthropicFold,
    }
    for name in BODIES:
        if not name.startswith(api + "/"):
            continue
        events = _events(name)
        shuffled = events[:]
        rng.shuffle(shuffled)
        for order in (events[::-1], shuffled, events[: len(events) // 2]):
            fold = folds[api]()
            for kind, payload in order:
                fold.feed(kind, payload)
            json.dumps(fold.result())
