"""``sse-recorder serve`` as a user runs it: a subprocess that prints its URL first."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from recorder.cassette import load_cassette
from tests.conftest import CASSETTES, REPO
from tests.replay_streams import stream_cassette

TOOL_CALL = CASSETTES / "real" / "dotnet-tool-call-then-submit.jsonl"


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "recorder", "serve", *args]


@contextmanager
def running(*args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    process = subprocess.Popen(
        command(*args), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()  # printed once the socket is bound
        yield url, process
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_prints_the_url_first_and_serves_byte_for_byte() -> None:
    cassette = load_cassette(TOOL_CALL)
    with running(str(TOOL_CALL), "--port", "0", "--instant") as (url, _):
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
        with httpx.Client(base_url=url) as client:
            first = client.post("/v1/threads/runs")
            second = client.post(cassette.interactions[1].request.path)
            missing = client.get("/v1/models")
    assert first.content == cassette.interactions[0].body
    assert second.content == cassette.interactions[1].body
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "no_match"


def test_directory_fault_and_match_options(tmp_path: Path) -> None:
    stream_cassette(request_body=b'{"assistant_id":"asst_1"}').save(tmp_path / "a.jsonl")
    args = (str(tmp_path), "--speed", "50", "--fault", "drop-done;rechunk=2")
    with running(*args, "--match", "method,path,body:assistant_id") as (url, _):
        response = httpx.post(url + "/v1/threads/thread_1/runs", json={"assistant_id": "asst_1"})
    assert response.status_code == 200
    assert b"[DONE]" not in response.content and response.content.count(b"event:") == 5


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--fault", "explode"], "unknown fault 'explode'"),
        (["--fault", "swap@1"], "swap needs two events"),
        (["--fault", "truncate-after=999"], "truncate-after=999 would do nothing"),
        (["--fault", "disconnect-after-ms=5", "--instant"], "--instant replays the whole"),
        (["--match", "host"], "bad match spec"),
        (["--speed", "0"], "must be a positive number"),
        (["--speed", "fast"], "not a number"),
        (["--speed", "2", "--instant"], "not allowed with argument"),
        (["--port", "http"], "not a port number"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: list[str], says: str) -> None:
    result = subprocess.run(
        command(str(TOOL_CALL), *args), cwd=REPO, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert says in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1


@pytest.mark.parametrize("kind", ["missing", "empty-directory", "corrupt"])
def test_bad_paths_exit_2_with_one_line(kind: str, tmp_path: Path) -> None:
    target = {
        "missing": tmp_path / "nope.jsonl",
        "empty-directory": tmp_path,
        "corrupt": tmp_path / "bad.jsonl",
    }[kind]
    if kind == "corrupt":
        target.write_text(
            '{"kind":"cassette","format":"sse-recorder-cassette","version":1}\n{oops\n'
        )
    result = subprocess.run(command(str(target)), capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("sse-recorder serve: error: ")
