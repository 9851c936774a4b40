"""Shared test fixtures: where the repository's fixtures and the team's shared/ material are."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
CASSETTES = FIXTURES / "cassettes"
#: Real captures and parser vectors vendored from the team's reference material (sources and
#: licences in each folder's SOURCES.md / README.md), so a user's clone runs every test.
REAL_STREAMS = FIXTURES / "real-streams"
SSE_VECTORS = FIXTURES / "sse-vectors"
_VENDORED = {"real-streams": REAL_STREAMS, "sse-vectors": SSE_VECTORS}


def shared_path(first: str, *parts: str) -> Path:
    """A vendored reference file (``real-streams/...``, ``sse-vectors/...``); it must exist."""
    path = _VENDORED[first].joinpath(*parts)
    assert path.exists(), f"vendored fixture missing: {path}"
    return path
