"""Plain JSON responses of the endpoints a profile lists (recorder/validate/json_endpoints.py):
the Assistants runs and steps (list, retrieve, modify, cancel), checked against the object
schemas, list pages by first_id/last_id/has_more, and a run retrieved after a stream against the
stream's folded run. Real cassettes, validated through the runner and the CLI."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from recorder.cassette import Cassette, Chunk, Interaction, RecordedRequest, RecordedResponse
from recorder.validate.runner import validate_cassette
from tests.assistants_streams import CREATE_RUN, cassette, message_run

RUN_URL = "https://api.openai.com/v1/threads/thread_1/runs/run_1"


def _final_run() -> dict[str, Any]:
    """The run of message_run()'s last run event (thread.run.completed)."""
    (run,) = [p for name, p in message_run() if name == "thread.run.completed"]
    return copy.deepcopy(run)


def _json(method: str, url: str, body: Any, status: int = 200) -> Interaction:
    return Interaction(
        request=RecordedRequest(method=method, url=url),
        response=RecordedResponse(status=status, headers=[("content-type", "application/json")]),
        chunks=[Chunk(t=0.0, data=json.dumps(body).encode())],
        outcome="complete",
        ended_at=0.0,
    )


def _with(*interactions: Interaction) -> Cassette:
    streamed = cassette((CREATE_RUN, message_run()))
    return streamed.model_copy(update={"interactions": [*streamed.interactions, *interactions]})


def _rules(found: list[Any]) -> set[tuple[str, int | None, str | None]]:
    return {(f.rule, f.interaction, f.json_path) for f in found}


def test_a_retrieved_run_that_agrees_with_the_stream_passes() -> None:
    assert validate_cassette(_with(_json("GET", RUN_URL, _final_run()))) == []


def test_a_retrieved_run_that_disagrees_with_the_stream_is_j2() -> None:
    run = _final_run()
    run["status"] = "failed"
    found = validate_cassette(_with(_json("GET", RUN_URL, run)))
    assert ("J2", 1, "$.status") in _rules(found)
    (j2,) = [f for f in found if f.rule == "J2"]
    assert "'completed' -> 'failed'" in j2.message


def test_a_retrieved_run_that_breaks_the_schema_is_j1() -> None:
    run = _final_run()
    run["status"] = 7
    found = validate_cassette(_with(_json("GET", RUN_URL, run)))
    assert ("J1", 1, "$.status") in _rules(found)


def test_list_pages_are_checked_item_by_item_and_by_their_ids() -> None:
    run = _final_run()
    page = {"object": "list", "data": [run], "first_id": run["id"], "last_id": run["id"]}
    good = _json(
        "GET", "https://api.openai.com/v1/threads/thread_1/runs", {**page, "has_more": False}
    )
    assert validate_cassette(_with(good)) == []
    bad = _json(
        "GET",
        "https://api.openai.com/v1/threads/thread_1/runs",
        {**page, "last_id": "run_9", "has_more": "no"},
    )
    rules = _rules(validate_cassette(_with(bad)))
    assert ("J1", 1, "$.last_id") in rules and ("J1", 1, "$.has_more") in rules


def test_cancel_modify_and_steps_are_listed_endpoints() -> None:
    run = _final_run()
    (step,) = [p for name, p in message_run() if name == "thread.run.step.completed"]
    for interaction in (
        _json("POST", RUN_URL + "/cancel", {**run, "status": 3}),
        _json("POST", RUN_URL, {**run, "status": 3}),
        _json("GET", RUN_URL + "/steps/step_1", {**step, "status": 3}),
    ):
        assert ("J1", 1, "$.status") in _rules(validate_cassette(_with(interaction)))


def test_an_error_response_is_not_the_object() -> None:
    failed = _json("GET", RUN_URL, {"error": {"message": "no such run"}}, status=404)
    assert validate_cassette(_with(failed)) == []


def test_the_cli_exits_1_on_a_retrieved_run_that_breaks_its_schema(tmp_path: Path) -> None:
    run = _final_run()
    run["status"] = 7
    path = tmp_path / "run.jsonl"
    _with(_json("GET", RUN_URL, run)).save(path)
    done = subprocess.run(
        [sys.executable, "-m", "recorder", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "J1" in done.stdout
