"""The recording core: redacted, record by record, outcomes from exceptions, thread-safe."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from recorder.cassette import Cassette, RecordedRequest
from recorder.record.recorder import CassetteRecorder, outcome_of
from recorder.record.redaction import Redactor

REQUEST = RecordedRequest(
    method="POST",
    url="https://api.example/v1/threads/runs?api_key=query-secret-1",
    headers=[("Authorization", "Bearer sk-header-secret"), ("OpenAI-Beta", "assistants=v2")],
    body=b'{"assistant_id": "asst_1"}',
)


def test_records_each_step_at_once(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    recorder = CassetteRecorder(path, profile="assistants")
    assert not path.exists()  # constructing never creates nor truncates
    recording = recorder.start(REQUEST)
    assert Cassette.load(path).interactions[0].outcome == "interrupted"
    recording.response(200, [("content-type", "text/event-stream"), ("set-cookie", "a=b")])
    recording.chunk(b"data: 1\n\n")
    partial = Cassette.load(path).interactions[0]
    assert partial.body == b"data: 1\n\n"  # on disk before the next chunk arrives
    recording.chunk(b"data: 2\n\n")
    recording.end("complete")
    recording.chunk(b"late")  # ignored after the end
    recording.end("error")  # only the first end counts
    recorder.close()
    cassette = Cassette.load(path)
    interaction = cassette.interactions[0]
    assert cassette.profile == "assistants"
    assert interaction.outcome == "complete"
    assert interaction.body == b"data: 1\n\ndata: 2\n\n"
    assert [c.t for c in interaction.chunks] == sorted(c.t for c in interaction.chunks)
    assert interaction.response is not None
    assert interaction.response.header("set-cookie") == "a=REDACTED"
    text = path.read_text()
    assert "sk-header-secret" not in text and "query-secret-1" not in text
    assert interaction.request.header("OpenAI-Beta") == "assistants=v2"
    assert interaction.request.body == REQUEST.body


def test_held_chunks_are_written_by_end(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    with CassetteRecorder(path, redactor=Redactor(body_patterns=["tok-[0-9]+"])) as recorder:
        recording = recorder.start(REQUEST)
        recording.response(200, [])
        recording.chunk(b"data: tok-")
        assert Cassette.load(path).interactions[0].chunks == []
        recording.chunk(b"123")
        recording.end("upstream-closed", "cut")
    interaction = Cassette.load(path).interactions[0]
    assert [c.data for c in interaction.chunks] == [b"data: REDACTED"]
    assert (interaction.outcome, interaction.outcome_detail) == ("upstream-closed", "cut")


def test_append_adds_an_interaction(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    for _ in range(2):
        with CassetteRecorder(path, append=True) as recorder:
            recording = recorder.start(REQUEST)
            recording.response(200, [])
            recording.end()
    assert len(Cassette.load(path).interactions) == 2


def test_concurrent_interactions_from_threads(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    recorder = CassetteRecorder(path)
    barrier = threading.Barrier(4)

    def one(number: int) -> None:
        recording = recorder.start(REQUEST)
        recording.response(200, [])
        barrier.wait()
        for index in range(50):
            recording.chunk(f"data: {number}-{index}\n\n".encode())
        recording.end()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recorder.close()
    interactions = Cassette.load(path).interactions
    assert len(interactions) == 4
    bodies = {i.body for i in interactions}
    expected = {b"".join(f"data: {n}-{i}\n\n".encode() for i in range(50)) for n in range(4)}
    assert bodies == expected


def _caused(error: BaseException, cause: BaseException) -> BaseException:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (httpx.ReadTimeout("timed out"), "timeout"),
        (httpx.ConnectTimeout("timed out"), "timeout"),
        (TimeoutError(), "timeout"),
        (
            httpx.RemoteProtocolError("peer closed connection without sending complete body"),
            "upstream-closed",
        ),
        (_caused(httpx.ReadError("x"), ConnectionResetError(104, "reset")), "upstream-reset"),
        (httpx.ReadError("[Errno 104] Connection reset by peer"), "upstream-reset"),
        (ConnectionResetError(), "upstream-reset"),
        (httpx.ConnectError("refused"), "error"),
        (ValueError("bad"), "error"),
        (KeyboardInterrupt(), "interrupted"),
    ],
)
def test_outcome_of(error: BaseException, outcome: str) -> None:
    found, detail = outcome_of(error)
    assert found == outcome
    assert detail.startswith(type(error).__name__)


def test_outcome_detail_is_redacted(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    redactor = Redactor(body_patterns=["tok-[0-9]+"])
    with CassetteRecorder(path, redactor=redactor) as recorder:
        recording = recorder.start(REQUEST)
        error = ValueError("Illegal header value b'Bearer sk-header-secret', tok-42")
        assert recording.fail(error) == "error"
    (interaction,) = Cassette.load(path).interactions
    assert (
        interaction.outcome_detail
        == "ValueError: Illegal header value b'Bearer REDACTED', REDACTED"
    )


@pytest.mark.parametrize(
    ("error", "detail"),
    [
        (TimeoutError(), "TimeoutError"),
        (ValueError("unexpected ':'"), "ValueError: unexpected ':'"),
        (ValueError("expected a value after:"), "ValueError: expected a value after:"),
    ],
)
def test_outcome_detail_keeps_the_message_whole(error: BaseException, detail: str) -> None:
    assert outcome_of(error)[1] == detail
