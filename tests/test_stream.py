"""Parsing a recorded interaction: events keep their arrival times."""

from __future__ import annotations

from recorder.cassette import Chunk, Interaction, RecordedRequest
from recorder.cassette.stream import parse_interaction


def test_events_carry_the_time_of_the_chunk_that_completed_them() -> None:
    interaction = Interaction(
        request=RecordedRequest(method="POST", url="/v1/threads/runs"),
        chunks=[
            Chunk(t=0.010, data=b"data: 1\n\nda"),
            Chunk(t=0.250, data=b"ta: 2\n"),
            Chunk(t=0.300, data=b"\n: ping\n"),
        ],
        outcome="complete",
    )
    parsed = parse_interaction(interaction)
    assert [(e.data, parsed.time_of(e)) for e in parsed.events] == [("1", 0.010), ("2", 0.300)]
    assert parsed.size == sum(len(c.data) for c in interaction.chunks)
    assert [c.text for c in parsed.comments] == [" ping"]
    assert parsed.unfinished is None


def test_empty_body() -> None:
    parsed = parse_interaction(Interaction(request=RecordedRequest(method="GET", url="/")))
    assert parsed.events == [] and parsed.chunk_times == [] and parsed.size == 0
