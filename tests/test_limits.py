"""Bounds on what a client may send the replay server (issue 14.5): header size, header time,
body size; each refusal is one line to the client and one on the server's log."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from recorder.net.limits import BoundedHttpProtocol
from recorder.net.serving import BackgroundServer
from recorder.replay.server import ReplayServer
from tests.conftest import CASSETTES, REPO

TOOL_CALL = CASSETTES / "real" / "dotnet-tool-call-then-submit.jsonl"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    app = ReplayServer(TOOL_CALL, instant=True, max_body_bytes=1000)
    protocol = BoundedHttpProtocol.with_limits(max_header_bytes=2000, header_timeout=0.3)
    with BackgroundServer(app, http=protocol) as running:
        yield running.url


def exchange(url: str, data: bytes) -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes it."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(data)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_headers_over_the_limit_are_a_431(server: str) -> None:
    big = b"x-big: " + b"a" * 3000 + b"\r\n"
    answer = exchange(server, b"POST /v1/threads/runs HTTP/1.1\r\nhost: x\r\n" + big + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert answer.endswith(b"\r\n\r\nsse-recorder: request headers over 2000 bytes\n")
    assert httpx.post(server + "/v1/threads/runs").status_code == 200  # others are served


def test_half_sent_headers_time_out_with_a_408(server: str) -> None:
    answer = exchange(server, b"POST /v1/threads/runs HTTP/1.1\r\nhost: x\r\n")
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert answer.endswith(b"sse-recorder: request headers not complete after 0.3 s\n")


def test_a_silent_connection_times_out_too(server: str) -> None:
    assert exchange(server, b"").startswith(b"HTTP/1.1 408 ")


def test_a_body_over_the_limit_is_a_413(server: str) -> None:
    announced = httpx.post(server + "/v1/threads/runs", content=b"x" * 1001)
    assert announced.status_code == 413
    assert announced.text == "sse-recorder: request body over 1000 bytes\n"

    def chunked() -> Iterator[bytes]:  # no content-length: counted as it comes
        yield from [b"x" * 600] * 4

    streamed = httpx.post(server + "/v1/threads/runs", content=chunked())
    assert streamed.status_code == 413
    assert httpx.post(server + "/v1/threads/runs", content=b"x" * 1000).status_code == 200


def test_serve_bounds_headers_and_says_so() -> None:
    command = [sys.executable, "-m", "recorder", "serve", str(TOOL_CALL), "--instant"]
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        huge = b"x-huge: " + b"a" * 200_000 + b"\r\n"
        answer = exchange(url, b"GET /v1/models HTTP/1.1\r\nhost: x\r\n" + huge + b"\r\n")
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert answer.startswith(b"HTTP/1.1 431 ")
    refused = [line for line in err.splitlines() if "refused" in line]
    assert len(refused) == 1 and "request headers over 65536 bytes (431)" in refused[0]
