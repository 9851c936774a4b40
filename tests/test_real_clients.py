"""Real clients against the replay server: the official ``openai`` library (3.x, on httpx2),
``portkey-ai``, httpx-sse and curl. What they accumulate must equal what the cassette says."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import httpx2
import httpx_sse
import openai
import pytest
from openai import AssistantEventHandler

from recorder.cassette import Interaction, load_cassette
from recorder.net.serving import BackgroundServer
from recorder.replay.server import ReplayServer
from recorder.replay.transport import ReplayTransport
from recorder.wire.sse import parse_bytes
from tests.conftest import CASSETTES

TOOL_CALL = CASSETTES / "real" / "dotnet-tool-call-then-submit.jsonl"
STREAMING = CASSETTES / "real" / "dotnet-streaming-run.jsonl"
THREAD = "thread_Wq2ScOs1iInUsyhUUDmN5NZH"
ASSISTANT = "asst_0VLdyfoSMFV4tQpzWUT2ywhg"

# The Assistants API is deprecated in the library; the warnings are not what is tested here.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def payloads(interaction: Interaction, name: str) -> list[dict[str, Any]]:
    events = parse_bytes(interaction.body)[0]
    return [json.loads(event.data) for event in events if event.event == name]


def final_text(interaction: Interaction) -> str:
    message = payloads(interaction, "thread.message.completed")[-1]
    return "".join(part["text"]["value"] for part in message["content"])


def required_calls(interaction: Interaction) -> list[tuple[str, str, str]]:
    run = payloads(interaction, "thread.run.requires_action")[-1]
    calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
    return [(c["id"], c["function"]["name"], c["function"]["arguments"]) for c in calls]


class Collector(AssistantEventHandler):
    """Accumulates what an application would: the text and the tool calls."""

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.tool_calls: list[tuple[str, str, str]] = []

    def on_text_delta(self, delta: Any, snapshot: Any) -> None:
        self.text += delta.value or ""

    def on_tool_call_done(self, tool_call: Any) -> None:
        # The snapshot the library built from the created event and every delta.
        function = tool_call.function
        self.tool_calls.append((tool_call.id, function.name, function.arguments))


@pytest.fixture(scope="module", params=["", "rechunk=1", "rechunk=7"])
def server(request: pytest.FixtureRequest) -> Iterator[BackgroundServer]:
    """One server per fault setting: rechunking must change nothing a client sees."""
    app = ReplayServer([TOOL_CALL, STREAMING], instant=True, faults=request.param)
    with BackgroundServer(app) as running:
        yield running


@pytest.fixture(scope="module")
def plain_server() -> Iterator[BackgroundServer]:
    """No faults: for the byte-identity and load tests."""
    with BackgroundServer(ReplayServer([TOOL_CALL, STREAMING], instant=True)) as running:
        yield running


def openai_client(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key="sk-test", max_retries=0)


def test_openai_create_and_run_then_submit_tool_outputs(server: BackgroundServer) -> None:
    cassette = load_cassette(TOOL_CALL)
    client = openai_client(server.url)
    first = Collector()
    with client.beta.threads.create_and_run_stream(
        assistant_id="asst_BFMmpHsel3a7MuFuKKY9i5uG", event_handler=first
    ) as stream:
        stream.until_done()
    run = first.current_run
    assert run is not None and run.status == "requires_action"
    assert run.required_action is not None
    required = run.required_action.submit_tool_outputs.tool_calls
    expected = required_calls(cassette.interactions[0])
    assert [(c.id, c.function.name, c.function.arguments) for c in required] == expected
    assert first.tool_calls == expected

    second = Collector()
    outputs = [{"tool_call_id": expected[0][0], "output": "warm and sunny"}]
    with client.beta.threads.runs.submit_tool_outputs_stream(
        thread_id=run.thread_id, run_id=run.id, tool_outputs=outputs, event_handler=second
    ) as stream:
        stream.until_done()
    assert second.text == final_text(cassette.interactions[1])
    messages = second.get_final_messages()
    assert [block.text.value for block in messages[-1].content] == [second.text]  # type: ignore[union-attr]
    assert second.current_run is not None and second.current_run.status == "completed"


def test_openai_runs_stream(server: BackgroundServer) -> None:
    collector = Collector()
    with openai_client(server.url).beta.threads.runs.stream(
        thread_id=THREAD, assistant_id=ASSISTANT, event_handler=collector
    ) as stream:
        stream.until_done()
    assert collector.text == final_text(load_cassette(STREAMING).interactions[0])


def test_openai_on_the_in_process_transport_via_httpx2() -> None:
    transport = ReplayTransport(STREAMING, instant=True, faults="rechunk=3")
    http_client = httpx2.Client(transport=transport)  # type: ignore[arg-type]
    client = openai.OpenAI(
        base_url="https://api.openai.com/v1", api_key="sk", http_client=http_client
    )
    collector = Collector()
    with client.beta.threads.runs.stream(
        thread_id=THREAD, assistant_id=ASSISTANT, event_handler=collector
    ) as stream:
        stream.until_done()
    assert collector.text == final_text(load_cassette(STREAMING).interactions[0])


def test_openai_sees_the_no_match_explanation(server: BackgroundServer) -> None:
    with pytest.raises(openai.NotFoundError, match="no recorded interaction matches GET"):
        openai_client(server.url).beta.threads.runs.list(thread_id="thread_unknown")


def test_portkey_raw_stream_yields_the_recorded_events(server: BackgroundServer) -> None:
    import portkey_ai

    portkey = portkey_ai.Portkey(api_key="pk-test", base_url=server.url + "/v1", virtual_key="vk")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lines = list(portkey.beta.threads.runs.create(THREAD, assistant_id=ASSISTANT, stream=True))
    events = [e for e in parse_bytes(load_cassette(STREAMING).interactions[0].body)[0]]
    expected: list[str] = []
    for event in events:
        expected.append(f"event: {event.event}")
        if event.data == "[DONE]":
            break  # the library stops at the sentinel, after its event line
        expected.append(event.data)
    assert lines == expected


def test_portkey_stream_with_the_openai_event_handler(server: BackgroundServer) -> None:
    import portkey_ai

    portkey = portkey_ai.Portkey(api_key="pk-test", base_url=server.url + "/v1", virtual_key="vk")
    collector = Collector()
    with portkey.beta.threads.runs.stream(
        thread_id=THREAD, assistant_id=ASSISTANT, event_handler=collector
    ) as stream:
        stream.until_done()
    assert collector.text == final_text(load_cassette(STREAMING).interactions[0])


def test_httpx_and_httpx_sse_receive_identical_bytes(plain_server: BackgroundServer) -> None:
    server = plain_server
    recorded = load_cassette(STREAMING).interactions[0].body
    url = f"{server.url}/v1/threads/{THREAD}/runs"
    with httpx.Client() as client, httpx_sse.connect_sse(client, "POST", url) as source:
        events = [(sse.event, sse.data) for sse in source.iter_sse()]
    assert events == [(e.event, e.data) for e in parse_bytes(recorded)[0]]
    with httpx.Client() as client, client.stream("POST", url) as response:
        assert response.read() == recorded


def test_curl_receives_identical_bytes(plain_server: BackgroundServer) -> None:
    recorded = load_cassette(STREAMING).interactions[0].body
    url = f"{plain_server.url}/v1/threads/{THREAD}/runs"
    curl = shutil.which("curl")
    if curl is None:
        # CI machines have curl; a machine with only Python and pip may not.
        (pytest.fail if os.environ.get("CI") else pytest.skip)("curl is not installed")
    result = subprocess.run([curl, "-sSN", "-X", "POST", url], capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == recorded


def test_many_openai_clients_at_once(plain_server: BackgroundServer) -> None:
    server = plain_server
    expected = final_text(load_cassette(STREAMING).interactions[0])
    texts: list[str] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            collector = Collector()
            with openai_client(server.url).beta.threads.runs.stream(
                thread_id=THREAD, assistant_id=ASSISTANT, event_handler=collector
            ) as stream:
                stream.until_done()
            texts.append(collector.text)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and texts == [expected] * 8
