"""The Assistants fold against the openai library (differential): every real body in
fixtures/real-streams/assistants/ is served by a local uvicorn server to
``client.beta.threads.runs.stream(...)`` (the library's beta Assistants streaming helper,
``AssistantEventHandler``, still in openai 3.57), and ``get_final_run()``,
``get_final_messages()`` and ``get_final_run_steps()`` must equal the fold's run, messages and
steps. ``sse-recorder final`` prints the same fold."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from recorder.profiles.assistants.fold import AssistantsFold
from recorder.wire.sse import parse_bytes
from tests.upstream import Received, Script, Upstream, split_events

FOLDER = Path(__file__).resolve().parents[1] / "fixtures" / "real-streams" / "assistants"
#: Bodies the library cannot read as a run stream (no events before the parser gives up, or
#: no run event: it raises "No final run object found").
BODIES = sorted(p.name for p in FOLDER.glob("*.sse") if not p.name.startswith("php-derived"))


def _script(received: Received) -> Script:
    return Script(split_events((FOLDER / (received.header("x-fixture") or "")).read_bytes()), gap=0)


@pytest.fixture(scope="module")
def client() -> Iterator[openai.OpenAI]:
    routes: dict[tuple[str, str], Any] = {("POST", "/v1/threads/thread_x/runs"): _script}
    with (
        Upstream(routes).serve() as server,
        openai.OpenAI(base_url=server.url + "/v1", api_key="test", max_retries=0) as oai,
    ):
        yield oai


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json", exclude_unset=True, by_alias=True, warnings=False)


def _fold(name: str) -> dict[str, Any] | None:
    events, _ = parse_bytes((FOLDER / name).read_bytes())
    fold = AssistantsFold()
    for event in events:
        try:
            payload = json.loads(event.data)
        except ValueError:
            continue
        fold.feed(event.event, payload)
    return fold.result()


@pytest.mark.parametrize("name", BODIES)
def test_fold_equals_the_library(name: str, client: openai.OpenAI) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        manager = client.beta.threads.runs.stream(
            thread_id="thread_x", assistant_id="asst_x", extra_headers={"x-fixture": name}
        )
    folded = _fold(name)
    assert folded is not None
    with manager as stream:
        stream.until_done()
        run = _dump(stream.current_run) if stream.current_run is not None else None
        try:
            messages = [_dump(m) for m in stream.get_final_messages()]
        except RuntimeError:  # "No messages found"
            messages = []
        try:
            steps = [_dump(s) for s in stream.get_final_run_steps()]
        except RuntimeError:  # "No run steps found"
            steps = []
    assert folded["run"] == run
    assert [_message(m) for m in folded["messages"]] == [_message(m) for m in messages]
    assert [_step(s) for s in folded["steps"]] == [_step(s) for s in steps]


# The library's typed models drop what their types do not declare (a content part's and an
# annotation's ``index``, a file citation's ``quote``), which the fold keeps as it came: the
# comparison is of what the types declare and a user reads.


def _message(message: dict[str, Any]) -> Any:
    return (
        message.get("id"),
        message.get("status"),
        [
            (
                part.get("type"),
                (part.get("text") or {}).get("value"),
                [
                    (a.get("type"), a.get("text"), a.get("start_index"), a.get("end_index"))
                    for a in (part.get("text") or {}).get("annotations") or []
                ],
            )
            for part in message.get("content") or []
        ],
    )


def _step(step: dict[str, Any]) -> Any:
    details = step.get("step_details") or {}
    return (
        step.get("id"),
        step.get("status"),
        step.get("type"),
        details.get("message_creation"),
        [
            (
                call.get("id"),
                call.get("type"),
                (call.get("function") or {}).get("name"),
                (call.get("function") or {}).get("arguments"),
                (call.get("code_interpreter") or {}).get("input"),
            )
            for call in details.get("tool_calls") or []
        ],
    )


def test_final_prints_the_fold() -> None:
    name = "dotnet-streamingrunworks-runs-20250916.sse"
    done = subprocess.run(
        [sys.executable, "-m", "recorder", "final", "--format", "json", str(FOLDER / name)],
        capture_output=True,
        text=True,
        check=True,
    )
    (line,) = done.stdout.strip().splitlines()
    shown = json.loads(line)
    assert shown["profile"] == "assistants"
    assert shown["final"] == _fold(name)
    assert shown["final"]["run"]["status"] == "completed"
