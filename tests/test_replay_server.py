"""The replay server over a real socket: exact bytes and chunks, headers, order, faults,
no-match answers, many clients at once, and clients that hang up."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from recorder.cassette import Cassette, load_cassette
from recorder.net.serving import BackgroundServer
from recorder.replay.server import ReplayServer
from tests.conftest import CASSETTES
from tests.replay_streams import json_interaction, raw_request, run_events, stream_cassette

FRAMING = {("transfer-encoding", "chunked"), ("connection", "close")}
TOOL_CALL = CASSETTES / "real" / "dotnet-tool-call-then-submit.jsonl"


def serve(app: ReplayServer) -> BackgroundServer:
    return BackgroundServer(app, server_header=False, date_header=False)


@pytest.fixture
def chunked(tmp_path: Path) -> Path:
    """A cassette whose body was recorded in odd pieces (splitting lines and events)."""
    path = tmp_path / "chunked.jsonl"
    stream_cassette(split=37).save(path)
    return path


@pytest.fixture
def server(chunked: Path) -> Iterator[BackgroundServer]:
    with serve(ReplayServer([chunked, TOOL_CALL], instant=True)) as running:
        yield running


def test_one_http_chunk_per_recorded_chunk_byte_for_byte(
    server: BackgroundServer, chunked: Path
) -> None:
    recorded = load_cassette(chunked).interactions[0]
    raw = raw_request(server.url + "/v1/threads/thread_1/runs")
    assert raw.status == 200 and raw.complete
    assert raw.chunks == [chunk.data for chunk in recorded.chunks]


def test_recorded_headers_are_replayed_minus_hop_by_hop(tmp_path: Path) -> None:
    headers = [
        ("content-type", "text/event-stream"),
        ("openai-processing-ms", "42"),
        ("x-request-id", "req_1"),
        ("Connection", "keep-alive"),
        ("Transfer-Encoding", "chunked"),
        ("Content-Length", "999"),
        ("Keep-Alive", "timeout=5"),
    ]
    stream_cassette(headers=headers).save(tmp_path / "h.jsonl")
    with serve(ReplayServer(tmp_path, instant=True)) as running:
        raw = raw_request(running.url + "/v1/threads/thread_1/runs")
    # The server's own framing (our raw client asked for Connection: close) aside:
    kept = [(n, v) for n, v in raw.headers if (n, v) not in FRAMING]
    assert kept == [
        ("content-type", "text/event-stream"),
        ("openai-processing-ms", "42"),
        ("x-request-id", "req_1"),
    ]
    assert ("connection", "keep-alive") not in raw.headers


def test_interactions_are_served_in_recorded_order(server: BackgroundServer) -> None:
    cassette = load_cassette(TOOL_CALL)
    with httpx.Client(base_url=server.url) as client:
        first = client.post("/v1/threads/runs", json={"assistant_id": "asst"})
        second = client.post(cassette.interactions[1].request.path, json={"tool_outputs": []})
    assert first.content == cassette.interactions[0].body
    assert second.content == cassette.interactions[1].body


def test_json_interactions_are_served(tmp_path: Path) -> None:
    url = "https://api.openai.com/v1/threads/thread_1/runs/run_1/cancel"
    interaction = json_interaction(url, {"id": "run_1", "status": "cancelling"}, method="POST")
    Cassette(interactions=[interaction]).save(tmp_path / "cancel.jsonl")
    with serve(ReplayServer(tmp_path / "cancel.jsonl")) as running:
        response = httpx.post(running.url + "/v1/threads/thread_1/runs/run_1/cancel")
    assert response.status_code == 200
    assert response.json() == {"id": "run_1", "status": "cancelling"}


def test_no_match_is_a_404_json_body_naming_the_closest(server: BackgroundServer) -> None:
    response = httpx.get(server.url + "/v1/threads/runs")
    assert response.status_code == 404
    body = response.json()
    assert body["error"]["code"] == "no_match"
    assert body["closest"][0]["reasons"] == ['method: recorded "POST", got "GET"']


@pytest.mark.parametrize(
    "path", ["/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd"]
)
def test_no_request_reads_outside_the_given_paths(server: BackgroundServer, path: str) -> None:
    raw = raw_request(server.url + path, method="GET", body=b"")
    assert raw.status in (404, 400)
    assert b"root:" not in raw.body


def test_match_spec_applies(tmp_path: Path) -> None:
    stream_cassette(request_body=b'{"assistant_id":"asst_1"}').save(tmp_path / "a.jsonl")
    app = ReplayServer(tmp_path, instant=True, matcher="method,path,body:assistant_id")
    with serve(app) as running, httpx.Client(base_url=running.url) as client:
        assert (
            client.post("/v1/threads/thread_1/runs", json={"assistant_id": "asst_1"}).status_code
            == 200
        )
        miss = client.post("/v1/threads/thread_1/runs", json={"assistant_id": "asst_2"})
    assert miss.status_code == 404
    assert miss.json()["closest"][0]["reasons"] == [
        'body:assistant_id: recorded "asst_1", got "asst_2"'
    ]


def test_faults_reach_the_wire(chunked: Path) -> None:
    with serve(ReplayServer(chunked, instant=True, faults="rechunk=1,drop-done")) as running:
        raw = raw_request(running.url + "/v1/threads/thread_1/runs")
    assert raw.complete and {len(chunk) for chunk in raw.chunks} == {1}
    assert b"[DONE]" not in raw.body


def test_disconnect_fault_drops_the_connection_mid_body(tmp_path: Path) -> None:
    stream_cassette(gap=0.01).save(tmp_path / "timed.jsonl")
    app = ReplayServer(tmp_path, speed=1, faults="disconnect-after-ms=25")
    with serve(app) as running:
        raw = raw_request(running.url + "/v1/threads/thread_1/runs")
        assert not raw.complete and raw.body.startswith(b"event: thread.message.delta")
        with (
            httpx.Client() as client,
            pytest.raises(httpx.RemoteProtocolError),
            client.stream("POST", running.url + "/v1/threads/thread_1/runs") as response,
        ):
            response.read()


def test_recorded_reset_is_replayed_as_a_reset(tmp_path: Path) -> None:
    stream_cassette(outcome="upstream-reset").save(tmp_path / "reset.jsonl")
    with serve(ReplayServer(tmp_path, instant=True)) as running:
        raw = raw_request(running.url + "/v1/threads/thread_1/runs")
    assert not raw.complete and raw.body == stream_cassette().interactions[0].body


def test_many_clients_at_once_get_identical_bodies(server: BackgroundServer, chunked: Path) -> None:
    expected = load_cassette(chunked).interactions[0].body
    bodies: list[bytes] = []
    errors: list[BaseException] = []

    def fetch() -> None:
        try:
            with httpx.Client() as client:
                bodies.append(client.post(server.url + "/v1/threads/thread_1/runs").content)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=fetch) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and bodies == [expected] * 24


def test_a_client_hanging_up_mid_stream_disturbs_no_other(tmp_path: Path) -> None:
    stream_cassette(run_events(20), gap=0.01).save(tmp_path / "slow.jsonl")
    expected = load_cassette(tmp_path / "slow.jsonl").interactions[0].body
    with serve(ReplayServer(tmp_path)) as running:
        url = running.url + "/v1/threads/thread_1/runs"
        with httpx.Client() as steady, steady.stream("POST", url) as kept:
            with httpx.Client() as quitter, quitter.stream("POST", url) as dropped:
                first = next(dropped.iter_raw())
                assert first.startswith(b"event:")
            # The quitter is gone mid-stream; the other stream goes on to the end.
            assert kept.read() == expected
        # And the server still answers new clients.
        assert httpx.post(url).content == expected


def test_bad_cassette_path_fails_at_startup(tmp_path: Path) -> None:
    from recorder.errors import CassetteNotFoundError, UsageError

    with pytest.raises(CassetteNotFoundError):
        ReplayServer(tmp_path / "missing.jsonl")
    with pytest.raises(UsageError, match="no cassettes"):
        ReplayServer(tmp_path)


def test_error_event_fault_payload_is_json(chunked: Path) -> None:
    with serve(ReplayServer(chunked, instant=True, faults="error-event@1")) as running:
        body = httpx.post(running.url + "/v1/threads/thread_1/runs").content
    last = body.split(b"\n\n")[-2]
    assert last.startswith(b"event: error\ndata: ")
    assert json.loads(last.split(b"data: ", 1)[1])["type"] == "server_error"


def test_recording_the_replay_gives_back_the_same_bytes_and_chunks(tmp_path: Path) -> None:
    from recorder.record.transport import RecordingTransport

    # Chunks 80 ms apart, so each one arrives in its own read on the client's side.
    original = stream_cassette(run_events(4), gap=0.08, split=90)
    original.save(tmp_path / "original.jsonl")
    with serve(ReplayServer(tmp_path / "original.jsonl")) as running:
        transport = RecordingTransport(tmp_path / "again.jsonl")
        with (
            httpx.Client(transport=transport) as client,
            client.stream("POST", running.url + "/v1/threads/thread_1/runs") as response,
        ):
            response.read()
    again = load_cassette(tmp_path / "again.jsonl").interactions[0]
    recorded = original.interactions[0]
    assert again.outcome == "complete"
    assert again.body == recorded.body
    assert [chunk.data for chunk in again.chunks] == [chunk.data for chunk in recorded.chunks]


def test_the_404_repeats_no_key_of_the_request(chunked: Path) -> None:
    """Issue 14.4: key-like query values and body fields are redacted in the explanation
    (the reasons of a matcher on query and body quoted them)."""
    secrets = ["sk-proj-FAKEquery0123456789abcd", "sk-ant-api03-FAKEbody0123456789ab"]
    app = ReplayServer(chunked, instant=True, matcher="method,path,query,body:api_key")
    with serve(app) as running, httpx.Client() as client:
        response = client.post(
            running.url + f"/v1/unknown?api_key={secrets[0]}",
            json={"api_key": secrets[1], "model": "m"},
        )
    assert response.status_code == 404
    assert [secret for secret in secrets if secret in response.text] == []
    assert "api_key=REDACTED" in response.json()["error"]["message"]
