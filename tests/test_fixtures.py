"""The shipped fixtures show what the tool is for: at least one cassette keeps the chunking and
the arrival times of a real socket, and says where it comes from."""

from __future__ import annotations

import itertools

from recorder.cassette import load_cassette
from recorder.wire.sse import parse_bytes
from tests.conftest import CASSETTES, FIXTURES

PACED = CASSETTES / "paced" / "openllmetry-code-interpreter-run.jsonl"


def test_a_shipped_cassette_has_real_chunking_and_arrival_times() -> None:
    (interaction,) = load_cassette(PACED).interactions
    times = [chunk.t for chunk in interaction.chunks]
    events = parse_bytes(interaction.body)[0]
    assert interaction.outcome == "complete"
    assert len(interaction.chunks) > 50 and len(events) > 50
    assert times == sorted(times) and times[0] > 0
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # Pauses of a live run: tokens tens of ms apart, tool steps taking seconds.
    assert len({round(gap, 3) for gap in gaps}) > 20
    assert max(gaps) > 0.3 and interaction.ended_at is not None and interaction.ended_at > 2


def test_the_body_is_the_real_capture_it_names() -> None:
    source = FIXTURES / "real-streams/assistants/openllmetry-streaming-new-assistant-20260331.sse"
    assert load_cassette(PACED).interactions[0].body == source.read_bytes()


def test_sources_names_how_it_was_recorded() -> None:
    sources = (CASSETTES / "SOURCES.md").read_text(encoding="utf-8")
    assert f"`{PACED.name}`" in sources
    assert "fixtures/tools/record_paced.py" in sources
    assert (FIXTURES / "tools" / "record_paced.py").is_file()
