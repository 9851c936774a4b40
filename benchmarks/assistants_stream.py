"""A generated Assistants run stream of any size, shared by the benchmarks.

A valid create-thread-and-run stream: a thread, a run, many message_creation steps whose
messages arrive as hundreds of small text deltas (as real streams do), and code_interpreter
tool steps streaming their input; then the run's completion and ``done``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["assistants_stream", "stream", "write_stream"]

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


def assistants_stream(events: int) -> bytes:
    """The whole stream of exactly ``events`` events (at least 13), in memory."""
    return b"".join(stream(events))
