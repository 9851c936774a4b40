"""A generated Assistants run stream of any size, shared by the benchmarks.

Realistic shape: thread and run lifecycle, a message_creation step, one message whose text
arrives as many small deltas (as real streams do), completion events and ``done``.
"""

from __future__ import annotations

import json

RUN = {
    "id": "run_bench",
    "object": "thread.run",
    "created_at": 1714000000,
    "assistant_id": "asst_bench",
    "thread_id": "thread_bench",
    "status": "queued",
    "started_at": None,
    "expires_at": 1714000600,
    "cancelled_at": None,
    "failed_at": None,
    "completed_at": None,
    "required_action": None,
    "last_error": None,
    "model": "gpt-4o",
    "instructions": "Be brief.",
    "tools": [],
    "tool_resources": {},
    "metadata": {},
    "temperature": 1.0,
    "top_p": 1.0,
    "max_completion_tokens": None,
    "max_prompt_tokens": None,
    "truncation_strategy": {"type": "auto", "last_messages": None},
    "incomplete_details": None,
    "usage": None,
    "response_format": "auto",
    "tool_choice": "auto",
    "parallel_tool_calls": True,
}


def _event(name: str, payload: object) -> str:
    data = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    return f"event: {name}\ndata: {data}\n\n"


def assistants_stream(events: int) -> bytes:
    """A valid create-thread-and-run stream with exactly ``events`` events (at least 13)."""
    if events < 13:
        raise ValueError("an Assistants stream with a message delta has at least 13 events")
    deltas = events - 12
    thread = {
        "id": "thread_bench",
        "object": "thread",
        "created_at": 1714000000,
        "metadata": {},
        "tool_resources": {},
    }
    step = {
        "id": "step_bench",
        "object": "thread.run.step",
        "created_at": 1714000001,
        "run_id": "run_bench",
        "assistant_id": "asst_bench",
        "thread_id": "thread_bench",
        "type": "message_creation",
        "status": "in_progress",
        "cancelled_at": None,
        "completed_at": None,
        "expired_at": None,
        "failed_at": None,
        "last_error": None,
        "step_details": {"type": "message_creation", "message_creation": {"message_id": "msg_b"}},
        "usage": None,
        "metadata": {},
    }
    message = {
        "id": "msg_b",
        "object": "thread.message",
        "created_at": 1714000001,
        "assistant_id": "asst_bench",
        "thread_id": "thread_bench",
        "run_id": "run_bench",
        "status": "in_progress",
        "incomplete_details": None,
        "incomplete_at": None,
        "completed_at": None,
        "role": "assistant",
        "content": [],
        "attachments": [],
        "metadata": {},
    }
    words = [f"w{n} " for n in range(deltas)]
    text = "".join(words)
    usage = {"prompt_tokens": 10, "completion_tokens": deltas, "total_tokens": 10 + deltas}
    parts = [
        _event("thread.created", thread),
        _event("thread.run.created", RUN),
        _event("thread.run.queued", RUN),
        _event(
            "thread.run.in_progress", {**RUN, "status": "in_progress", "started_at": 1714000001}
        ),
        _event("thread.run.step.created", step),
        _event("thread.run.step.in_progress", step),
        _event("thread.message.created", message),
        _event("thread.message.in_progress", message),
    ]
    parts.extend(
        _event(
            "thread.message.delta",
            {
                "id": "msg_b",
                "object": "thread.message.delta",
                "delta": {
                    "content": [
                        {"index": 0, "type": "text", "text": {"value": word, "annotations": []}}
                    ]
                },
            },
        )
        for word in words
    )
    final_content = [{"type": "text", "text": {"value": text, "annotations": []}}]
    done_message = {
        **message,
        "status": "completed",
        "completed_at": 1714000009,
        "content": final_content,
    }
    done_step = {**step, "status": "completed", "completed_at": 1714000009, "usage": usage}
    done_run = {
        **RUN,
        "status": "completed",
        "started_at": 1714000001,
        "completed_at": 1714000009,
        "usage": usage,
    }
    parts += [
        _event("thread.message.completed", done_message),
        _event("thread.run.step.completed", done_step),
        _event("thread.run.completed", done_run),
        _event("done", "[DONE]"),
    ]
    return "".join(parts).encode("utf-8")
