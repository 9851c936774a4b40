"""Small, valid Assistants run streams built in code, for rule tests to break one at a time.

Each builder returns a list of ``[event name, payload]`` pairs (payload: a dict, or a string
sent as is); ``body()`` serializes them with the project's own ``encode_event``.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from recorder.cassette import Cassette, Chunk, Interaction, RecordedRequest, RecordedResponse
from recorder.wire.sse import encode_event

THREAD, RUN, ASSISTANT = "thread_1", "run_1", "asst_1"
Events = list[list[Any]]

CREATE_RUN = RecordedRequest(
    method="POST",
    url=f"https://api.openai.com/v1/threads/{THREAD}/runs",
    headers=[("OpenAI-Beta", "assistants=v2")],
)
CREATE_THREAD_AND_RUN = RecordedRequest(
    method="POST",
    url="https://api.openai.com/v1/threads/runs",
    headers=[("OpenAI-Beta", "assistants=v2")],
)


def submit_request(run: str = RUN, outputs: list[dict[str, str]] | None = None) -> RecordedRequest:
    body = json.dumps({"tool_outputs": outputs or [], "stream": True}).encode()
    return RecordedRequest(
        method="POST",
        url=f"https://api.openai.com/v1/threads/{THREAD}/runs/{run}/submit_tool_outputs",
        headers=[("OpenAI-Beta", "assistants=v2")],
        body=body,
    )


def run_object(status: str, **changes: Any) -> dict[str, Any]:
    run: dict[str, Any] = {
        "id": RUN,
        "object": "thread.run",
        "created_at": 1700000000,
        "assistant_id": ASSISTANT,
        "thread_id": THREAD,
        "status": status,
        "started_at": None if status == "queued" else 1700000001,
        "expires_at": 1700000600,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": 1700000009 if status == "completed" else None,
        "required_action": None,
        "last_error": None,
        "model": "gpt-4o",
        "instructions": "Be brief.",
        "tools": [],
        "metadata": {},
        "incomplete_details": None,
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
        if status == "completed"
        else None,
        "temperature": 1.0,
        "top_p": 1.0,
        "max_prompt_tokens": None,
        "max_completion_tokens": None,
        "truncation_strategy": {"type": "auto", "last_messages": None},
        "response_format": "auto",
        "tool_choice": "auto",
        "parallel_tool_calls": True,
    }
    run.update(changes)
    return run


def step_object(step: str, status: str, details: dict[str, Any], **changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": step,
        "object": "thread.run.step",
        "created_at": 1700000002,
        "run_id": RUN,
        "assistant_id": ASSISTANT,
        "thread_id": THREAD,
        "type": details["type"],
        "status": status,
        "cancelled_at": None,
        "completed_at": 1700000008 if status == "completed" else None,
        "expired_at": None,
        "failed_at": None,
        "last_error": None,
        "step_details": details,
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
        if status == "completed"
        else None,
        "metadata": {},
    }
    obj.update(changes)
    return obj


def message_object(message: str, status: str, text: str | None, **changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": message,
        "object": "thread.message",
        "created_at": 1700000003,
        "thread_id": THREAD,
        "status": status,
        "incomplete_details": None,
        "completed_at": 1700000007 if status == "completed" else None,
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
    obj.update(changes)
    return obj


def text_delta(message: str, value: str, index: int = 0) -> dict[str, Any]:
    return {
        "id": message,
        "object": "thread.message.delta",
        "delta": {"content": [{"index": index, "type": "text", "text": {"value": value}}]},
    }


def message_run(pieces: tuple[str, ...] = ("Hel", "lo")) -> Events:
    """A create-run stream writing one message; indexes: 0 run.created ... 9 message.completed,
    10 step.completed, 11 run.completed, 12 done (with the default two deltas)."""
    details = {"type": "message_creation", "message_creation": {"message_id": "msg_1"}}
    events: Events = [
        ["thread.run.created", run_object("queued")],
        ["thread.run.queued", run_object("queued")],
        ["thread.run.in_progress", run_object("in_progress")],
        ["thread.run.step.created", step_object("step_1", "in_progress", details)],
        ["thread.run.step.in_progress", step_object("step_1", "in_progress", details)],
        ["thread.message.created", message_object("msg_1", "in_progress", None)],
        ["thread.message.in_progress", message_object("msg_1", "in_progress", None)],
    ]
    events += [["thread.message.delta", text_delta("msg_1", piece)] for piece in pieces]
    events += [
        ["thread.message.completed", message_object("msg_1", "completed", "".join(pieces))],
        ["thread.run.step.completed", step_object("step_1", "completed", details)],
        ["thread.run.completed", run_object("completed")],
        ["done", "[DONE]"],
    ]
    return events


def _call(call_id: str, arguments: str, output: str | None = None) -> dict[str, Any]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": "get_weather", "arguments": arguments, "output": output},
    }


def _tool_call_delta(call: dict[str, Any]) -> dict[str, Any]:
    """A thread.run.step.delta of step_t carrying one tool-call delta."""
    return {
        "id": "step_t",
        "object": "thread.run.step.delta",
        "delta": {"step_details": {"type": "tool_calls", "tool_calls": [call]}},
    }


def tool_call_run(arguments: tuple[str, ...] = ('{"city":', '"Oslo"}')) -> Events:
    """A create-thread-and-run stream stopping at requires_action; indexes: 0 thread.created,
    1-3 run created/queued/in_progress, 4-5 step, 6.. deltas, then requires_action, done."""
    empty = {"type": "tool_calls", "tool_calls": []}
    first = _tool_call_delta(
        {
            "index": 0,
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": "", "output": None},
        }
    )
    events: Events = [
        [
            "thread.created",
            {
                "id": THREAD,
                "object": "thread",
                "created_at": 1699999999,
                "metadata": {},
                "tool_resources": {},
            },
        ],
        ["thread.run.created", run_object("queued")],
        ["thread.run.queued", run_object("queued")],
        ["thread.run.in_progress", run_object("in_progress")],
        ["thread.run.step.created", step_object("step_t", "in_progress", empty)],
        ["thread.run.step.in_progress", step_object("step_t", "in_progress", empty)],
        ["thread.run.step.delta", first],
    ]
    for piece in arguments:
        call = {"index": 0, "type": "function", "function": {"arguments": piece}}
        events.append(["thread.run.step.delta", _tool_call_delta(call)])
    action = {
        "type": "submit_tool_outputs",
        "submit_tool_outputs": {"tool_calls": [_call("call_1", "".join(arguments))]},
    }
    for call in action["submit_tool_outputs"]["tool_calls"]:
        del call["function"]["output"]
    events += [
        ["thread.run.requires_action", run_object("requires_action", required_action=action)],
        ["done", "[DONE]"],
    ]
    return events


def submit_run(output: str = "sunny") -> Events:
    """The continuation of ``tool_call_run`` after submit_tool_outputs: 0 step.completed (the
    tool step), 1 queued, 2 in_progress, then a message as in ``message_run``."""
    details = {"type": "tool_calls", "tool_calls": [_call("call_1", '{"city":"Oslo"}', output)]}
    events: Events = [
        ["thread.run.step.completed", step_object("step_t", "completed", details)],
        ["thread.run.queued", run_object("queued", started_at=1700000001)],
        ["thread.run.in_progress", run_object("in_progress", started_at=1700000005)],
    ]
    rest = message_run(("Sun", "ny"))[3:]
    for _, payload in rest:
        if isinstance(payload, dict) and payload.get("object") == "thread.run":
            payload["started_at"] = 1700000005
    return events + rest


def body(events: Events) -> bytes:
    """The events as an SSE body."""
    return b"".join(
        encode_event(
            payload if isinstance(payload, str) else json.dumps(payload),
            event=name,
        )
        for name, payload in events
    )


def cassette(*streams: tuple[RecordedRequest | None, Events]) -> Cassette:
    """A cassette with one interaction per ``(request, events)``; None: a raw body."""
    if len(streams) == 1 and streams[0][0] is None:
        return Cassette.from_sse(body(streams[0][1]))
    return Cassette(
        profile="assistants",
        interactions=[
            Interaction(
                request=request or RecordedRequest(method="POST", url="/"),
                response=RecordedResponse(
                    status=200, headers=[("content-type", "text/event-stream")]
                ),
                chunks=[Chunk(t=0.0, data=body(events))],
                outcome="complete",
                ended_at=0.0,
            )
            for request, events in streams
        ],
    )


def clone(events: Events) -> Events:
    """A deep copy, to mutate."""
    return copy.deepcopy(events)
