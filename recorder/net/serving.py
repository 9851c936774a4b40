"""Running an ASGI app on a real socket with uvicorn: in a background thread, or in front.

Shared by the replay server (``sse-recorder serve``), the recording proxy (``sse-recorder
proxy``), the pytest plugin and the tests. Port 0 picks a free port; the socket is bound
before uvicorn starts, so ``url`` is known at once and nothing races for the port.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

__all__ = ["BackgroundServer", "bind_socket", "serve_forever"]

ASGIApp = Callable[..., Any]


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: the system picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose
    # proto says TCP, and accepted sockets inherit it; with proto 0 every small write after
    # the first waits for the peer's delayed ACK (~40 ms on Linux).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _config(app: ASGIApp, **options: Any) -> Any:
    import uvicorn

    return uvicorn.Config(
        app,
        log_level=options.pop("log_level", "warning"),
        # "auto": apps that speak the lifespan protocol get their shutdown (the recording
        # proxy closes its pooled upstream client there); apps that do not are still served.
        lifespan=options.pop("lifespan", "auto"),
        access_log=False,
        timeout_graceful_shutdown=options.pop("timeout_graceful_shutdown", 1),
        **options,
    )


class BackgroundServer:
    """uvicorn serving ``app`` in a daemon thread; a context manager that always stops it.

    >>> with BackgroundServer(app) as server:          # doctest: +SKIP
    ...     httpx.get(server.url + "/v1/threads/runs")
    """

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0, **options: Any):
        import uvicorn

        self._socket = bind_socket(host, port)
        self.url = _url(self._socket)
        try:
            self._server = uvicorn.Server(_config(app, **options))
        except BaseException:  # a bad option: nothing will ever stop() this server
            self._socket.close()
            raise
        self._thread = threading.Thread(target=self._run, name=f"uvicorn {self.url}", daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            # uvicorn installs signal handlers only in the main thread; this is not it.
            asyncio.run(self._server.serve(sockets=[self._socket]))
        except BaseException as error:  # reported by start()
            self._error = error

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        """Start and wait (polling, with a deadline) until the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                self.stop()  # __exit__ will not run: release the port here
                raise RuntimeError(f"server at {self.url} failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"server at {self.url} not ready after {timeout} s")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to exit and wait for the thread; close the socket."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(
    app: ASGIApp,
    host: str,
    port: int,
    *,
    announce: Callable[[str], None] | None = None,
    **options: Any,
) -> None:
    """Serve in the foreground until Ctrl-C or SIGTERM; ``announce(url)`` runs once bound.

    The command line passes an ``announce`` that prints the URL as its first line and
    flushes, so ``--port 0`` is usable from scripts.
    """
    import uvicorn

    sock = bind_socket(host, port)
    try:
        url = _url(sock)
        server = uvicorn.Server(_config(app, **options))
        if announce is not None:
            announce(url)
        else:
            print(url, flush=True)
        asyncio.run(server.serve(sockets=[sock]))
    finally:
        sock.close()
        sys.stdout.flush()
