"""A long OpenAI Responses stream for the benchmarks, built from a real body's events.

The body is fixtures/real-streams/responses/dotnet-streamingresponseswithreasoningsummary-
20251104.sse (a real o3-mini answer, Nov 2025: a reasoning item streaming four summaries, then
a message streaming 1,265 text deltas). Its first 484 events (lifecycle, the whole reasoning
item, the message's item and part) open the stream as recorded; its text deltas repeat in
order until the stream has the events asked for, each with the next ``sequence_number``; its
last four events (output_text.done, content_part.done, output_item.done, response.completed)
close it, carrying the text the deltas add up to, so the stream keeps every rule.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BODY = (
    ROOT
    / "fixtures/real-streams/responses/dotnet-streamingresponseswithreasoningsummary-20251104.sse"
)


def _payload(block: bytes) -> dict[str, Any]:
    data = block.split(b"\ndata: ", 1)[1]
    payload: dict[str, Any] = json.loads(data)
    return payload


def _block(payload: dict[str, Any]) -> bytes:
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return b"event: " + payload["type"].encode() + b"\ndata: " + data


def write_responses_stream(path: Path, events: int) -> None:
    """Write a raw ``.sse`` body of exactly ``events`` events."""
    blocks = [block for block in BODY.read_bytes().split(b"\n\n") if block.strip()]
    first_delta = next(i for i, b in enumerate(blocks) if b"response.output_text.delta" in b)
    head, deltas, tail = blocks[:first_delta], blocks[first_delta:-4], blocks[-4:]
    middle = events - len(head) - len(tail)
    assert middle > 0, f"at least {len(head) + len(tail) + 1} events"
    pieces = [_payload(block)["delta"] for block in deltas]
    marks = [b'"sequence_number":%d,' % _payload(block)["sequence_number"] for block in deltas]
    text: list[str] = []
    with open(path, "wb") as handle:
        for block in head:
            handle.write(block + b"\n\n")
        number = len(head)
        for count in range(middle):
            which = count % len(deltas)
            block = deltas[which].replace(marks[which], b'"sequence_number":%d,' % number, 1)
            handle.write(block + b"\n\n")
            text.append(pieces[which])
            number += 1
        joined = "".join(text)
        done, part, item, completed = (_payload(block) for block in tail)
        done["text"] = joined
        part["part"]["text"] = joined
        item["item"]["content"][0]["text"] = joined
        completed["response"]["output"][1]["content"][0]["text"] = joined
        for payload in (done, part, item, completed):
            payload["sequence_number"] = number
            number += 1
            handle.write(_block(payload) + b"\n\n")
