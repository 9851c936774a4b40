"""A long Anthropic Messages stream for the benchmarks, built from a real body's events.

The body is fixtures/real-streams/anthropic/pydantic-ai-anthropic-mcp-servers-stream.sse (a
real claude-sonnet-4 answer: a thinking block with its signature, an MCP tool call streaming
its input as input_json_delta pieces, the MCP tool result, a text block; JSON padded with
spaces as the live API sends it). Its message_start opens the stream; its content blocks
(start, deltas, stop, and the pings between them) repeat in order, renumbered 0, 1, 2..., until
the stream has the events asked for (pings fill the last few); then its message_delta and
message_stop close it. Payload bytes are the real ones but for the block index.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BODY = ROOT / "fixtures/real-streams/anthropic/pydantic-ai-anthropic-mcp-servers-stream.sse"
_INDEX = re.compile(rb'"index":\s*\d+')


def write_anthropic_stream(path: Path, events: int) -> None:
    """Write a raw ``.sse`` body of exactly ``events`` events."""
    chunks = [block + b"\n\n" for block in BODY.read_bytes().split(b"\n\n") if block.strip()]
    start, *middle, delta, stop = chunks
    assert b"message_start" in start and b"message_delta" in delta and b"message_stop" in stop
    groups: list[list[bytes]] = []  # one per block: its start, deltas and stop (pings kept)
    for chunk in middle:
        if b"event: content_block_start" in chunk or not groups:
            groups.append([])
        groups[-1].append(chunk)
    ping = next(chunk for chunk in middle if chunk.startswith(b"event: ping"))
    room = events - 3  # message_start, message_delta, message_stop
    with open(path, "wb") as handle:
        handle.write(start)
        index = 0
        while room >= len(groups[index % len(groups)]):
            group = groups[index % len(groups)]
            new = b'"index":%d' % index
            for chunk in group:
                handle.write(_INDEX.sub(new, chunk, count=1))
            room -= len(group)
            index += 1
        handle.write(ping * room + delta + stop)
