"""A cassette interaction's body parsed into events, with arrival times.

This joins the two halves of the core: the cassette (chunks + times) and the sans-I/O parser
(events + positions). Validators, ``show``, ``diff`` and snapshots all start here.
"""

from __future__ import annotations

from dataclasses import dataclass

from recorder.cassette import Interaction
from recorder.wire.sse import DecodeIssue, ServerSentEvent, SSEComment, SSEParser

__all__ = ["ParsedStream", "parse_interaction"]


@dataclass(frozen=True, slots=True)
class ParsedStream:
    """Events of one body plus what the parser noticed on the way."""

    events: list[ServerSentEvent]
    comments: list[SSEComment]
    decode_errors: list[DecodeIssue]
    #: ``(offset, line)`` of an event the body ended in the middle of, else None.
    unfinished: tuple[int, int] | None
    #: Arrival time (seconds since the request) of each chunk, by chunk index.
    chunk_times: list[float]
    #: Total body size in bytes.
    size: int

    def time_of(self, event: ServerSentEvent) -> float:
        """When the chunk that completed ``event`` arrived (seconds since the request)."""
        if not self.chunk_times:
            return 0.0
        return self.chunk_times[min(event.chunk_index, len(self.chunk_times) - 1)]


def parse_interaction(interaction: Interaction, *, keep_comments: bool = True) -> ParsedStream:
    """Feed an interaction's chunks, as they arrived, through a fresh parser."""
    parser = SSEParser(keep_comments=keep_comments)
    events: list[ServerSentEvent] = []
    times: list[float] = []
    size = 0
    for chunk in interaction.chunks:
        times.append(chunk.t)
        size += len(chunk.data)
        events.extend(parser.feed(chunk.data))
    events.extend(parser.close())
    return ParsedStream(
        events=events,
        comments=parser.comments,
        decode_errors=parser.decode_errors,
        unfinished=parser.unfinished,
        chunk_times=times,
        size=size,
    )
