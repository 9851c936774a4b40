"""In-process replay: httpx transports that answer from a cassette, without sockets.

>>> transport = ReplayTransport("fixtures/cassettes/real/dotnet-streaming-run.jsonl")
>>> client = httpx.Client(transport=transport, base_url="https://api.openai.com")

Matching, timing and faults are the replay server's (``recorder.replay.plan.Replayer``); the body
streams chunk by chunk, each chunk yielded at its planned time (``time.sleep`` in the sync
transport, ``anyio.sleep`` in the async one), measured from the moment the request was handed
to the transport. A fault that drops the connection raises ``RemoteProtocolError`` while the
body is read, as a real dropped connection does. An unmatched request is answered, like the
server does, with a 404 whose JSON body names the closest recorded requests: client libraries
show it as their not-found error.

The official ``openai`` library 3.x runs on ``httpx2`` (a fork of httpx with the same transport
interface). The same transport objects serve it: each response is built with the classes of
the package the request came from, so
``openai.OpenAI(http_client=httpx2.Client(transport=ReplayTransport(path)))`` works as is
(type checkers see an httpx transport; ``# type: ignore[arg-type]`` there).
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any

import anyio
import httpx

from recorder.cassette import RecordedRequest
from recorder.replay.faults import FaultSpec
from recorder.replay.matching import Matcher
from recorder.replay.plan import CassetteSource, Replayer, ReplayPlan

__all__ = ["AsyncReplayTransport", "ReplayTransport"]


def _http_module(request: Any) -> ModuleType:
    """``httpx`` or ``httpx2``: the package whose ``Request`` this is."""
    return sys.modules[type(request).__module__.partition(".")[0]]


def recorded_request(request: Any, body: bytes) -> RecordedRequest:
    """An httpx (or httpx2) request as a ``RecordedRequest``; ``body`` is read by the caller,
    ``request.read()`` or, in async code, ``await request.aread()``."""
    return RecordedRequest(
        method=request.method,
        url=str(request.url),
        headers=[(name, value) for name, value in request.headers.multi_items()],
        body=body,
    )


def _abort_error(module: ModuleType, plan: ReplayPlan, request: Any) -> Exception:
    message = (
        "peer closed connection without sending complete message body "
        f"(sse-recorder replay: {plan.detail})"
    )
    error: Exception = module.RemoteProtocolError(message, request=request)
    return error


class _Base:
    def __init__(
        self,
        cassette: CassetteSource | Replayer,
        *,
        speed: float = 1.0,
        instant: bool = False,
        faults: FaultSpec | str = "",
        matcher: Matcher | str | None = None,
    ) -> None:
        #: The shared core: loaded cassettes, matching queue, plan cache.
        self.replayer = (
            cassette
            if isinstance(cassette, Replayer)
            else Replayer(cassette, speed=speed, instant=instant, faults=faults, matcher=matcher)
        )


class ReplayTransport(_Base, httpx.BaseTransport):
    """Sync httpx (and httpx2) transport replaying a cassette: see the module docstring.

    ``cassette`` is a ``Cassette``, a path to a cassette or a directory, or a list of them.
    """

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Match, wait for the recorded time to first byte, return a streaming response."""
        start = time.monotonic()
        plan = self.replayer.respond(recorded_request(request, request.read()))
        _sleep_until(start + plan.head_at)
        module = _http_module(request)
        response: httpx.Response = module.Response(
            plan.status,
            headers=plan.headers,
            content=_chunks(plan, start, module, request),
            request=request,
        )
        return response


def _sleep_until(deadline: float) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def _chunks(plan: ReplayPlan, start: float, module: ModuleType, request: Any) -> Iterator[bytes]:
    for send in plan.sends:
        _sleep_until(start + send.at)
        yield send.data
    _sleep_until(start + plan.end_at)
    if plan.ending == "abort":
        raise _abort_error(module, plan, request)


class AsyncReplayTransport(_Base, httpx.AsyncBaseTransport):
    """Async twin of ``ReplayTransport`` (asyncio or trio, through anyio)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Match, wait for the recorded time to first byte, return a streaming response."""
        start = time.monotonic()
        plan = self.replayer.respond(recorded_request(request, await request.aread()))
        await _asleep_until(start + plan.head_at)
        module = _http_module(request)
        response: httpx.Response = module.Response(
            plan.status,
            headers=plan.headers,
            content=_achunks(plan, start, module, request),
            request=request,
        )
        return response


async def _asleep_until(deadline: float) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        await anyio.sleep(delay)


async def _achunks(
    plan: ReplayPlan, start: float, module: ModuleType, request: Any
) -> AsyncIterator[bytes]:
    for send in plan.sends:
        await _asleep_until(start + send.at)
        yield send.data
    await _asleep_until(start + plan.end_at)
    if plan.ending == "abort":
        raise _abort_error(module, plan, request)
