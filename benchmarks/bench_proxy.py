"""The recording proxy against going straight to the upstream, on loopback, in one run.

``python benchmarks/bench_proxy.py [--quick]``. The upstream (a bare ASGI app on uvicorn) and
the proxy (``sse-recorder proxy``, recording every interaction to a temporary directory) run in
their own processes; the client (httpx, one kept-alive connection) runs here. Measured:

- time to first byte: from sending the request to the first body byte;
- per-chunk delay: each chunk carries the upstream's ``time.monotonic()`` when it was sent
  (CLOCK_MONOTONIC, shared by all processes on Linux), compared with its arrival here;
- never buffers: the upstream sends chunk 1, then waits until the client tells it (through a
  side request straight to the upstream) that chunk 1 arrived, and only then sends chunk 2.
  A buffering proxy deadlocks this test (it fails after a timeout).

Goals (issue 4): added time to first byte under 2 ms median, added per-chunk delay under
1 ms at p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent


# --------------------------------------------------------------------------- the upstream


class BenchUpstream:
    """``/first``: one chunk; ``/stream?n=N&gap=S``: N stamped chunks, S seconds apart;
    ``/gated``: chunk 1, then chunk 2 only after ``POST /signal``."""

    def __init__(self) -> None:
        self.signal: asyncio.Event | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        if self.signal is None:
            self.signal = asyncio.Event()
        path = scope["path"]
        query = dict(p.split("=") for p in scope["query_string"].decode().split("&") if p)
        headers = [(b"content-type", b"text/event-stream")]
        if path == "/signal":
            self.signal.set()
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if path == "/first":
            await send({"type": "http.response.body", "body": b"data: first\n\n"})
            return
        if path == "/gated":
            self.signal.clear()
            await _chunk(send, b"data: 1\n\n")
            await asyncio.wait_for(self.signal.wait(), 30)
            await _chunk(send, b"data: 2\n\n")
        else:
            gap = float(query.get("gap", "0.002"))
            for seq in range(int(query.get("n", "50"))):
                stamp = json.dumps({"seq": seq, "t": time.monotonic()})
                await _chunk(send, f"data: {stamp}\n\n".encode())
                await asyncio.sleep(gap)
        await send({"type": "http.response.body", "body": b""})


async def _chunk(send: Any, data: bytes) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": True})


def serve_upstream() -> None:
    from recorder.net.serving import serve_forever

    serve_forever(BenchUpstream(), "127.0.0.1", 0)


# --------------------------------------------------------------------------- measuring


def start(command: list[str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=HERE.parent
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://"):
        process.kill()
        raise SystemExit(f"could not start {command}: {url!r}")
    return process, url


def time_to_first_byte(client: httpx.Client, url: str, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        with client.stream("GET", url + "/first") as response:
            chunks = response.iter_raw()
            next(chunks)
            samples.append(time.perf_counter() - started)
            for _ in chunks:
                pass
    return samples


def chunk_delays(client: httpx.Client, url: str, streams: int, chunks: int) -> list[float]:
    delays = []
    for _ in range(streams):
        with client.stream("GET", url + f"/stream?n={chunks}&gap=0.002") as response:
            for raw in response.iter_raw():
                arrived = time.monotonic()
                for line in raw.split(b"\n"):
                    if line.startswith(b"data: "):
                        delays.append(arrived - json.loads(line[6:])["t"])
    return delays


def never_buffers(client: httpx.Client, url: str, upstream: str) -> bool:
    with client.stream("GET", url + "/gated", timeout=10) as response:
        chunks = response.iter_raw()
        if next(chunks) != b"data: 1\n\n":
            return False
        # chunk 1 is here and the upstream has not sent chunk 2 yet: release it
        httpx.post(upstream + "/signal")
        return b"".join(chunks) == b"data: 2\n\n"


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(value: float) -> str:
    return f"{value * 1000:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--serve-upstream", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_upstream:
        serve_upstream()
        return 0
    rounds, streams, chunks = (50, 3, 50) if args.quick else (500, 20, 100)
    upstream_process, upstream = start([sys.executable, __file__, "--serve-upstream"])
    with tempfile.TemporaryDirectory() as directory:
        proxy_process, proxy = start(
            [sys.executable, "-m", "recorder", "proxy", "--upstream", upstream, "-o", directory]
        )
        try:
            results: dict[str, dict[str, list[float]]] = {}
            with httpx.Client(timeout=30) as client:
                for name, url in (("direct", upstream), ("proxy", proxy)):
                    time_to_first_byte(client, url, 20)  # warm up: connections, imports
                    results[name] = {
                        "ttfb": time_to_first_byte(client, url, rounds),
                        "chunk": chunk_delays(client, url, streams, chunks),
                    }
                buffering_ok = never_buffers(client, proxy, upstream)
            recorded = len(list(Path(directory).iterdir()))
        finally:
            proxy_process.terminate()
            proxy_process.wait(10)
            upstream_process.terminate()
            upstream_process.wait(10)

    print("## Recording proxy vs direct (loopback)\n")
    print(
        f"{rounds} requests for time to first byte; {streams} streams x {chunks} chunks "
        f"2 ms apart for per-chunk delay; {recorded} cassettes recorded by the proxy.\n"
    )
    print("| measure | direct | through the proxy | added | goal |")
    print("|---|---:|---:|---:|---|")
    for label, key, q, goal in (
        ("time to first byte, median (ms)", "ttfb", 0.5, "added < 2 ms"),
        ("time to first byte, p99 (ms)", "ttfb", 0.99, ""),
        ("per-chunk delay, median (ms)", "chunk", 0.5, ""),
        ("per-chunk delay, p99 (ms)", "chunk", 0.99, "added < 1 ms"),
    ):
        direct = percentile(results["direct"][key], q)
        proxied = percentile(results["proxy"][key], q)
        print(f"| {label} | {ms(direct)} | {ms(proxied)} | {ms(proxied - direct)} | {goal} |")
    ratio = statistics.median(results["proxy"]["ttfb"]) / statistics.median(
        results["direct"]["ttfb"]
    )
    print(f"\nTime to first byte through the proxy: {ratio:.2f}x direct (median).")
    print(
        "Never buffers (client holds chunk 1 before the upstream sends chunk 2): "
        + ("yes" if buffering_ok else "NO")
    )
    return 0 if buffering_ok else 1


if __name__ == "__main__":
    sys.exit(main())
