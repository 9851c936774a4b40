"""Recording transports with real clients (httpx, httpx-sse, openai on httpx2) on real sockets."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import httpx
import httpx2
import openai
import pytest
from httpx_sse import connect_sse
from openai import AssistantEventHandler

from recorder.cassette import Cassette, load_cassette
from recorder.net.serving import BackgroundServer
from recorder.record.redaction import Redactor
from recorder.record.transport import AsyncRecordingTransport, RecordingTransport
from recorder.replay.server import ReplayServer
from recorder.replay.transport import ReplayTransport
from recorder.wire.sse import parse_bytes
from tests.conftest import CASSETTES, shared_path
from tests.upstream import Script, Upstream, module_upstream, reset_server, split_events

TOOL_CALL = CASSETTES / "real" / "dotnet-tool-call-then-submit.jsonl"
RUN = CASSETTES / "real" / "dotnet-streaming-run.jsonl"
THREAD_RUNS = "/v1/threads/thread_Wq2ScOs1iInUsyhUUDmN5NZH/runs"
SUBMIT = "/v1/threads/thread_6oUGUBxLwhyApwhYBhWjHI5f/runs/run_oyfV44CrJXYJkvb2qsd80LvJ"
SUBMIT += "/submit_tool_outputs"

#: An upstream mounted under a path, as behind Cloudflare AI Gateway or a LiteLLM prefix.
PREFIX = "/some/prefix"
CHAT = "/v1/chat/completions"
CHAT_BODY = shared_path(
    "real-streams", "chat", "fantasy-TestAzureCommon-azure-gpt-5-mini-simple-streaming.sse"
).read_bytes()

SCRIPTS = {
    ("POST", PREFIX + CHAT): Script(split_events(CHAT_BODY), gap=0.002),
    ("POST", "/v1/threads/runs"): Script.from_cassette(TOOL_CALL, 0, gap=[0.005, 0.02] * 40),
    ("POST", SUBMIT): Script.from_cassette(TOOL_CALL, 1, gap=0.005),
    ("POST", THREAD_RUNS): Script.from_cassette(RUN, gap=0.005),
    ("GET", "/hang-up"): Script([b"data: 1\n\n", b"data: 2\n\n"], end="hang-up"),
    ("GET", "/hold"): Script([b"data: 1\n\n"], end="hold"),
    ("GET", "/500"): Script.json({"error": {"message": "boom"}}, status=500),
    ("GET", "/html"): Script([b"<html>", b"</html>"], headers=[("content-type", "text/html")]),
}


upstream = module_upstream(SCRIPTS)


def chunks_of(path: Path, interaction: int = 0) -> list[bytes]:
    return [chunk.data for chunk in load_cassette(path).interactions[interaction].chunks]


def test_plain_httpx_streams_while_recording(
    tmp_path: Path, upstream: tuple[str, Upstream]
) -> None:
    url, _ = upstream
    path = tmp_path / "run.jsonl"
    transport = RecordingTransport(path, profile="assistants")
    received: list[bytes] = []
    with (
        httpx.Client(transport=transport) as client,
        client.stream("POST", url + THREAD_RUNS, json={"assistant_id": "asst_1"}) as response,
    ):
        for chunk in response.iter_raw():
            # each chunk is on disk before the caller sees it
            assert chunks_of(path)[len(received)] == chunk
            received.append(chunk)
    sent = list(SCRIPTS[("POST", THREAD_RUNS)].chunks)
    assert received == sent
    cassette = load_cassette(path)
    interaction = cassette.interactions[0]
    assert [c.data for c in interaction.chunks] == sent
    assert interaction.outcome == "complete"
    assert cassette.profile == "assistants"
    assert interaction.request.body == b'{"assistant_id":"asst_1"}'
    assert interaction.request.header("accept-encoding") == "identity"
    times = [c.t for c in interaction.chunks]
    assert times == sorted(times) and times[-1] > times[0]


def test_httpx_sse_and_several_interactions(tmp_path: Path, upstream: tuple[str, Upstream]) -> None:
    url, _ = upstream
    path = tmp_path / "two.jsonl"
    with httpx.Client(transport=RecordingTransport(path)) as client:
        for _ in range(2):
            with connect_sse(client, "POST", url + THREAD_RUNS, json={}) as source:
                names = [event.event for event in source.iter_sse()]
    body = b"".join(SCRIPTS[("POST", THREAD_RUNS)].chunks)
    assert names == [event.event or "message" for event in parse_bytes(body)[0]]
    assert [i.body for i in load_cassette(path).interactions] == [body, body]


def test_async_transport(tmp_path: Path, upstream: tuple[str, Upstream]) -> None:
    url, _ = upstream
    path = tmp_path / "async.jsonl"

    async def stream() -> list[bytes]:
        async with (
            httpx.AsyncClient(transport=AsyncRecordingTransport(path)) as client,
            client.stream("POST", url + THREAD_RUNS, json={}) as response,
        ):
            return [chunk async for chunk in response.aiter_raw()]

    received = asyncio.run(stream())
    assert received == list(SCRIPTS[("POST", THREAD_RUNS)].chunks)
    assert chunks_of(path) == received
    assert load_cassette(path).interactions[0].outcome == "complete"


class Collecting(AssistantEventHandler):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def on_event(self, event: object) -> None:
        self.names.append(getattr(event, "event", "?"))


@pytest.mark.filterwarnings("ignore:The Assistants API is deprecated:DeprecationWarning")
@pytest.mark.parametrize("http", ["httpx2", "httpx"])
def test_openai_assistant_event_handler(
    tmp_path: Path, upstream: tuple[str, Upstream], http: str
) -> None:
    """The official library (3.x, built on httpx2; a legacy httpx client works too) streams a
    run that stops at requires_action, then the submit_tool_outputs continuation."""
    url, _ = upstream
    path = tmp_path / "openai.jsonl"
    transport = RecordingTransport(path)
    http_client = httpx2.Client(transport=transport) if http == "httpx2" else httpx.Client(
        transport=transport
    )  # fmt: skip
    client = openai.OpenAI(
        api_key="sk-fake-openai-key-123", base_url=url + "/v1", http_client=http_client,
        max_retries=0,
    )  # fmt: skip
    first = Collecting()
    with client.beta.threads.create_and_run_stream(
        assistant_id="asst_1", event_handler=first
    ) as stream:
        stream.until_done()
    run = stream.current_run
    assert run is not None and run.status == "requires_action"
    second = Collecting()
    with client.beta.threads.runs.submit_tool_outputs_stream(
        thread_id=run.thread_id,
        run_id=run.id,
        event_handler=second,
        tool_outputs=[{"tool_call_id": "call_1", "output": "42"}],
    ) as stream:
        stream.until_done()
    client.close()
    cassette = load_cassette(path)
    assert [i.request.path for i in cassette.interactions] == ["/v1/threads/runs", SUBMIT]
    for number, key in enumerate([("POST", "/v1/threads/runs"), ("POST", SUBMIT)]):
        assert chunks_of(path, number) == list(SCRIPTS[key].chunks)
        # the library stops reading at `data: [DONE]` and closes the response: the transport
        # reads the end that was already on its way, so the body is recorded complete
        assert cassette.interactions[number].outcome == "complete"
    assert first.names[0] == "thread.created" and first.names[-1] == "thread.run.requires_action"
    assert second.names[-1] == "thread.run.completed"
    assert "sk-fake-openai-key-123" not in path.read_text()
    assert cassette.interactions[0].request.header("authorization") == "Bearer REDACTED"


def test_hang_up_keeps_what_arrived(tmp_path: Path, upstream: tuple[str, Upstream]) -> None:
    url, _ = upstream
    path = tmp_path / "cut.jsonl"
    received = []
    with (
        httpx.Client(transport=RecordingTransport(path)) as client,
        pytest.raises(httpx.RemoteProtocolError),
        client.stream("GET", url + "/hang-up") as response,
    ):
        received += list(response.iter_raw())
    interaction = load_cassette(path).interactions[0]
    assert interaction.body == b"data: 1\n\ndata: 2\n\n"
    assert interaction.outcome == "upstream-closed"
    assert interaction.outcome_detail and "RemoteProtocolError" in interaction.outcome_detail


def test_reset_keeps_what_arrived(tmp_path: Path) -> None:
    path = tmp_path / "reset.jsonl"
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    first = b"data: 1\n\n"
    read_first = threading.Event()
    with (
        reset_server(head, b"%x\r\n%s\r\n" % (len(first), first), read_first) as url,
        httpx.Client(transport=RecordingTransport(path)) as client,
        pytest.raises(httpx.ReadError),
        client.stream("GET", url) as response,
    ):
        for chunk in response.iter_raw():
            assert chunk == first
            read_first.set()
    interaction = load_cassette(path).interactions[0]
    assert interaction.body == first
    assert interaction.outcome == "upstream-reset"


def test_read_timeout(tmp_path: Path, upstream: tuple[str, Upstream]) -> None:
    url, _ = upstream
    path = tmp_path / "timeout.jsonl"
    transport = RecordingTransport(path)
    with (
        httpx.Client(transport=transport, timeout=httpx.Timeout(5, read=0.2)) as client,
        pytest.raises(httpx.ReadTimeout),
        client.stream("GET", url + "/hold") as response,
    ):
        list(response.iter_raw())
    interaction = load_cassette(path).interactions[0]
    assert interaction.body == b"data: 1\n\n"
    assert interaction.outcome == "timeout"


@pytest.mark.parametrize(("route", "status"), [("/500", 500), ("/html", 200)])
def test_non_2xx_and_non_sse_are_recorded(
    tmp_path: Path, upstream: tuple[str, Upstream], route: str, status: int
) -> None:
    url, _ = upstream
    path = tmp_path / "other.jsonl"
    with httpx.Client(transport=RecordingTransport(path)) as client:
        response = client.get(url + route)
    interaction = load_cassette(path).interactions[0]
    assert interaction.response is not None and interaction.response.status == status
    assert interaction.body == response.content
    assert interaction.outcome == "complete"
    assert not interaction.is_event_stream


def test_connection_refused(tmp_path: Path) -> None:
    path = tmp_path / "refused.jsonl"
    with reset_server(b"", b"") as url:
        pass  # the port is free again: nothing listens there
    with (
        httpx.Client(transport=RecordingTransport(path)) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.get(url + "/x")
    interaction = load_cassette(path).interactions[0]
    assert interaction.response is None
    assert interaction.outcome == "error"


def test_an_error_quoting_a_secret_is_recorded_redacted(
    tmp_path: Path, upstream: tuple[str, Upstream]
) -> None:
    # A key read from a file with its newline: h11 refuses the header and quotes its value
    # in the error, which becomes the interaction's outcome detail.
    url, _ = upstream
    path = tmp_path / "refused-header.jsonl"
    with (
        httpx.Client(transport=RecordingTransport(path)) as client,
        pytest.raises(httpx.LocalProtocolError, match="sk-from-a-key-file"),
    ):
        client.get(url + "/hang-up", headers={"Authorization": "Bearer sk-from-a-key-file\n"})
    interaction = load_cassette(path).interactions[0]
    assert interaction.outcome == "error"
    assert interaction.outcome_detail is not None
    assert "REDACTED" in interaction.outcome_detail
    assert "sk-from-a-key-file" not in path.read_text()


def test_caller_closing_early(tmp_path: Path, upstream: tuple[str, Upstream]) -> None:
    """A body still going when the caller closes it: after the drain grace, the recording
    says the caller hung up, and the upstream sees the connection go away."""
    url, app = upstream
    app.disconnected.clear()
    path = tmp_path / "early.jsonl"
    with (
        httpx.Client(transport=RecordingTransport(path, drain_grace=0.05)) as client,
        client.stream("GET", url + "/hold") as response,
    ):
        first = next(response.iter_raw())
    interaction = load_cassette(path).interactions[0]
    assert interaction.outcome == "client-disconnected"
    assert interaction.chunks[0].data == first == b"data: 1\n\n"
    assert app.disconnected.wait(10)


def test_async_caller_closing_early(tmp_path: Path, upstream: tuple[str, Upstream]) -> None:
    url, _ = upstream
    path = tmp_path / "early-async.jsonl"

    async def stream() -> bytes:
        transport = AsyncRecordingTransport(path, drain_grace=0.05)
        async with (
            httpx.AsyncClient(transport=transport) as client,
            client.stream("GET", url + "/hold") as response,
        ):
            async for chunk in response.aiter_raw():
                return chunk
        raise AssertionError("no chunk")

    assert asyncio.run(stream()) == b"data: 1\n\n"
    interaction = load_cassette(path).interactions[0]
    assert (interaction.outcome, interaction.body) == ("client-disconnected", b"data: 1\n\n")


def test_closing_after_the_last_event_drains_the_end(
    tmp_path: Path, upstream: tuple[str, Upstream]
) -> None:
    url, _ = upstream
    path = tmp_path / "drained.jsonl"
    sent = list(SCRIPTS[("POST", THREAD_RUNS)].chunks)
    with (
        httpx.Client(transport=RecordingTransport(path)) as client,
        client.stream("POST", url + THREAD_RUNS) as response,
    ):
        for chunk, expected in zip(response.iter_raw(), sent, strict=False):
            assert chunk == expected
            if chunk.endswith(b"data: [DONE]\n\n"):
                break  # like the openai library: stop at [DONE], close before the end
    interaction = load_cassette(path).interactions[0]
    assert interaction.outcome == "complete"
    assert [c.data for c in interaction.chunks] == sent


def test_redaction_and_append(tmp_path: Path, upstream: tuple[str, Upstream]) -> None:
    url, app = upstream
    path = tmp_path / "secret.jsonl"
    secrets = ["sk-header-AAAA1111", "pk-portkey-BBBB2222", "cookie-CCCC3333", "q-DDDD4444",
               "body-EEEE5555"]  # fmt: skip
    redactor = Redactor(body_patterns=[r"body-[A-Z]{4}\d{4}"])
    headers = {
        "Authorization": f"Bearer {secrets[0]}",
        "x-portkey-api-key": secrets[1],
        "x-portkey-provider": "openai",
        "Cookie": f"session={secrets[2]}",
        "OpenAI-Beta": "assistants=v2",
    }
    for append in (False, True):
        with httpx.Client(
            transport=RecordingTransport(path, redactor=redactor, append=append)
        ) as c:
            c.post(
                url + THREAD_RUNS + f"?api_key={secrets[3]}&limit=2",
                headers=headers,
                json={"instructions": secrets[4], "assistant_id": "asst_1"},
            )
    data = path.read_bytes()
    for secret in secrets:
        assert secret.encode() not in data
        assert any(secret in r.body.decode() + str(r.headers) + r.query for r in app.requests)
    cassette = Cassette.load(path)
    assert len(cassette.interactions) == 2
    request = cassette.interactions[1].request
    assert (request.method, request.path) == ("POST", THREAD_RUNS)
    assert request.url.endswith("?api_key=REDACTED&limit=2")
    assert request.header("x-portkey-provider") == "openai"
    assert request.header("openai-beta") == "assistants=v2"
    assert request.body == b'{"instructions":"REDACTED","assistant_id":"asst_1"}'


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_base_url_with_a_path_replays_to_a_client_of_the_replay_server(
    tmp_path: Path, upstream: tuple[str, Upstream]
) -> None:
    """Issue 15.1: recorded through a base URL under a path, the cassette keeps the path the
    client asked of that base, so a client pointed at the replay server (or at an in-process
    replay transport on any host) gets the same bytes; one pointed at the upstream's URL too."""
    url, _ = upstream
    path = tmp_path / "gateway.jsonl"
    request = {"model": "gpt-5-mini", "messages": [{"role": "user", "content": "hi"}]}
    transport = RecordingTransport(path, base_url=url + PREFIX)
    with httpx2.Client(transport=transport) as http_client:  # type: ignore[arg-type]
        ai = openai.OpenAI(base_url=url + PREFIX + "/v1", api_key="sk-1", http_client=http_client)
        recorded = [chunk.to_json() for chunk in ai.chat.completions.create(**request, stream=True)]
    (interaction,) = load_cassette(path).interactions
    assert (interaction.request.url, interaction.request.client_path) == (url + PREFIX + CHAT, CHAT)
    assert interaction.body == CHAT_BODY

    def replay(base_url: str, http_client: httpx2.Client | None = None) -> tuple[list[str], bytes]:
        ai = openai.OpenAI(
            base_url=base_url, api_key="sk-2", max_retries=0, http_client=http_client
        )
        chunks = [chunk.to_json() for chunk in ai.chat.completions.create(**request, stream=True)]
        with ai.chat.completions.with_streaming_response.create(**request, stream=True) as raw:
            return chunks, b"".join(raw.iter_bytes())

    with BackgroundServer(ReplayServer(path, instant=True)) as server:
        assert replay(server.url + "/v1") == (recorded, CHAT_BODY)
    in_process = httpx2.Client(transport=ReplayTransport(path, instant=True))  # type: ignore[arg-type]
    assert replay("http://replay.invalid/v1", in_process) == (recorded, CHAT_BODY)
    assert replay(url + PREFIX + "/v1", in_process) == (recorded, CHAT_BODY)
