"""Running ASGI apps on real sockets."""

from __future__ import annotations

import gc
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest

from recorder.net.serving import BackgroundServer, bind_socket


async def hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]})
    await send({"type": "http.response.body", "body": b"hello"})


def test_background_server_serves_and_always_stops() -> None:
    with BackgroundServer(hello) as server:
        assert server.url.startswith("http://127.0.0.1:")
        response = httpx.get(server.url + "/anything")
        assert response.text == "hello"
        port = int(server.url.rsplit(":", 1)[1])
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/")


def test_bind_socket_port_zero_picks_a_free_port() -> None:
    first, second = bind_socket(), bind_socket()
    try:
        assert first.getsockname()[1] != second.getsockname()[1]
    finally:
        first.close()
        second.close()


def test_bind_socket_busy_port_raises() -> None:
    taken = bind_socket()
    try:
        with pytest.raises(OSError):
            bind_socket(port=taken.getsockname()[1])
    finally:
        taken.close()


def test_a_server_that_fails_to_start_releases_its_port(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.pem")  # uvicorn fails loading it, in its thread
    server = BackgroundServer(hello, ssl_keyfile=missing, ssl_certfile=missing)
    port = int(server.url.rsplit(":", 1)[1])
    with pytest.raises(RuntimeError, match="failed to start"), server:
        pass
    with pytest.raises(httpx.ConnectError):  # nothing listens there any more
        httpx.get(f"http://127.0.0.1:{port}/")


def test_bad_options_leave_no_socket_open() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with pytest.raises(TypeError):
            BackgroundServer(hello, no_such_option=1)
        gc.collect()
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []
