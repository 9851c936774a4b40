"""Comparing two recordings by meaning."""

from __future__ import annotations

import json
from typing import Any

from recorder.cassette import Cassette, Chunk, RecordedRequest, load_cassette
from recorder.report.diff import diff_cassettes, render_diff
from recorder.wire.sse import encode_event
from tests.conftest import CASSETTES

REAL = CASSETTES / "real"


def _stream(
    events: list[tuple[str, Any]], *, url: str = "/v1/threads/thread_Ab12/runs"
) -> Cassette:
    body = b"".join(
        encode_event(data if isinstance(data, str) else json.dumps(data), event=name)
        for name, data in events
    )
    return Cassette.from_sse(body, request=RecordedRequest(method="POST", url=url))


def _run(run_id: str, status: str, created: int = 1700000000) -> dict[str, Any]:
    return {"id": run_id, "object": "thread.run", "created_at": created, "status": status}


def _delta(message_id: str, text: str, index: int = 0) -> dict[str, Any]:
    return {
        "id": message_id,
        "object": "thread.message.delta",
        "delta": {"content": [{"index": index, "type": "text", "text": {"value": text}}]},
    }


def _kinds(a: Cassette, b: Cassette, **options: bool) -> list[str]:
    return [difference.kind for difference in diff_cassettes(a, b, **options)]


def test_a_recording_equals_itself_and_a_copy_with_other_ids_timestamps_and_chunks() -> None:
    a = _stream(
        [
            ("thread.run.created", _run("run_One111", "queued")),
            ("thread.message.delta", _delta("msg_A1", "Hello")),
            ("thread.message.delta", _delta("msg_A1", " world")),
            ("done", "[DONE]"),
        ]
    )
    b = _stream(
        [
            ("thread.run.created", _run("run_Two222", "queued", created=1800000000)),
            ("thread.message.delta", _delta("msg_B2", "Hello")),
            ("thread.message.delta", _delta("msg_B2", " world")),
            ("done", "[DONE]"),
        ],
        url="/v1/threads/thread_Zz99/runs",
    )
    # Re-chunk b: the chunking is transport, not meaning.
    body = b.interactions[0].body
    b.interactions[0].chunks = [Chunk(t=0.1, data=body[:17]), Chunk(t=0.5, data=body[17:])]
    assert diff_cassettes(a, a) == []
    assert diff_cassettes(a, b) == []
    assert _kinds(a, b, exact=True)  # but not byte-equal
    assert "equal" in list(render_diff([], "a", "b"))[-1]


def test_payload_differences_name_their_json_path() -> None:
    a = _stream([("thread.run.created", _run("run_One111", "queued"))])
    b = _stream([("thread.run.created", {**_run("run_One111", "in_progress"), "extra": 1})])
    differences = diff_cassettes(a, b)
    paths = {d.json_path: d for d in differences if d.kind == "payload"}
    assert set(paths) == {"$.status", "$.extra"}
    # The profile's fold (the run as the official library accumulates it) differs the same way.
    final = {d.json_path for d in differences if d.kind == "text"}
    assert final == {"$.run.status", "$.run.extra"}
    assert paths["$.status"].message.endswith('"queued" in A, "in_progress" in B')
    assert paths["$.status"].a_index == 0 and paths["$.status"].interaction == 0
    assert "only in B" in paths["$.extra"].message


def test_moved_missing_and_extra_events() -> None:
    names_a = ["thread.run.created", "thread.run.queued", "thread.run.step.created", "done"]
    names_b = [
        "thread.run.created",
        "thread.run.step.created",
        "thread.run.queued",
        "error",
        "done",
    ]
    a = _stream([(name, {"n": 1}) for name in names_a])
    b = _stream([(name, {"n": 1}) for name in names_b])
    differences = diff_cassettes(a, b)
    kinds = sorted(d.kind for d in differences)
    assert kinds == ["extra", "order"]
    moved = next(d for d in differences if d.kind == "order")
    assert "moved" in moved.message
    extra = next(d for d in differences if d.kind == "extra")
    assert extra.b_index == 3 and "error" in extra.message


def test_different_delta_chunking_of_the_same_text_is_only_a_count_difference() -> None:
    a = _stream([("thread.message.delta", _delta("msg_1x", t)) for t in ("Hel", "lo")])
    b = _stream([("thread.message.delta", _delta("msg_2y", t)) for t in ("H", "el", "lo")])
    differences = diff_cassettes(a, b)
    assert [d.kind for d in differences] == ["extra"]
    assert "thread.message.delta" in differences[0].message


def test_final_accumulated_text_difference_is_reported_with_its_path() -> None:
    a = _stream([("thread.message.delta", _delta("msg_1x", t)) for t in ("Hel", "lo")])
    b = _stream([("thread.message.delta", _delta("msg_1x", t)) for t in ("Hel", "p!")])
    differences = diff_cassettes(a, b)
    [text] = [d for d in differences if d.kind == "text"]
    assert text.json_path == "$.content[0].text.value"
    assert '"Hello" in A, "Help!" in B' in text.message
    # --exact also reports the fragment itself
    exact = diff_cassettes(a, b, exact=True)
    assert any(d.kind == "payload" and d.a_index == 1 for d in exact)


def test_responses_style_text_deltas_are_concatenated() -> None:
    def stream(pieces: list[str]) -> Cassette:
        return _stream(
            [
                ("response.output_text.delta", {"item_id": "msg_9z", "delta": piece})
                for piece in pieces
            ]
        )

    assert diff_cassettes(stream(["a", "b"]), stream(["a", "b"])) == []
    [difference] = [
        d for d in diff_cassettes(stream(["a", "b"]), stream(["a", "c"])) if d.kind == "text"
    ]
    assert '"ab" in A, "ac" in B' in difference.message


def test_request_status_outcome_and_interaction_count() -> None:
    a = load_cassette(REAL / "dotnet-tool-call-then-submit.jsonl")
    b = load_cassette(REAL / "dotnet-streaming-run.jsonl")
    kinds = _kinds(a, b)
    assert kinds[0] == "interactions"
    assert "request" in kinds
    c = a.model_copy(deep=True)
    c.interactions[1].outcome = "upstream-closed"
    assert _kinds(a, c) == ["outcome"]


def test_real_continuation_keeps_placeholders_consistent_across_interactions() -> None:
    a = load_cassette(REAL / "dotnet-tool-call-then-submit.jsonl")
    assert diff_cassettes(a, a.model_copy(deep=True)) == []
    lines = list(
        render_diff(diff_cassettes(a, load_cassette(REAL / "dotnet-file-search.jsonl")), "A", "B")
    )
    assert lines[0] == "A: A" and lines[-1].split()[1] == "differences"


def test_long_streams_align_by_runs_and_report_a_shifted_run_once() -> None:
    deltas = [("thread.message.delta", _delta("msg_1x", "w")) for _ in range(1000)]
    a = _stream([("thread.run.created", _run("run_1a", "queued")), *deltas, ("done", "[DONE]")])
    b = _stream(
        [
            ("thread.run.created", _run("run_1a", "queued")),
            *deltas[:600],
            ("error", {"message": "hiccup"}),
            *deltas[600:],
            ("done", "[DONE]"),
        ]
    )
    differences = diff_cassettes(a, b)
    assert [d.kind for d in differences] == ["order", "extra"]
    order, extra = differences
    assert order.message == (
        "thread.message.delta x400 moved: events 601-1000 in A are events 602-1001 in B"
    )
    assert extra.b_index == 601 and "error" in extra.message
