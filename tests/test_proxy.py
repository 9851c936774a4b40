"""The recording reverse proxy, between real clients and a real upstream on 127.0.0.1."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from recorder.cassette import Cassette, Interaction, load_cassette
from recorder.cli import main
from recorder.net.serving import BackgroundServer
from recorder.record.proxy import SERVER_OPTIONS, RecordingProxy, cassette_name
from recorder.record.redaction import Redactor
from recorder.replay.plan import plan
from recorder.replay.server import ReplayServer
from tests.conftest import CASSETTES, REPO, shared_path
from tests.upstream import Script, Upstream, module_upstream, reset_server, split_events

RUN = CASSETTES / "real" / "dotnet-streaming-run.jsonl"
RUNS = "/v1/threads/thread_abc123DEF456/runs"
GZIPPED = gzip.compress(b'{"object": "list", "data": []}')
#: An upstream mounted under a path, as behind Cloudflare AI Gateway or a LiteLLM prefix.
PREFIX = "/some/prefix"
CHAT = "/v1/chat/completions"
CHAT_BODY = shared_path(
    "real-streams", "chat", "fantasy-TestAzureCommon-azure-gpt-5-mini-simple-streaming.sse"
).read_bytes()
EVENTS = [f"data: {n}\n\n".encode() for n in range(8)]

SCRIPTS = {
    ("POST", RUNS): Script.from_cassette(RUN, gap=0.005),
    ("GET", RUNS): Script.json({"object": "list", "data": [], "has_more": False}),
    ("GET", "/gzip"): Script(
        [GZIPPED[:10], GZIPPED[10:]],
        headers=[("content-type", "application/json"), ("content-encoding", "gzip")],
    ),
    ("GET", "/hang-up"): Script([b"data: 1\n\n", b"data: 2\n\n"], end="hang-up"),
    ("GET", "/hold"): Script([b"data: 1\n\n"], end="hold"),
    ("POST", PREFIX + CHAT): Script(split_events(CHAT_BODY), gap=0.002),
    # waits for ``upstream.gate`` after its first chunk (the client has left by then)
    ("GET", "/gated"): Script([b"data: 1\n\n", b"data: 2\n\n"], gate_after=1),
    ("GET", "/gated-long"): Script([b"data: 1\n\n", *[b"x" * 1000] * 8], gate_after=1, gap=0),
    ("GET", "/events"): Script(EVENTS, gap=0.02),
}


upstream = module_upstream(SCRIPTS)


def serve_proxy(upstream_url: str, directory: Path, **options: object) -> BackgroundServer:
    return BackgroundServer(RecordingProxy(upstream_url, directory, **options), **SERVER_OPTIONS)  # type: ignore[arg-type]


def only(directory: Path) -> tuple[str, Interaction]:
    (name,) = os.listdir(directory)
    (interaction,) = load_cassette(directory / name).interactions
    return name, interaction


def wait_for_end(path: Path, timeout: float = 10.0) -> Interaction:
    """Poll (with a deadline) until the proxy has written the interaction's end."""
    deadline = time.monotonic() + timeout
    while True:
        interaction = load_cassette(path).interactions[0]
        if interaction.outcome != "interrupted" or time.monotonic() > deadline:
            return interaction
        time.sleep(0.005)


@pytest.mark.parametrize(
    ("method", "path", "name"),
    [
        ("POST", "/v1/threads/runs", "0001-POST-threads-runs.jsonl"),
        ("POST", f"{RUNS}/run_abc123/submit_tool_outputs",
         "0001-POST-threads-runs-submit_tool_outputs.jsonl"),
        ("get", "/v1/threads/thread_Wq2ScOs1iInUsyhUUDmN5NZH/runs", "0001-GET-threads-runs.jsonl"),
        ("GET", "/", "0001-GET-root.jsonl"),
        ("GET", "/a b/c?d", "0001-GET-a_b-c_d.jsonl"),
    ],
)  # fmt: skip
def test_cassette_name(method: str, path: str, name: str) -> None:
    assert cassette_name(1, method, path) == name


def test_streams_every_chunk_and_records_it(tmp_path: Path, upstream: tuple[str, Upstream]) -> None:
    url, app = upstream
    with serve_proxy(url, tmp_path) as proxy, httpx.Client() as client:
        with client.stream("POST", proxy.url + RUNS, json={"assistant_id": "a"}) as response:
            received = list(response.iter_raw())
            assert response.headers["content-type"].startswith("text/event-stream")
        listed = client.get(proxy.url + RUNS)
    sent = list(SCRIPTS[("POST", RUNS)].chunks)
    assert received == sent
    names = sorted(os.listdir(tmp_path))
    assert names == ["0001-POST-threads-runs.jsonl", "0002-GET-threads-runs.jsonl"]
    streamed = load_cassette(tmp_path / names[0]).interactions[0]
    assert [c.data for c in streamed.chunks] == sent
    assert streamed.outcome == "complete"
    assert streamed.request.url == url + RUNS
    assert streamed.request.body == b'{"assistant_id":"a"}'
    plain = load_cassette(tmp_path / names[1]).interactions[0]
    assert plain.response is not None and plain.response.status == 200
    assert json.loads(plain.body) == listed.json()
    assert app.requests[-1].header("accept-encoding") == "identity"


def test_never_overwrites(tmp_path: Path, upstream: tuple[str, Upstream]) -> None:
    url, _ = upstream
    (tmp_path / "0007-GET-older.jsonl").write_text("kept")
    with serve_proxy(url, tmp_path) as proxy, httpx.Client() as client:
        client.get(proxy.url + RUNS)
    assert sorted(os.listdir(tmp_path)) == ["0007-GET-older.jsonl", "0008-GET-threads-runs.jsonl"]
    assert (tmp_path / "0007-GET-older.jsonl").read_text() == "kept"


def test_concurrent_clients(tmp_path: Path, upstream: tuple[str, Upstream]) -> None:
    url, _ = upstream
    results: dict[int, bytes] = {}
    with serve_proxy(url, tmp_path) as proxy:

        def one(number: int) -> None:
            with httpx.Client() as client:
                results[number] = client.post(proxy.url + RUNS, json={"n": number}).content

        threads = [threading.Thread(target=one, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    body = b"".join(SCRIPTS[("POST", RUNS)].chunks)
    assert list(results.values()) == [body] * 4
    cassettes = [load_cassette(tmp_path / name) for name in sorted(os.listdir(tmp_path))]
    assert len(cassettes) == 4
    assert {json.loads(c.interactions[0].request.body)["n"] for c in cassettes} == {0, 1, 2, 3}
    assert all(c.interactions[0].body == body for c in cassettes)


def test_hop_by_hop_headers_and_raw_encoded_bytes(
    tmp_path: Path, upstream: tuple[str, Upstream]
) -> None:
    url, app = upstream
    with serve_proxy(url, tmp_path) as proxy, httpx.Client() as client:
        headers = {"Connection": "keep-alive, x-hop", "X-Hop": "1", "X-Kept": "2"}
        with client.stream("GET", proxy.url + "/gzip", headers=headers) as response:
            raw = b"".join(response.iter_raw())
    seen = app.requests[-1]
    assert seen.header("x-hop") is None and seen.header("x-kept") == "2"
    assert raw == GZIPPED  # the upstream ignored identity: raw bytes forwarded untouched
    _, interaction = only(tmp_path)
    assert interaction.body == GZIPPED
    assert interaction.response is not None
    assert interaction.response.header("content-encoding") == "gzip"


def test_header_bytes_beyond_ascii_pass_through(
    tmp_path: Path, upstream: tuple[str, Upstream]
) -> None:
    # HTTP allows obs-text (bytes 0x80-0xFF) in header values; a client sending UTF-8 there
    # must reach the upstream byte for byte, not crash the proxy.
    url, app = upstream
    title = "Café ✓".encode()
    with serve_proxy(url, tmp_path) as proxy, httpx.Client() as client:
        response = client.get(proxy.url + RUNS, headers={b"X-Title": title})
    assert response.status_code == 200
    assert app.requests[-1].header("x-title") == title.decode("latin-1")
    _, interaction = only(tmp_path)
    assert interaction.request.header("x-title") == title.decode("latin-1")


def test_client_leaving_a_stream_that_never_ends(
    tmp_path: Path, upstream: tuple[str, Upstream]
) -> None:
    """The upstream is read on after the client leaves, but only for ``drain_timeout``."""
    url, app = upstream
    app.disconnected.clear()
    with serve_proxy(url, tmp_path, drain_timeout=0.2) as proxy:
        with httpx.Client() as client, client.stream("GET", proxy.url + "/hold") as response:
            assert next(response.iter_raw()) == b"data: 1\n\n"
        assert app.disconnected.wait(10), "the upstream request was not closed"
        (name,) = os.listdir(tmp_path)
        interaction = wait_for_end(tmp_path / name)
    assert interaction.outcome == "client-disconnected"
    assert interaction.outcome_detail is not None and "within 0.2 s" in interaction.outcome_detail
    assert interaction.client_left_at is not None
    assert interaction.body == b"data: 1\n\n"


def test_client_leaving_before_the_upstream_ends_records_the_whole_stream(
    tmp_path: Path, upstream: tuple[str, Upstream]
) -> None:
    """Issue 14.1: the client's departure is a fact apart; the stream ends as the upstream
    ended it, and replay ends it normally."""
    url, app = upstream
    app.gate.clear()
    with serve_proxy(url, tmp_path) as proxy:
        with httpx.Client() as client, client.stream("GET", proxy.url + "/gated") as response:
            assert next(response.iter_raw()) == b"data: 1\n\n"
        (name,) = os.listdir(tmp_path)
        time.sleep(0.2)  # not a readiness wait: lets the proxy see the client go before the end
        app.gate.set()
        interaction = wait_for_end(tmp_path / name)
    assert interaction.outcome == "complete"
    assert interaction.body == b"data: 1\n\ndata: 2\n\n"
    assert interaction.client_left_at is not None
    assert interaction.ended_at is not None and interaction.client_left_at <= interaction.ended_at
    assert plan(interaction).ending == "complete"


def test_client_leaving_a_stream_that_goes_on_too_long(
    tmp_path: Path, upstream: tuple[str, Upstream]
) -> None:
    url, app = upstream
    app.gate.clear()
    with serve_proxy(url, tmp_path, drain_limit=2500) as proxy:
        with httpx.Client() as client, client.stream("GET", proxy.url + "/gated-long") as response:
            assert next(response.iter_raw()) == b"data: 1\n\n"
        (name,) = os.listdir(tmp_path)
        time.sleep(0.2)  # not a readiness wait: lets the proxy see the client go before the end
        app.gate.set()
        interaction = wait_for_end(tmp_path / name)
    assert interaction.outcome == "client-disconnected"
    assert interaction.outcome_detail is not None and "2500 bytes" in interaction.outcome_detail
    assert 2500 < len(interaction.body) < 9000


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_openai_through_a_gateway_path_records_complete_and_replays_byte_for_byte(
    tmp_path: Path, upstream: tuple[str, Upstream]
) -> None:
    """Issues 15.1 and 14.1: the official library through the proxy to an upstream under a
    path (it hangs up right after ``[DONE]``); every cassette ends ``complete`` and keeps
    both paths; the replay server answers the same client with the same bytes."""
    import openai

    url, _ = upstream
    runs = 5
    request = {"model": "gpt-5-mini", "messages": [{"role": "user", "content": "hi"}]}
    with serve_proxy(url + PREFIX, tmp_path) as proxy:
        ai = openai.OpenAI(base_url=proxy.url + "/v1", api_key="sk-test-key-1", max_retries=0)
        recorded = [
            [chunk.to_json() for chunk in ai.chat.completions.create(**request, stream=True)]
            for _ in range(runs)
        ]
        for name in os.listdir(tmp_path):
            wait_for_end(tmp_path / name)
    cassettes = [load_cassette(tmp_path / name) for name in sorted(os.listdir(tmp_path))]
    assert len(cassettes) == runs
    for cassette in cassettes:
        (interaction,) = cassette.interactions
        assert interaction.outcome == "complete", interaction.outcome_detail
        assert interaction.body == CHAT_BODY
        assert interaction.request.url == url + PREFIX + CHAT
        assert interaction.request.client_path == CHAT
    with BackgroundServer(ReplayServer(tmp_path, instant=True)) as server:
        ai = openai.OpenAI(base_url=server.url + "/v1", api_key="sk-other", max_retries=0)
        replayed = [chunk.to_json() for chunk in ai.chat.completions.create(**request, stream=True)]
        with ai.chat.completions.with_streaming_response.create(**request, stream=True) as raw:
            body = b"".join(raw.iter_bytes())
    assert replayed == recorded[0]
    assert body == CHAT_BODY
    # An old cassette (no client_path) of the same upstream still replays to the upstream path.
    old = cassettes[0].interactions[0]
    old.request = old.request.model_copy(update={"client_path": None})
    with BackgroundServer(ReplayServer(cassettes[0], instant=True)) as server:
        response = httpx.post(server.url + PREFIX + CHAT, json=request)
    assert response.content == CHAT_BODY


def test_upstream_hang_up_reaches_the_client(
    tmp_path: Path, upstream: tuple[str, Upstream]
) -> None:
    url, _ = upstream
    with serve_proxy(url, tmp_path) as proxy, httpx.Client() as client:
        received: list[bytes] = []
        with pytest.raises(httpx.RemoteProtocolError):  # noqa: SIM117 - the raise is inside
            with client.stream("GET", proxy.url + "/hang-up") as response:
                for chunk in response.iter_raw():
                    received.append(chunk)
    _, interaction = only(tmp_path)
    assert b"".join(received) == interaction.body == b"data: 1\n\ndata: 2\n\n"
    assert interaction.outcome == "upstream-closed"


def test_upstream_unreachable_is_a_502(tmp_path: Path) -> None:
    with reset_server(b"", b"") as dead:
        pass
    with serve_proxy(dead, tmp_path) as proxy, httpx.Client() as client:
        response = client.get(proxy.url + "/v1/threads/runs")
    assert response.status_code == 502
    assert "upstream failed" in response.text
    _, interaction = only(tmp_path)
    assert interaction.response is None and interaction.outcome == "error"


def test_stopping_the_proxy_closes_its_upstream_connections(tmp_path: Path) -> None:
    # The pooled upstream client must be closed with the server (ASGI lifespan shutdown),
    # not left holding keep-alive sockets on a loop that no longer runs.
    listener = socket.create_server(("127.0.0.1", 0))
    closed = threading.Event()

    def upstream() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.settimeout(10)
            request = b""
            while b"\r\n\r\n" not in request:
                request += connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            with contextlib.suppress(OSError):
                if connection.recv(1) == b"":  # the proxy closed its pooled connection
                    closed.set()

    thread = threading.Thread(target=upstream, daemon=True)
    thread.start()
    try:
        host, port = listener.getsockname()
        with serve_proxy(f"http://{host}:{port}", tmp_path) as proxy:
            assert httpx.get(proxy.url + "/v1/models").text == "ok"
        assert closed.wait(5)
    finally:
        listener.close()
        thread.join(10)


def test_upstream_silent_is_a_504(tmp_path: Path) -> None:
    never = threading.Event()
    with (
        reset_server(b"", b"", never) as silent,
        serve_proxy(silent, tmp_path, timeout=0.2) as proxy,
        httpx.Client() as client,
    ):
        response = client.get(proxy.url + "/x")
        never.set()
    assert response.status_code == 504
    _, interaction = only(tmp_path)
    assert interaction.outcome == "timeout"


SECRETS = ["sk-header-AAAA1111", "pk-portkey-BBBB2222", "vk-virtual-CCCC3333",
           "cookie-DDDD4444", "q-EEEE5555", "body-FFFF6666", "tenant-GGGG7777"]  # fmt: skip


def test_redaction_and_portkey_headers(tmp_path: Path, upstream: tuple[str, Upstream]) -> None:
    url, app = upstream
    redactor = Redactor(extra_headers=["x-tenant"], body_patterns=[r"body-[A-Z]{4}\d{4}"])
    headers = {
        "Authorization": f"Bearer {SECRETS[0]}",
        "x-portkey-api-key": SECRETS[1],
        "x-portkey-virtual-key": SECRETS[2],
        "x-portkey-provider": "openai",
        "Cookie": f"session={SECRETS[3]}",
        "OpenAI-Beta": "assistants=v2",
        "x-tenant": SECRETS[6],
    }
    with serve_proxy(url, tmp_path, redactor=redactor) as proxy, httpx.Client() as client:
        response = client.post(
            proxy.url + RUNS + f"?api_key={SECRETS[4]}",
            headers=headers,
            json={"instructions": SECRETS[5], "assistant_id": "asst_1"},
        )
    assert response.status_code == 200
    seen = app.requests[-1]
    assert seen.header("x-portkey-api-key") == SECRETS[1]  # forwarded untouched
    name, interaction = only(tmp_path)
    data = (tmp_path / name).read_bytes()
    assert not [secret for secret in SECRETS if secret.encode() in data]
    request = interaction.request
    assert (request.method, request.path) == ("POST", RUNS)
    assert request.header("x-portkey-provider") == "openai"
    assert request.header("openai-beta") == "assistants=v2"
    assert request.header("x-portkey-api-key") == "REDACTED"
    assert json.loads(request.body) == {"instructions": "REDACTED", "assistant_id": "asst_1"}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_portkey_library_through_the_proxy(tmp_path: Path, upstream: tuple[str, Upstream]) -> None:
    from portkey_ai import Portkey

    url, app = upstream
    with serve_proxy(url, tmp_path) as proxy:
        portkey = Portkey(api_key=SECRETS[1], base_url=proxy.url + "/v1", virtual_key=SECRETS[2])
        stream = portkey.beta.threads.runs.create(
            thread_id="thread_abc123DEF456", assistant_id="asst_1", stream=True
        )
        items = list(stream)
    assert items[0] == "event: thread.run.created"
    name, interaction = only(tmp_path)
    assert interaction.body == b"".join(SCRIPTS[("POST", RUNS)].chunks)
    data = (tmp_path / name).read_bytes()
    assert SECRETS[1].encode() not in data and SECRETS[2].encode() not in data
    assert app.requests[-1].header("x-portkey-virtual-key") == SECRETS[2]
    request = interaction.request
    assert request.header("x-portkey-virtual-key") == "REDACTED"
    assert request.header("openai-beta") == "assistants=v2"
    assert request.header("x-portkey-runtime") is not None


def test_proxy_command(tmp_path: Path, upstream: tuple[str, Upstream]) -> None:
    url, _ = upstream
    command = [sys.executable, "-m", "recorder", "proxy", "--upstream", url, "--port", "0",
               "-o", str(tmp_path / "out"), "--header-redact", "X-Tenant"]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        proxy_url = process.stdout.readline().strip()
        assert proxy_url.startswith("http://127.0.0.1:")
        response = httpx.post(proxy_url + RUNS, headers={"X-Tenant": "tenant-secret-1"}, json={})
        assert response.content == b"".join(SCRIPTS[("POST", RUNS)].chunks)
    finally:
        process.terminate()
        process.wait(10)
    name, interaction = only(tmp_path / "out")
    assert name == "0001-POST-threads-runs.jsonl"
    assert interaction.request.header("x-tenant") == "REDACTED"
    assert Cassette.load(tmp_path / "out" / name).interactions[0].outcome == "complete"


def test_a_killed_proxy_has_recorded_what_the_client_received(
    tmp_path: Path, upstream: tuple[str, Upstream]
) -> None:
    """Issue 14.2: each chunk is on disk before it is forwarded, and the cassette exists
    before the client's first byte: SIGKILL right after the client got event N, then N is
    in the cassette."""
    url, _ = upstream
    for kill_after in range(4):
        out = tmp_path / f"kill-{kill_after}"
        command = [sys.executable, "-m", "recorder", "proxy", "--upstream", url, "-o", str(out)]
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
        try:
            assert process.stdout is not None
            proxy_url = process.stdout.readline().strip()
            with httpx.Client() as client, client.stream("GET", proxy_url + "/events") as response:
                assert len(os.listdir(out)) == 1  # the cassette exists before the first byte
                chunks = response.iter_raw()
                received = [next(chunks) for _ in range(kill_after + 1)]
                process.kill()
        finally:
            process.kill()
            process.wait(10)
        assert received == EVENTS[: kill_after + 1]
        (name,) = os.listdir(out)
        kept = load_cassette(out / name).interactions[0].body
        assert kept.startswith(b"".join(received)), (kill_after, kept)


@pytest.mark.parametrize("case", ["file-as-parent", "symlink-loop", "no-permission"])
def test_proxy_refuses_to_start_without_its_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    """Issue 14.3: an output directory that cannot be made is one line and exit 2, before
    serving (it was found only at the first request, answered with a cut-off 200)."""
    if case == "file-as-parent":
        (tmp_path / "file").write_text("x")
        output = tmp_path / "file" / "cassettes"
    elif case == "symlink-loop":
        (tmp_path / "loop").symlink_to(tmp_path / "loop")
        output = tmp_path / "loop"
    elif os.geteuid() == 0:  # root writes anywhere a permission bit forbids: not in /sys
        output = Path("/sys/sse-recorder-test")
        if not Path("/sys").is_dir():
            pytest.skip("needs /sys (running as root: permission bits do not stop it)")
    else:
        (tmp_path / "locked").mkdir(mode=0o500)
        output = tmp_path / "locked" / "cassettes"
    assert main(["proxy", "--upstream", "http://127.0.0.1:9", "-o", str(output)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(output) in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--upstream", "ftp://x", "-o", "d"], "--upstream must be an http(s) URL"),
        (["--upstream", "http://x", "-o", "d", "--port", "70000"], "--port must be"),
        (["--upstream", "http://x", "-o", "d", "--body-redact", "("], "--body-redact"),
        (["--upstream", "http://x", "-o", "d", "--timeout", "0"], "--timeout must be positive"),
        (["--upstream", "http://x", "-o", "d", "--timeout", "nan"], "--timeout must be positive"),
        # a file where the cassettes' directory should be: found before serving, not per request
        (["--upstream", "http://x", "-o", __file__], "is not a directory"),
    ],
)
def test_proxy_command_errors(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["proxy", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
