"""Validation speed of the two data-only profiles, ``gemini`` and ``mcp``, vs the floor.

Each stream is built from a hand-made body in ``fixtures/profiles/<name>/`` (there are no real
captures): Gemini's text events repeated to 100,000 (CRLF), the last one carrying
``finishReason`` and the full ``usageMetadata``; MCP's priming event, progress and log
notifications repeated, then the response. In one run, best of several rounds:

- **full**: ``validate_file`` with ``--profile auto`` (parse in blocks, JSON, schemas, the
  profile's data rules);
- **floor**: only the parser and ``json.loads`` of each payload, over the same blocks.

    .venv/bin/python benchmarks/bench_data_profiles.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recorder.validate.runner import BLOCK_SIZE, validate_file  # noqa: E402
from recorder.wire.sse import SSEParser  # noqa: E402

BODIES = ROOT / "fixtures" / "profiles"


def _payloads(name: str) -> list[str]:
    text = (BODIES / name).read_bytes().decode()
    return [line[6:] for line in text.splitlines() if line.startswith("data: ")]


def gemini_stream(path: Path, events: int) -> None:
    payloads = _payloads("gemini/text.sse")
    middle, last = payloads[:-1], payloads[-1]
    with open(path, "wb") as out:
        for number in range(events - 1):
            out.write(f"data: {middle[number % len(middle)]}\r\n\r\n".encode())
        out.write(f"data: {last}\r\n\r\n".encode())


def mcp_stream(path: Path, events: int) -> None:
    text = (BODIES / "mcp/tool-call-progress.sse").read_bytes().decode().replace("\r\n", "\n")
    blocks = [block for block in text.split("\n\n") if block]
    priming, notifications, response = blocks[0], blocks[1:-1], blocks[-1]
    with open(path, "wb") as out:
        out.write(f"{priming}\r\n\r\n".encode())
        for number in range(events - 2):
            block = notifications[number % len(notifications)].split("\n")[-1]
            out.write(f"id: e-{number}\r\n{block}\r\n\r\n".encode())
        out.write(response.replace("\n", "\r\n").encode() + b"\r\n\r\n")


def floor(path: Path) -> int:
    parser = SSEParser(keep_comments=False)
    loads = json.loads
    count = 0
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK_SIZE):
            for event in parser.feed(block):
                count += 1
                if event.data:
                    loads(event.data)
    parser.close()
    return count


def full(path: Path, profile: str) -> int:
    result = validate_file(path)
    if not result.ok or result.profile != profile:
        raise SystemExit(f"the {profile} stream should be valid: {result.findings[:3]}")
    return result.events


def best(function: Callable[[], int], rounds: int) -> tuple[float, int]:
    times: list[float] = []
    count = 0
    for _ in range(rounds):
        start = time.perf_counter()
        count = function()
        times.append(time.perf_counter() - start)
    return min(times), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller streams, fewer rounds")
    args = parser.parse_args()
    events = 20_000 if args.quick else 100_000
    rounds = 2 if args.quick else 5
    print(f"## Data-only profiles ({events:,} events each, best of {rounds})\n")
    print("| profile | floor events/s | validate events/s | vs floor |")
    print("| --- | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for name, write in (("gemini", gemini_stream), ("mcp", mcp_stream)):
            path = Path(folder) / f"{name}.sse"
            write(path, events)
            full(path, name)  # warm up: imports and schema compilation are one-off costs
            floor_s, n = best(lambda path=path: floor(path), rounds)
            full_s, n_full = best(lambda path=path, name=name: full(path, name), rounds)
            assert n == n_full == events, (n, n_full, events)
            print(
                f"| {name} | {n / floor_s:,.0f} | {n_full / full_s:,.0f} | "
                f"{full_s / floor_s:.2f}x |"
            )


if __name__ == "__main__":
    main()
