"""A long Chat Completions stream for the benchmarks, built from a real body's chunks.

The body is fixtures/real-streams/chat/openai-python-2024-08-gpt-4o-2024-08-06-long.sse (a real
gpt-4o answer with ``stream_options.include_usage``): its role chunk opens the stream, its 108
content deltas repeat in order until the stream has the events asked for, then its finish
chunk, its usage chunk (empty choices) and ``data: [DONE]`` close it, as OpenAI sends them.
The chunks keep their real bytes; only their number changes.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BODY = ROOT / "fixtures/real-streams/chat/openai-python-2024-08-gpt-4o-2024-08-06-long.sse"


def write_chat_stream(path: Path, events: int) -> None:
    """Write a raw ``.sse`` body of exactly ``events`` events (``[DONE]`` included)."""
    blocks = [block for block in BODY.read_bytes().split(b"\n\n") if block.strip()]
    chunks = [block for block in blocks if block != b"data: [DONE]"]
    first, *deltas, finish, usage = chunks
    assert b'"role"' in first and b'"finish_reason":"stop"' in finish
    assert json.loads(usage.removeprefix(b"data: "))["choices"] == []
    middle = events - 4  # first, finish, usage, [DONE]
    with open(path, "wb") as handle:
        handle.write(first + b"\n\n")
        for number in range(middle):
            handle.write(deltas[number % len(deltas)] + b"\n\n")
        handle.write(finish + b"\n\n" + usage + b"\n\ndata: [DONE]\n\n")
