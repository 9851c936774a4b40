"""The replay server: timing fidelity, instant throughput, many clients. Peers in the same run.

``python benchmarks/bench_replay.py [--quick]``. Servers run in their own processes
(``sse-recorder serve``, as a user runs it); the clients (httpx) run here.

- Timing fidelity at ``--speed 1``: a cassette of chunks with recorded gaps of 5-40 ms; for
  every gap of 5 ms or more, |replayed gap - recorded gap| as measured at the client (p50,
  p99; goal p99 < 2 ms), plus the drift of the last chunk. Peers: a vcrpy-style replay (one
  blob, every gap 0) and a naive replayer that ``sleep()``s each recorded gap in turn (its
  errors add up).
- ``--instant`` throughput: a 100,000-event cassette (one chunk per event) to one client:
  chunks/s and MB/s, best of 5 rounds alternating between the two servers, and the server's
  CPU seconds per request. Peer: a bare ASGI app on the same uvicorn writing the same chunks
  from a list in memory (the floor for chunk-by-chunk writing).
- 100 concurrent clients (asyncio, one connection each) on a 1,000-event cassette: all bodies
  byte-identical, zero errors; wall time and the server's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from recorder.cassette import Cassette, Chunk, Interaction, RecordedRequest, RecordedResponse

URL_PATH = "/v1/threads/thread_bench/runs"

NAIVE_PEER = r"""
import asyncio, sys, uvicorn
from recorder.cassette import load_cassette
interaction = load_cassette(sys.argv[1]).interactions[0]
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/event-stream")]})
    previous = 0.0
    for chunk in interaction.chunks:
        await asyncio.sleep(chunk.t - previous)   # accumulated sleeps: errors add up
        previous = chunk.t
        await send({"type": "http.response.body", "body": chunk.data, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
server = uvicorn.Server(config)
from recorder.net.serving import bind_socket
sock = bind_socket("127.0.0.1", 0)
print("http://127.0.0.1:%d" % sock.getsockname()[1], flush=True)
asyncio.run(server.serve(sockets=[sock]))
"""

BARE_PEER = r"""
import asyncio, sys, uvicorn
from recorder.cassette import load_cassette
from recorder.net.serving import bind_socket
chunks = [c.data for c in load_cassette(sys.argv[1]).interactions[0].chunks]
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/event-stream")]})
    for data in chunks:
        await send({"type": "http.response.body", "body": data, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
config = uvicorn.Config(app, log_level="warning", lifespan="off")
sock = bind_socket("127.0.0.1", 0)
print("http://127.0.0.1:%d" % sock.getsockname()[1], flush=True)
asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))
"""


def event(n: int) -> bytes:
    payload = {
        "id": "msg_bench",
        "object": "thread.message.delta",
        "delta": {"content": [{"index": 0, "type": "text", "text": {"value": f"word{n} "}}]},
    }
    return b"event: thread.message.delta\ndata: " + json.dumps(payload).encode() + b"\n\n"


def cassette(count: int, gaps_ms: list[float] | None) -> Cassette:
    chunks: list[Chunk] = []
    t = 0.01
    for n in range(count):
        if gaps_ms:
            t += gaps_ms[n % len(gaps_ms)] / 1000
        chunks.append(Chunk(t=round(t, 6), data=event(n)))
    chunks.append(Chunk(t=round(t, 6), data=b"event: done\ndata: [DONE]\n\n"))
    interaction = Interaction(
        request=RecordedRequest(method="POST", url="https://api.openai.com" + URL_PATH),
        response=RecordedResponse(status=200, headers=[("content-type", "text/event-stream")]),
        chunks=chunks,
        outcome="complete",
        ended_at=t,
    )
    return Cassette(interactions=[interaction])


class Process:
    """A server subprocess that prints its URL first; always stopped."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http"):
            self.stop()
            raise RuntimeError(f"server did not start: {command}")

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(path: Path, *options: str) -> Process:
    return Process([sys.executable, "-m", "recorder", "serve", str(path), "--port", "0", *options])


def arrivals(url: str) -> tuple[list[float], list[bytes]]:
    """Arrival time (since the request was sent) and bytes of each read."""
    times: list[float] = []
    reads: list[bytes] = []
    with httpx.Client(timeout=60) as client:
        start = time.monotonic()
        with client.stream("POST", url + URL_PATH) as response:
            for data in response.iter_raw():
                times.append(time.monotonic() - start)
                reads.append(data)
    return times, reads


def gap_errors(recorded: list[float], replayed: list[float]) -> list[float]:
    errors = []
    for n in range(1, len(recorded)):
        gap = recorded[n] - recorded[n - 1]
        if gap >= 0.005:
            errors.append(abs((replayed[n] - replayed[n - 1]) - gap) * 1000)
    return errors


def drift(recorded: list[float], replayed: list[float]) -> float:
    """How far the last chunk is from where it belongs, counted from the first chunk."""
    last = len(recorded) - 1
    return (replayed[last] - replayed[0]) - (recorded[last] - recorded[0])


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def fidelity(directory: Path, quick: bool) -> list[str]:
    gaps = [5, 7, 10, 15, 20, 40, 6, 12]
    timed = cassette(60 if quick else 300, gaps)
    path = timed.save(directory / "timed.jsonl")
    recorded = [chunk.t for chunk in timed.interactions[0].chunks[:-1]]
    rows: list[tuple[str, list[float], float]] = []
    with serve(path) as ours:
        times, reads = arrivals(ours.url)
    if len(reads) < len(recorded):
        return [f"(fidelity: {len(reads)} reads for {len(recorded)} chunks: chunks were joined)"]
    rows.append(
        ("sse-recorder serve --speed 1", gap_errors(recorded, times), drift(recorded, times))
    )
    with Process([sys.executable, "-c", NAIVE_PEER, str(path)]) as naive:
        times, _ = arrivals(naive.url)
    rows.append(
        (
            "naive replay: sleep(gap) per chunk",
            gap_errors(recorded, times),
            drift(recorded, times),
        )
    )
    blob = [0.0] * len(recorded)
    rows.append(
        (
            "vcrpy-style replay: one blob, no timing",
            gap_errors(recorded, blob),
            drift(recorded, blob),
        )
    )
    lines = [
        f"### Timing fidelity at speed 1 ({len(recorded)} chunks, gaps 5-40 ms, loopback)",
        "",
        "| replayer | p50 gap error (ms) | p99 gap error (ms) | drift first→last chunk (ms) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, errors, moved in rows:
        p50, p99 = quantile(errors, 0.5), quantile(errors, 0.99)
        lines.append(f"| {name} | {p50:.3f} | {p99:.3f} | {moved * 1000:+.1f} |")
    return lines


def throughput(directory: Path, quick: bool) -> list[str]:
    """Both servers up at once, one request to each in turn, ``rounds`` times: the best wall
    of each (the machine's load changes between rounds, not within a pair), and the CPU
    seconds each server process spent per request (insensitive to load)."""
    count = 10_000 if quick else 100_000
    rounds = 3 if quick else 5
    big = cassette(count, None)
    path = big.save(directory / "big.jsonl")
    expected = big.interactions[0].body
    chunks = len(big.interactions[0].chunks)
    names = ("sse-recorder serve --instant", "bare ASGI app, same chunks from memory")
    walls: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    identical: dict[str, bool] = dict.fromkeys(names, True)
    with (
        serve(path, "--instant") as ours,
        Process([sys.executable, "-c", BARE_PEER, str(path)]) as bare,
        httpx.Client(timeout=120) as client,
    ):
        servers = dict(zip(names, (ours, bare), strict=True))
        for _ in range(rounds):
            for name, server in servers.items():
                cpu = server.cpu_seconds()
                start = time.monotonic()
                body = client.post(server.url + URL_PATH).content
                walls[name].append(time.monotonic() - start)
                cpus[name].append(server.cpu_seconds() - cpu)
                identical[name] &= body == expected
    lines = [
        f"### `--instant` throughput: {count:,} events ({len(expected) / 1e6:.1f} MB), one "
        f"client, best of {rounds} alternating rounds",
        "",
        "| server | wall (s) | chunks/s | MB/s | server CPU s per request | body identical |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for name in names:
        wall, cpu = min(walls[name]), min(cpus[name])
        rate, megabytes = chunks / wall, len(expected) / wall / 1e6
        lines.append(
            f"| {name} | {wall:.2f} | {rate:,.0f} | {megabytes:.1f} | {cpu:.2f} | "
            f"{identical[name]} |"
        )
    ours_name, bare_name = names
    lines.append("")
    lines.append(
        f"throughput sse-recorder / bare app: {min(walls[bare_name]) / min(walls[ours_name]):.2f}x"
        f" by wall time, {min(cpus[bare_name]) / min(cpus[ours_name]):.2f}x by server CPU time"
    )
    return lines


async def fetch_all(url: str, clients: int) -> tuple[list[bytes], int]:
    errors = 0
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def one() -> bytes:
            response = await client.post(url + URL_PATH)
            return response.content

        results = await asyncio.gather(*(one() for _ in range(clients)), return_exceptions=True)
    bodies = [r for r in results if isinstance(r, bytes)]
    errors = len(results) - len(bodies)
    return bodies, errors


def concurrency(directory: Path, quick: bool) -> list[str]:
    clients = 20 if quick else 100
    medium = cassette(1_000, None)
    path = medium.save(directory / "medium.jsonl")
    expected = medium.interactions[0].body
    with serve(path, "--instant") as server:
        start = time.monotonic()
        bodies, errors = asyncio.run(fetch_all(server.url, clients))
        wall = time.monotonic() - start
        rss = server.peak_rss_mb()
    identical = sum(body == expected for body in bodies)
    return [
        f"### {clients} concurrent clients, 1,000-event cassette "
        f"({len(expected) / 1e3:.0f} kB), `--instant`",
        "",
        "| clients | identical bodies | errors | wall (s) | server peak RSS (MB) |",
        "| ---: | ---: | ---: | ---: | ---: |",
        f"| {clients} | {identical} | {errors} | {wall:.2f} | {rss:.0f} |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller inputs")
    args = parser.parse_args()
    print("## Replay server\n")
    # Timing fidelity is scheduling noise on a busy machine: say how busy it was.
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    print(f"Load average (1 min) at start: {load}\n")
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        for section in (fidelity, throughput, concurrency):
            print("\n".join(section(directory, args.quick)) + "\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
