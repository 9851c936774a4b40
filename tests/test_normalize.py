"""Ids and timestamps become stable placeholders; everything else is kept."""

from __future__ import annotations

import json

import pytest

from recorder.cassette import load_cassette
from recorder.cassette.stream import parse_interaction
from recorder.report.normalize import Normalizer, normalize_events
from recorder.wire.sse import ServerSentEvent, parse_bytes
from tests.conftest import CASSETTES


def _event(name: str, payload: object) -> ServerSentEvent:
    return ServerSentEvent(event=name, data=json.dumps(payload))


def test_same_id_maps_to_the_same_placeholder_everywhere() -> None:
    events = [
        _event("thread.run.created", {"id": "run_Abc123", "thread_id": "thread_Xy9"}),
        _event("thread.run.step.created", {"id": "step_Q1", "run_id": "run_Abc123"}),
        _event("thread.run.created", {"id": "run_Other7", "thread_id": "thread_Xy9"}),
    ]
    result = normalize_events(events)
    assert result[0]["data"] == {"id": "<run_1>", "thread_id": "<thread_1>"}
    assert result[1]["data"] == {"id": "<step_1>", "run_id": "<run_1>"}
    assert result[2]["data"] == {"id": "<run_2>", "thread_id": "<thread_1>"}


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("created_at", 1761861742, "<timestamp>"),
        ("completed_at", None, None),  # "not set yet" is meaning: kept
        ("expires_at", 1761862342.5, "<timestamp>"),
        ("created", 1700000000, "<timestamp>"),
        ("temperature", 1.0, 1.0),
        ("status", "queued", "queued"),
        ("file_ids", ["file-AbC123", "file-Zz9"], ["<file_1>", "<file_2>"]),
        ("model", "gpt-4o", "gpt-4o"),
        ("id", "42", "<id_1>"),
        ("tool_call_id", "0123", "<tool_call_1>"),
    ],
)
def test_volatile_fields(key: str, value: object, expected: object) -> None:
    [result] = normalize_events([{"event": "x", "data": {key: value}}])
    assert result["data"] == {key: expected}


def test_known_ids_are_replaced_in_other_strings_and_urls() -> None:
    normalizer = Normalizer()
    normalize_events([_event("thread.created", {"id": "thread_Ab12"})], normalizer=normalizer)
    assert normalizer.text("/v1/threads/thread_Ab12/runs") == "/v1/threads/<thread_1>/runs"
    [event] = normalize_events(
        [_event("x", {"note": "thread_Ab12", "other": "thread_new"})], normalizer=normalizer
    )
    assert event["data"] == {"note": "<thread_1>", "other": "thread_new"}


def test_an_id_that_begins_another_does_not_cut_it_in_text() -> None:
    normalizer = Normalizer()
    normalizer.payload([{"id": "run_1"}, {"id": "run_12"}])
    assert normalizer.text("/runs/run_12 then run_1") == "/runs/<run_2> then <run_1>"


def test_non_json_data_sse_id_and_retry() -> None:
    events, _ = parse_bytes(b"id: evt-000001\nretry: 50\nevent: done\ndata: [DONE]\n\n")
    assert normalize_events(events) == [
        {"event": "done", "data": "[DONE]", "id": "<evt_1>", "retry": 50}
    ]


def test_structure_is_kept_so_two_real_recordings_of_one_shape_normalize_alike() -> None:
    """Normalizing is deterministic and removes every id and timestamp of a real run."""
    cassette = load_cassette(CASSETTES / "real" / "dotnet-streaming-run.jsonl")
    events = parse_interaction(cassette.interactions[0]).events
    once = normalize_events(events)
    again = normalize_events(events)
    assert once == again
    flat = json.dumps(once)
    assert "run_Uy45lNz2P7BpJcqWzQkXl1Bu" not in flat
    assert "1761861742" not in flat
    assert once[0]["data"]["id"] == "<run_1>"
    assert once[0]["data"]["model"] == "gpt-4o"
