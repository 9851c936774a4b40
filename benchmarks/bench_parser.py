"""Parser speed: sse-recorder's SSEParser vs httpx-sse's decoder vs the openai library's.

A generated 100,000-event Assistants stream is fed in 4 KiB chunks to each parser in the same
run (best of several rounds, alternating, to damp noise from other processes). sse-recorder's
parser also tracks byte offsets, line numbers, chunk indexes and comments, and follows the
WHATWG algorithm exactly; the peers do neither.

A second table measures the load validation puts on the parser: a 30,000-event Responses
stream (``responses_stream.py``) fed in 64 KiB blocks with ``keep_comments=False``, CPU time
per event, with the parser's fast path on (as shipped) and off (every line through its
general per-line code, which the fast path is tested against).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from assistants_stream import assistants_stream
from responses_stream import write_responses_stream

from recorder.wire.sse import SSEParser


def ours(chunks: list[bytes]) -> int:
    parser = SSEParser()
    count = 0
    for chunk in chunks:
        count += len(parser.feed(chunk))
    parser.close()
    return count


def httpx_sse(chunks: list[bytes]) -> int:
    # httpx-sse decodes lines of text: its line decoder plus its event decoder, as
    # EventSource.iter_sse does over httpx's text iterator.
    import codecs

    from httpx_sse._decoders import SSEDecoder, SSELineDecoder

    text = codecs.getincrementaldecoder("utf-8")(errors="replace")
    lines = SSELineDecoder()
    decoder = SSEDecoder()
    count = 0
    for chunk in chunks:
        for line in lines.decode(text.decode(chunk)):
            if decoder.decode(line) is not None:
                count += 1
    for line in lines.flush():
        if decoder.decode(line) is not None:
            count += 1
    return count


def openai_decoder(chunks: list[bytes]) -> int:
    from openai._streaming import SSEDecoder

    return sum(1 for _ in SSEDecoder().iter_bytes(iter(chunks)))


def _events_ours(chunks: list[bytes]) -> list[tuple[str, str, str, int | None]]:
    parser = SSEParser()
    events = [e for chunk in chunks for e in parser.feed(chunk)] + parser.close()
    return [(e.event, e.data, e.id, e.retry) for e in events]


def _events_httpx_sse(chunks: list[bytes]) -> list[tuple[str, str, str, int | None]]:
    import codecs

    from httpx_sse._decoders import SSEDecoder, SSELineDecoder

    text = codecs.getincrementaldecoder("utf-8")(errors="replace")
    lines, decoder = SSELineDecoder(), SSEDecoder()
    decoded = [line for chunk in chunks for line in lines.decode(text.decode(chunk))]
    events = [e for line in [*decoded, *lines.flush()] if (e := decoder.decode(line))]
    return [(e.event, e.data, e.id or "", e.retry) for e in events]


def _events_openai(chunks: list[bytes]) -> list[tuple[str, str, str, int | None]]:
    from openai._streaming import SSEDecoder

    events = SSEDecoder().iter_bytes(iter(chunks))
    return [(e.event or "message", e.data, e.id or "", e.retry) for e in events]


def conformance() -> dict[str, str]:
    """How many of the shared WHATWG vectors each parser gets right (fed the given chunks)."""
    path = Path(__file__).resolve().parents[1] / "fixtures" / "sse-vectors" / "vectors.json"
    if not path.exists():
        return {}
    vectors = json.loads(path.read_text("utf-8"))["vectors"]
    results = {}
    for name, events in (
        ("sse-recorder SSEParser", _events_ours),
        ("httpx-sse SSEDecoder", _events_httpx_sse),
        ("openai SSEDecoder", _events_openai),
    ):
        passed = 0
        for vector in vectors:
            if "byte_chunks" in vector:
                chunks = [bytes.fromhex(c) for c in vector["byte_chunks"]]
            else:
                chunks = [c.encode("utf-8") for c in vector["chunks"]]
            expected = [
                (e["event"], e["data"], e["id"] or "", e["retry"]) for e in vector["expected"]
            ]
            with contextlib.suppress(Exception):  # a peer that crashes on a vector fails it
                passed += events(chunks) == expected
        results[name] = f"{passed}/{len(vectors)}"
    return results


def best_rate(function: Callable[[list[bytes]], int], chunks: list[bytes], rounds: int) -> float:
    best = float("inf")
    count = 0
    for _ in range(rounds):
        start = time.perf_counter()
        count = function(chunks)
        best = min(best, time.perf_counter() - start)
    return count / best


class _PerLineParser(SSEParser):
    """The parser with its fast path off: every line through the general per-line code."""

    _fast_path = False


def _cpu_per_event(parser_class: type[SSEParser], blocks: list[bytes]) -> tuple[float, int]:
    parser = parser_class(keep_comments=False)
    count = 0
    start = time.process_time()
    for block in blocks:
        count += len(parser.feed(block))
    parser.close()
    return time.process_time() - start, count


def validation_load(events: int) -> None:
    """CPU time per event on a Responses stream in 64 KiB blocks, fast path on and off."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "responses.sse"
        write_responses_stream(path, events)
        body = path.read_bytes()
    blocks = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    subjects = {
        "fast path on (as shipped)": SSEParser,
        "fast path off (per-line code)": _PerLineParser,
    }
    best = {name: float("inf") for name in subjects}
    for _ in range(5):  # alternate, best of 5: the box may be busy
        for name, parser_class in subjects.items():
            seconds, count = _cpu_per_event(parser_class, blocks)
            assert count == events, (name, count)
            best[name] = min(best[name], seconds)
    base = best["fast path off (per-line code)"]
    print(
        f"## Parser on a validation load: {events:,} Responses events "
        f"({len(body) / 1e6:.1f} MB, {len(body) / events:.0f} B/event) in 64 KiB blocks\n"
    )
    print("| SSEParser(keep_comments=False) | CPU µs/event | speed-up |")
    print("| --- | ---: | ---: |")
    for name, seconds in best.items():
        print(f"| {name} | {seconds / events * 1e6:.2f} | {base / seconds:.2f}x |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    events = 10_000 if args.quick else 100_000
    body = assistants_stream(events)
    chunks = [body[i : i + 4096] for i in range(0, len(body), 4096)]
    subjects = {
        "sse-recorder SSEParser": ours,
        "httpx-sse SSEDecoder": httpx_sse,
        "openai SSEDecoder": openai_decoder,
    }
    counts = {name: function(chunks) for name, function in subjects.items()}
    assert len(set(counts.values())) == 1, f"parsers disagree on the event count: {counts}"
    rates = {name: 0.0 for name in subjects}
    for _ in range(3):  # alternate subjects so background load hits them alike
        for name, function in subjects.items():
            rates[name] = max(rates[name], best_rate(function, chunks, 2))
    base = rates["sse-recorder SSEParser"]
    print(f"## Parser: {events:,} Assistants events ({len(body) / 1e6:.1f} MB) in 4 KiB chunks\n")
    passed = conformance()
    print("| parser | events/s | sse-recorder is | WHATWG vectors passed |")
    print("| --- | ---: | ---: | ---: |")
    for name, rate in rates.items():
        print(f"| {name} | {rate:,.0f} | {base / rate:.2f}x | {passed.get(name, 'n/a')} |")
    print()
    validation_load(5_000 if args.quick else 30_000)


if __name__ == "__main__":
    main()
