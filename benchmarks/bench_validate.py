"""Validation speed and memory: full validation vs the parse-and-decode floor vs pure jsonschema.

A generated Assistants run (a thread, a run, many message_creation steps whose messages arrive
as hundreds of small text deltas, and code_interpreter tool steps streaming their input) is
written to a raw ``.sse`` file. In one run, best of several rounds:

- **full**: ``validate_file`` (parse in blocks, JSON, schemas via jsonschema-rs, every rule,
  delta accumulation);
- **floor**: only the parser and ``json.loads`` of each payload, over the same blocks;
- **pure jsonschema**: what a user would write first, ``Draft202012Validator.validate`` on
  each payload (measured on a sample: it is too slow for the whole stream).

Then peak RSS of validating a 1,000,000-event stream, in a fresh subprocess.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recorder.sse import SSEParser  # noqa: E402
from recorder.validate import BLOCK_SIZE, validate_file  # noqa: E402

THREAD, RUN, ASSISTANT = "thread_bench", "run_bench", "asst_bench"
WORDS = ("The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ".")


def _run(status: str, **changes: Any) -> dict[str, Any]:
    run: dict[str, Any] = {
        "id": RUN,
        "object": "thread.run",
        "created_at": 1714000000,
        "assistant_id": ASSISTANT,
        "thread_id": THREAD,
        "status": status,
        "started_at": None if status == "queued" else 1714000001,
        "expires_at": 1714000600,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": 1714000500 if status == "completed" else None,
        "required_action": None,
        "last_error": None,
        "model": "gpt-4o",
        "instructions": "Be brief.",
        "tools": [{"type": "code_interpreter"}],
        "tool_resources": {},
        "metadata": {},
        "temperature": 1.0,
        "top_p": 1.0,
        "max_completion_tokens": None,
        "max_prompt_tokens": None,
        "truncation_strategy": {"type": "auto", "last_messages": None},
        "incomplete_details": None,
        "usage": {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18}
        if status == "completed"
        else None,
        "response_format": "auto",
        "tool_choice": "auto",
        "parallel_tool_calls": True,
    }
    run.update(changes)
    return run


def _step(step: str, status: str, details: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": step,
        "object": "thread.run.step",
        "created_at": 1714000002,
        "run_id": RUN,
        "assistant_id": ASSISTANT,
        "thread_id": THREAD,
        "type": details["type"],
        "status": status,
        "cancelled_at": None,
        "completed_at": 1714000003 if status == "completed" else None,
        "expired_at": None,
        "failed_at": None,
        "last_error": None,
        "step_details": details,
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        if status == "completed"
        else None,
        "metadata": {},
    }


def _message(message: str, status: str, text: str | None) -> dict[str, Any]:
    return {
        "id": message,
        "object": "thread.message",
        "created_at": 1714000002,
        "thread_id": THREAD,
        "status": status,
        "incomplete_details": None,
        "completed_at": 1714000003 if status == "completed" else None,
        "incomplete_at": None,
        "role": "assistant",
        "content": []
        if text is None
        else [{"type": "text", "text": {"value": text, "annotations": []}}],
        "assistant_id": ASSISTANT,
        "run_id": RUN,
        "attachments": [],
        "metadata": {},
    }


def _sse(name: str, payload: object) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    return f"event: {name}\ndata: {data}\n\n".encode()


def stream(events: int, deltas_per_message: int = 400, code_every: int = 4) -> Iterator[bytes]:
    """Exactly ``events`` events of a valid create-thread-and-run stream, piece by piece."""
    yield _sse(
        "thread.created",
        {
            "id": THREAD,
            "object": "thread",
            "created_at": 1714000000,
            "metadata": {},
            "tool_resources": {},
        },
    )
    for name, status in (
        ("created", "queued"),
        ("queued", "queued"),
        ("in_progress", "in_progress"),
    ):
        yield _sse(f"thread.run.{name}", _run(status))
    if events < 13:
        raise ValueError("the stream needs at least 13 events")
    left = events - 6  # the 4 above, then run.completed and done
    block = 0
    while left > 0:
        block += 1
        if block % code_every == 0 and left - 9 >= 7:
            step = f"step_c{block}"
            empty = {"type": "tool_calls", "tool_calls": []}
            pieces = ["import math\n", "print(math.sqrt(", "2))"] * 2
            code = {
                "type": "tool_calls",
                "tool_calls": [
                    {
                        "id": f"call_{block}",
                        "type": "code_interpreter",
                        "code_interpreter": {"input": "".join(pieces), "outputs": []},
                    }
                ],
            }
            yield _sse("thread.run.step.created", _step(step, "in_progress", empty))
            yield _sse("thread.run.step.in_progress", _step(step, "in_progress", empty))
            for index, piece in enumerate(pieces):
                call: dict[str, Any] = {
                    "index": 0,
                    "type": "code_interpreter",
                    "code_interpreter": {"input": piece},
                }
                if index == 0:
                    call.update(
                        id=f"call_{block}", code_interpreter={"input": piece, "outputs": []}
                    )
                yield _sse(
                    "thread.run.step.delta",
                    {
                        "id": step,
                        "object": "thread.run.step.delta",
                        "delta": {"step_details": {"type": "tool_calls", "tool_calls": [call]}},
                    },
                )
            yield _sse("thread.run.step.completed", _step(step, "completed", code))
            left -= 9
            continue
        count = min(deltas_per_message, left - 6)
        if 0 < left - 6 - count < 7:
            count = left - 6  # too few left for another block: this message takes them
        step, message = f"step_m{block}", f"msg_{block}"
        details = {"type": "message_creation", "message_creation": {"message_id": message}}
        yield _sse("thread.run.step.created", _step(step, "in_progress", details))
        yield _sse("thread.run.step.in_progress", _step(step, "in_progress", details))
        yield _sse("thread.message.created", _message(message, "in_progress", None))
        yield _sse("thread.message.in_progress", _message(message, "in_progress", None))
        text = []
        for number in range(count):
            word = WORDS[number % len(WORDS)]
            text.append(word)
            part: dict[str, Any] = {"index": 0, "type": "text", "text": {"value": word}}
            if number == 0:
                part["text"]["annotations"] = []
            yield _sse(
                "thread.message.delta",
                {"id": message, "object": "thread.message.delta", "delta": {"content": [part]}},
            )
        yield _sse("thread.message.completed", _message(message, "completed", "".join(text)))
        yield _sse("thread.run.step.completed", _step(step, "completed", details))
        left -= count + 6
    yield _sse("thread.run.completed", _run("completed"))
    yield _sse("done", "[DONE]")


def write_stream(path: Path, events: int) -> None:
    with open(path, "wb") as handle:
        buffer: list[bytes] = []
        for piece in stream(events):
            buffer.append(piece)
            if len(buffer) >= 4096:
                handle.write(b"".join(buffer))
                buffer.clear()
        handle.write(b"".join(buffer))


def blocks(handle: BinaryIO) -> Iterator[bytes]:
    while block := handle.read(BLOCK_SIZE):
        yield block


def floor(path: Path) -> int:
    parser = SSEParser(keep_comments=False)
    loads = json.loads
    count = 0
    with open(path, "rb") as handle:
        for block in blocks(handle):
            for event in parser.feed(block):
                count += 1
                if event.data != "[DONE]":
                    loads(event.data)
    parser.close()
    return count


def full(path: Path) -> int:
    result = validate_file(path)
    if not result.ok:
        raise SystemExit(f"the generated stream should be valid: {result.findings[:3]}")
    return result.events


def pure_jsonschema(path: Path, sample: int) -> int:
    import jsonschema  # type: ignore[import-untyped]
    from referencing import Registry, Resource

    folder = ROOT / "schemas" / "assistants" / "v2"
    documents = [json.loads(p.read_text("utf-8")) for p in folder.rglob("*.json")]
    registry: Registry[Any] = Registry().with_resources(
        (doc["$id"], Resource.from_contents(doc)) for doc in documents if "$id" in doc
    )
    validators: dict[str, Any] = {}
    parser = SSEParser(keep_comments=False)
    count = 0
    with open(path, "rb") as handle:
        for block in blocks(handle):
            for event in parser.feed(block):
                if count >= sample:
                    return count
                count += 1
                if event.data == "[DONE]":
                    continue
                validator = validators.get(event.event)
                if validator is None:
                    schema = json.loads((folder / "events" / f"{event.event}.json").read_text())
                    validator = validators[event.event] = jsonschema.Draft202012Validator(
                        schema, registry=registry
                    )
                validator.validate(json.loads(event.data))
    return count


def best(function: Any, *args: Any, rounds: int) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        count = function(*args)
        times.append(time.perf_counter() - start)
    return min(times), count


PEAK = """
import resource, sys
from recorder.validate import validate_file
result = validate_file(sys.argv[1])
assert result.ok, result.findings[:3]
print(result.events, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss(path: Path) -> tuple[int, float, float]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - start
    events, kib = done.stdout.split()
    return int(events), int(kib) / 1024, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller streams, fewer rounds")
    args = parser.parse_args()
    events = 20_000 if args.quick else 100_000
    big = 200_000 if args.quick else 1_000_000
    rounds = 2 if args.quick else 5
    sample = 2_000 if args.quick else 5_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.sse"
        write_stream(path, events)
        size = path.stat().st_size
        # warm up: schema compilation and imports are one-off costs, not per-event ones
        full(path)
        floor_s, n = best(floor, path, rounds=rounds)
        full_s, n_full = best(full, path, rounds=rounds)
        pure_s, n_pure = best(pure_jsonschema, path, sample, rounds=1)
        assert n == n_full == events, (n, n_full, events)
        print(f"## Validation ({events:,} events, {size / 1e6:.1f} MB, best of {rounds})\n")
        print("| what | events/s | time | vs floor |")
        print("| --- | ---: | ---: | ---: |")
        for label, seconds, count in (
            ("floor: parse + json.loads", floor_s, n),
            ("sse-recorder validate (parse, JSON, schemas, rules)", full_s, n_full),
            (f"pure jsonschema per payload ({n_pure:,}-event sample)", pure_s, n_pure),
        ):
            rate = count / seconds
            print(
                f"| {label} | {rate:,.0f} | {seconds * 1000 * events / count:,.0f} ms | "
                f"{(seconds / count) / (floor_s / n):.2f}x |"
            )
        print(
            f"\nFull validation is {(full_s / n_full) / (floor_s / n):.2f}x the floor and "
            f"{(pure_s / n_pure) / (full_s / n_full):.0f}x faster than pure jsonschema.\n"
        )
        big_path = Path(folder) / "big.sse"
        write_stream(big_path, big)
        big_size = big_path.stat().st_size
        count, mib, seconds = peak_rss(big_path)
        print(
            f"## Validation memory\n\nA {count:,}-event raw stream ({big_size / 1e6:.0f} MB) "
            f"validates in a fresh process with a peak RSS of **{mib:.0f} MiB** "
            f"({seconds:.1f} s including start-up).\n"
        )


if __name__ == "__main__":
    main()
