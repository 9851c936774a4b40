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
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from recorder.profiles.anthropic.fold import AnthropicFold
from recorder.profiles.chat.fold import ChatFold
from recorder.profiles.responses.fold import ResponsesFold
from tests.conftest import shared_path
from tests.upstream import Received, Script, Upstream, split_events

try:
    from recorder.wire.sse import parse_bytes
except ImportError:  # before the package move
    from recorder.sse import parse_bytes  # type: ignore[no-redef,import-untyped,unused-ignore]

APIS = ("responses", "chat", "anthropic")
BODIES = {
    f"{api}/{path.name}": path
    for api in APIS
    for path in sorted(shared_path("real-streams", api).glob("*.sse"))
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


def _script(received: Received) -> Script:
    name = received.header("x-fixture") or ""
    return Script(split_events(BODIES[name].read_bytes()), gap=0)


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


def _events(path: Path) -> list[tuple[str, Any]]:
    events, _ = parse_bytes(path.read_bytes())
    out: list[tuple[str, Any]] = []
    for event in events:
        try:
            payload = json.loads(event.data)
        except ValueError:
            payload = None
        out.append((event.event, payload))
    return out


def _fold(api: str, path: Path) -> dict[str, Any] | None:
    folds: dict[str, type[ResponsesFold | ChatFold | AnthropicFold]] = {
        "responses": ResponsesFold,
        "chat": ChatFold,
        "anthropic": AnthropicFold,
    }
    fold = folds[api]()
    for kind, payload in _events(path):
        fold.feed(kind, payload)
    return fold.result()


@cache
def _is_beta(path: Path) -> bool:
    for _, payload in _events(path):
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
            if _is_beta(BODIES[name])
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


@pytest.mark.parametrize("name", sorted(BODIES))
def test_fold_equals_library(name: str, clients: Clients) -> None:
    api = name.split("/")[0]
    path = BODIES[name]
    try:
        expected = _library(api, name, clients)
    except Exception as error:  # the library refused the body
        assert name in LIBRARY_RAISES, f"library raised {error!r}"
        assert type(error).__name__ == LIBRARY_RAISES[name]
        _fold(api, path)  # must not raise
        return
    assert name not in LIBRARY_RAISES, "the library no longer raises on this body"
    assert _fold(api, path) == expected


def test_every_api_has_bodies() -> None:
    counts = {api: sum(name.startswith(api + "/") for name in BODIES) for api in APIS}
    assert counts == {"responses": 178, "chat": 180, "anthropic": 122}
