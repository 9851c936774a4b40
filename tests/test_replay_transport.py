"""In-process replay through httpx (sync, async) and httpx2, without sockets."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import httpx2
import pytest

from recorder.cassette import load_cassette
from recorder.errors import UsageError
from recorder.replay.transport import AsyncReplayTransport, ReplayTransport
from tests.conftest import CASSETTES
from tests.replay_streams import stream_cassette

TOOL_CALL = CASSETTES / "real" / "dotnet-tool-call-then-submit.jsonl"
URL = "https://api.openai.com/v1/threads/thread_1/runs"


def test_sync_streams_the_recorded_chunks_exactly() -> None:
    cassette = stream_cassette(split=29)
    recorded = [chunk.data for chunk in cassette.interactions[0].chunks]
    with (
        httpx.Client(transport=ReplayTransport(cassette, instant=True)) as client,
        client.stream("POST", URL) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert list(response.iter_raw()) == recorded


def test_async_streams_the_recorded_chunks_exactly() -> None:
    cassette = stream_cassette(split=29)
    recorded = [chunk.data for chunk in cassette.interactions[0].chunks]

    async def main() -> list[bytes]:
        transport = AsyncReplayTransport(cassette, instant=True)
        async with (
            httpx.AsyncClient(transport=transport) as client,
            client.stream("POST", URL) as response,
        ):
            return [chunk async for chunk in response.aiter_raw()]

    assert asyncio.run(main()) == recorded


@pytest.mark.parametrize("kind", ["str", "path", "directory", "list"])
def test_accepts_paths_directories_and_lists(kind: str, tmp_path: Path) -> None:
    saved = stream_cassette().save(tmp_path / "one.jsonl")
    source: object = {
        "str": str(saved),
        "path": saved,
        "directory": tmp_path,
        "list": [saved, TOOL_CALL],
    }[kind]
    transport = ReplayTransport(source, instant=True)  # type: ignore[arg-type]
    with httpx.Client(transport=transport) as client:
        assert client.post(URL).content == load_cassette(saved).interactions[0].body


def test_serves_a_run_then_its_continuation() -> None:
    cassette = load_cassette(TOOL_CALL)
    with httpx.Client(transport=ReplayTransport(TOOL_CALL, instant=True)) as client:
        first = client.post("https://api.openai.com/v1/threads/runs")
        second = client.post("https://x" + cassette.interactions[1].request.path)
    assert [first.content, second.content] == [i.body for i in cassette.interactions]


def test_no_match_is_a_404_with_the_explanation() -> None:
    with httpx.Client(transport=ReplayTransport(TOOL_CALL, instant=True)) as client:
        response = client.get("https://api.openai.com/v1/threads/runs")
    assert response.status_code == 404
    assert response.json()["closest"][0]["reasons"] == ['method: recorded "POST", got "GET"']


def test_faults_apply_in_process() -> None:
    transport = ReplayTransport(
        stream_cassette(), instant=True, faults="rechunk=3,truncate-after=2"
    )
    with httpx.Client(transport=transport) as client, client.stream("POST", URL) as response:
        chunks = list(response.iter_raw())
    assert {len(chunk) for chunk in chunks[:-1]} == {3}
    assert b"".join(chunks).count(b"event:") == 2


def test_a_dropped_connection_raises_like_a_real_one() -> None:
    transport = ReplayTransport(stream_cassette(gap=0.001), faults="disconnect-after-ms=2")
    with (
        httpx.Client(transport=transport) as client,
        client.stream("POST", URL) as response,
        pytest.raises(httpx.RemoteProtocolError, match="disconnect-after-ms=2"),
    ):
        response.read()


def test_async_dropped_connection_raises_too() -> None:
    async def main() -> None:
        cassette = stream_cassette(outcome="upstream-reset")
        transport = AsyncReplayTransport(cassette, instant=True)
        async with (
            httpx.AsyncClient(transport=transport) as client,
            client.stream("POST", URL) as response,
        ):
            await response.aread()

    with pytest.raises(httpx.RemoteProtocolError, match="recorded outcome upstream-reset"):
        asyncio.run(main())


def test_the_same_transport_serves_httpx2_clients() -> None:
    cassette = stream_cassette(split=29)
    recorded = [chunk.data for chunk in cassette.interactions[0].chunks]
    transport = ReplayTransport(cassette, instant=True)
    with (
        httpx2.Client(transport=transport) as client,  # type: ignore[arg-type]
        client.stream("POST", URL) as response,
    ):
        assert isinstance(response, httpx2.Response)
        assert list(response.iter_raw()) == recorded
    faulty = ReplayTransport(cassette, instant=True, faults="disconnect-after-ms=0")
    with (
        httpx2.Client(transport=faulty) as client,  # type: ignore[arg-type]
        pytest.raises(httpx2.RemoteProtocolError),
    ):
        client.post(URL)


def test_async_transport_serves_httpx2_clients() -> None:
    cassette = stream_cassette()

    async def main() -> bytes:
        transport = AsyncReplayTransport(cassette, instant=True)
        async with httpx2.AsyncClient(transport=transport) as client:  # type: ignore[arg-type]
            return (await client.post(URL)).content

    assert asyncio.run(main()) == cassette.interactions[0].body


def test_bad_arguments_fail_at_construction() -> None:
    with pytest.raises(UsageError, match="unknown fault"):
        ReplayTransport(TOOL_CALL, faults="explode")
    with pytest.raises(UsageError, match="bad match spec"):
        ReplayTransport(TOOL_CALL, matcher="host")
    with pytest.raises(UsageError, match="speed must be a positive number"):
        AsyncReplayTransport(TOOL_CALL, speed=-1)


def test_recording_through_the_replay_transport_gives_back_the_cassette(tmp_path: Path) -> None:
    from recorder.record.transport import RecordingTransport

    original = load_cassette(TOOL_CALL)
    replay = ReplayTransport(original, instant=True, faults="rechunk=100")
    target = tmp_path / "again.jsonl"
    with httpx.Client(transport=RecordingTransport(target, transport=replay)) as client:
        for interaction in original.interactions:
            client.post(interaction.request.url)
    again = load_cassette(target)
    for recorded, replayed in zip(original.interactions, again.interactions, strict=True):
        assert replayed.body == recorded.body
        assert [len(chunk.data) for chunk in replayed.chunks[:-1]] == [100] * (
            len(replayed.chunks) - 1
        )
