"""Framing checks below the events: what lies between them that no event came from.

The parser rightly drops an event block without ``data`` (``event: x`` alone) and ignores
lines that are not SSE fields; clients never see either, so a validator must say so. This is
profile-independent; the finding's rule id comes from the profile (``Profile.framing_rule``).
"""

from __future__ import annotations

from recorder.validate.findings import Finding, Severity
from recorder.wire.sse import ServerSentEvent

__all__ = ["BetweenEvents", "line_after"]


def line_after(event: ServerSentEvent) -> int:
    """The line the next event starts on when nothing lies between them: after ``event``'s
    event line (unless unnamed), its data lines and the blank line."""
    return event.line + event.data.count("\n") + 2 + (event.event != "message")


#: Bytes between two events beyond which the lines between them are not looked at.
SCAN_LIMIT = 1 << 20


class BetweenEvents:
    """Lines between events that no event came from: a block without data, a stray line.

    The parser rightly drops a block without ``data`` (``event: x`` alone): clients never see
    it, so a validator must say so. Each event's expected first line follows from the one
    before; only when an event starts later are the bytes in between looked at (they are
    still in the last chunks, which is all this keeps).

    Memory stays bounded however far apart events are: a scan only reads the ``SCAN_LIMIT``
    bytes after the previous event's start, and the next event starts within ``SCAN_LIMIT``
    of the newest chunk unless its own block is longer (then the scan after it is skipped
    too), so only those two windows are kept.
    """

    __slots__ = ("chunks", "expected_line", "interaction", "previous", "rule", "size", "trimmed")

    def __init__(self, rule: str, interaction: int | None) -> None:
        self.rule = rule
        self.interaction = interaction
        self.chunks: list[tuple[int, bytes]] = []  # (offset, data) from the previous event on
        self.size = 0
        self.trimmed = 0  # self.size when the kept chunks were last trimmed
        self.previous: ServerSentEvent | None = None
        self.expected_line = 1

    def add(self, chunk: bytes) -> None:
        chunks = self.chunks
        chunks.append((self.size, chunk))
        self.size += len(chunk)
        # Checked once per SCAN_LIMIT of input, so tiny chunks cost linear time, not quadratic.
        if self.size - self.trimmed > SCAN_LIMIT and self.size - chunks[0][0] > 3 * SCAN_LIMIT:
            self.trimmed = self.size
            head_end = (self.previous.offset if self.previous else 0) + SCAN_LIMIT
            tail_start = self.size - len(chunk) - SCAN_LIMIT
            chunks[:] = [
                (at, data) for at, data in chunks if at < head_end or at + len(data) > tail_start
            ]

    def passed(self, event: ServerSentEvent) -> None:
        """Note ``event``, the last of those parsed so far: the next one should start right
        after its block (``line_after``), and no scan will look before it."""
        self.previous = event
        self.expected_line = line_after(event)
        chunks = self.chunks
        while len(chunks) > 1 and chunks[1][0] <= event.offset:
            del chunks[0]

    def between(self, event: ServerSentEvent, previous: ServerSentEvent | None) -> list[Finding]:
        """Findings about the lines before ``event`` (since ``previous``, the event before it,
        passed or not) that are not part of any event."""
        return self._scan(event.offset, previous)

    def after_last(self) -> list[Finding]:
        """Findings about complete blocks after the last event."""
        return self._scan(self.size, self.previous)

    def _scan(self, end: int, previous: ServerSentEvent | None) -> list[Finding]:
        start, line = (previous.offset, previous.line) if previous else (0, 1)
        if end - start > SCAN_LIMIT:
            return []  # a megabyte of non-events: the parser's own findings say enough
        data = b"".join(
            chunk[max(start - at, 0) : end - at]
            for at, chunk in self.chunks
            if at < end and at + len(chunk) > start
        )
        found: list[Finding] = []
        in_previous = previous is not None
        block: list[tuple[bytes, int, int]] = []  # (field line, offset, line)
        offset = start
        for raw in data.splitlines(keepends=True):
            text = raw.rstrip(b"\r\n")
            if not text:
                if not in_previous and block:
                    found.extend(self._judge(block))
                in_previous = False
                block = []
            elif not in_previous and not text.startswith(b":"):
                block.append((text, offset, line))
            offset += len(raw)
            line += 1
        return found

    def _judge(self, block: list[tuple[bytes, int, int]]) -> list[Finding]:
        names = [text.split(b":", 1)[0] for text, _, _ in block]
        if b"data" in names:
            return []
        excerpt = " ".join(text.decode("utf-8", "replace") for text, _, _ in block)[:120]
        if b"event" in names:
            # "event" alone is the field with an empty value (WHATWG SSE, "field name only")
            field = block[names.index(b"event")][0]
            name = field.partition(b":")[2].strip().decode("utf-8", "replace")
            severity = Severity.ERROR
            message = (
                f"an event block ({name}) without a data line: it is never dispatched, "
                "so no client sees it"
            )
        elif set(names) <= {b"id", b"retry"}:
            return []
        else:
            severity = Severity.WARNING
            message = f"lines that are not SSE fields ({excerpt[:40]!r}): clients ignore them"
        _, offset, line = block[0]
        return [
            Finding(
                self.rule,
                severity,
                message,
                self.interaction,
                offset=offset,
                line=line,
                excerpt=excerpt,
                source="SPEC",
            )
        ]
