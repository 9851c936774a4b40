"""A readable timeline of a cassette: one line per event, with time, gap, chunks and findings.

Two views of the same interaction:

- ``render_timeline``: one row per event (and per comment) with its arrival time, the gap
  since the previous one, the chunk(s) it arrived in (``3`` or ``2→4`` when a chunk boundary
  split it), its name and a short summary of the payload (the delta text for deltas), with the
  validator's findings printed under the event they concern.
- ``render_raw``: the exact bytes, chunk by chunk, one line per line of the body, with line
  ends made visible (``\\r``, ``\\n``) and bytes that are not UTF-8 shown as ``\\xNN``.

Both are plain text; ``Style`` adds ANSI colour for terminals (the caller decides when).
"""

from __future__ import annotations

import bisect
import json
import os
import re
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, TextIO

from recorder.cassette import Cassette, Interaction
from recorder.cassette.stream import ParsedStream, parse_interaction
from recorder.profiles import GENERIC, ProfileView, get_profile, profile_for
from recorder.validate.findings import Finding, Severity
from recorder.wire.payload import decode
from recorder.wire.sse import ServerSentEvent

__all__ = [
    "Style",
    "chunk_starts",
    "default_view",
    "escape_surrogates",
    "event_chunks",
    "printable",
    "render_raw",
    "render_timeline",
    "summarize",
    "use_colour",
]

_SUMMARY_WIDTH = 60


def use_colour(stream: TextIO, choice: str = "auto") -> bool:
    """Colour for ``always``; never for ``never``; for ``auto`` only on a tty without NO_COLOR."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Style:
    """ANSI styling that collapses to plain text when colour is off."""

    _CODES: ClassVar[dict[str, str]] = {
        "dim": "2",
        "bold": "1",
        "red": "31",
        "yellow": "33",
        "cyan": "36",
        "magenta": "35",
        "green": "32",
    }

    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def __call__(self, text: str, *names: str) -> str:
        """``text`` wrapped in the named styles (unchanged without colour)."""
        if not self.colour or not names:
            return text
        codes = ";".join(self._CODES[name] for name in names)
        return f"\x1b[{codes}m{text}\x1b[0m"


_SURROGATE = re.compile("[\ud800-\udfff]")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8 (os.fsdecode)
        return f"\\x{code - 0xDC00:02x}"
    if 0xD800 <= code <= 0xDFFF:  # a lone surrogate, e.g. from a JSON "\\ud800" escape
        return f"\\u{code:04x}"
    return _ESCAPES.get(character, f"\\x{code:02x}")


def escape_surrogates(text: str) -> str:
    """``text`` that always encodes as UTF-8: lone surrogates become ``\\xNN`` (the byte of a
    file name that is not UTF-8) or ``\\uNNNN``."""
    return _SURROGATE.sub(_escape, text)


def printable(text: str) -> str:
    """``text`` for a terminal: control characters and lone surrogates escaped (``\\x1b``,
    ``\\n``, ``\\ud800``), so a recorded stream can neither drive the terminal nor make the
    output unencodable."""
    return _UNPRINTABLE.sub(_escape, text)


def _short(text: str, width: int = _SUMMARY_WIDTH) -> str:
    text = printable(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def default_view() -> ProfileView:
    """The view of the ``generic`` profile (for callers that know no profile)."""
    return get_profile(GENERIC).view


def summarize(event: ServerSentEvent, view: ProfileView | None = None) -> str:
    """A short human summary of an event's data: the delta text the profile's view finds, else
    the fields it names (ids, status, type...)."""
    view = view or default_view()
    payload, is_json = decode(event.data)
    if not is_json:
        return _short(event.data if view.is_sentinel(event) else repr(event.data))
    if not isinstance(payload, dict):
        return _short(event.data)
    text = view.delta_text(payload)
    if text is not None:
        return _short(json.dumps(text, ensure_ascii=False))
    bits = [str(payload[key]) for key in view.summary if isinstance(payload.get(key), str | int)]
    if not bits and isinstance(payload.get("error"), dict):
        bits = [str(payload["error"].get("message", ""))]
    return _short(" ".join(bits))


def chunk_starts(interaction: Interaction) -> list[int]:
    """The body offset at which each chunk starts."""
    starts: list[int] = []
    offset = 0
    for chunk in interaction.chunks:
        starts.append(offset)
        offset += len(chunk.data)
    return starts


def event_chunks(starts: Sequence[int], event: ServerSentEvent) -> tuple[int, int]:
    """``(first, last)``: the chunk the event's first byte arrived in and the one completing it."""
    first = max(bisect.bisect_right(starts, event.offset) - 1, 0)
    return min(first, event.chunk_index), event.chunk_index


def _severity_style(severity: Severity) -> tuple[str, ...]:
    return {"error": ("red", "bold"), "warning": ("yellow",)}.get(severity.value, ("cyan",))


def _finding_line(finding: Finding, style: Style, indent: str = "       ") -> str:
    mark = style(f"{finding.severity.value} {finding.rule}", *_severity_style(finding.severity))
    where = [part for part in (finding.json_path,) if part]
    if finding.event_index is None and finding.offset is not None:
        where.insert(0, f"byte {finding.offset}")
    suffix = style(f"  [{', '.join(where)}]", "dim") if where else ""
    arrow = style("▲", *_severity_style(finding.severity))
    return f"{indent}{arrow} {mark}: {printable(finding.message)}{suffix}"


def _header(number: int, interaction: Interaction, parsed: ParsedStream, style: Style) -> str:
    request = interaction.request
    status = interaction.response.status if interaction.response else "-"
    ended = interaction.outcome + (
        f" ({interaction.outcome_detail})" if interaction.outcome_detail else ""
    )
    return style(
        printable(
            f"== interaction {number}: {request.method} {request.url} -> {status}, "
            f"{len(interaction.chunks)} chunks, {parsed.size} bytes, "
            f"{len(parsed.events)} events, ended: {ended}"
        ),
        "bold",
    )


def render_timeline(
    cassette: Cassette,
    findings: Sequence[Finding] = (),
    *,
    style: Style | None = None,
    profile: str | None = None,
) -> Iterator[str]:
    """Lines of the timeline: a header per interaction, a row per event or comment.

    ``findings`` (from the validator) are printed under the event they concern, or at the end
    of their interaction when they concern no single event. A raw body's findings name no
    interaction: they belong to its only one.
    """
    style = style or Style(False)
    by_event: dict[tuple[int | None, int | None], list[Finding]] = {}
    for finding in findings:
        number = 0 if cassette.raw and finding.interaction is None else finding.interaction
        by_event.setdefault((number, finding.event_index), []).append(finding)
    for number, interaction in enumerate(cassette.interactions):
        parsed = parse_interaction(interaction)
        starts = chunk_starts(interaction)
        view = profile_for(cassette, interaction, profile).view
        yield _header(number, interaction, parsed, style)
        yield style(
            f"{'#':>5}  {'t ms':>9}  {'gap ms':>8}  {'chunk':>7}  {'event':<28}  summary", "dim"
        )
        rows: list[tuple[int, int, Any]] = [
            (e.offset, 1, (i, e)) for i, e in enumerate(parsed.events)
        ]
        rows.extend((c.offset, 0, c) for c in parsed.comments)
        rows.sort(key=lambda row: (row[0], row[1]))
        previous = 0.0
        for _, kind, item in rows:
            if kind == 0:
                at = parsed.chunk_times[item.chunk_index] if parsed.chunk_times else 0.0
                yield style(
                    f"{'':>5}  {at * 1000:>9.1f}  {'':>8}  {item.chunk_index:>7}  "
                    f"{_short(': ' + item.text, 28):<28}  (comment)",
                    "dim",
                )
                continue
            index, event = item
            at = parsed.time_of(event)
            first, last = event_chunks(starts, event)
            chunk = str(last) if first == last else f"{first}→{last}"
            name = _short(event.event, 28)
            yield (
                f"{index:>5}  {at * 1000:>9.1f}  {(at - previous) * 1000:>+8.1f}  "
                f"{style(f'{chunk:>7}', 'magenta') if first != last else f'{chunk:>7}'}  "
                f"{style(f'{name:<28}', 'cyan')}  {summarize(event, view)}"
            )
            previous = at
            for finding in by_event.pop((number, index), []):
                yield _finding_line(finding, style)
        for issue in parsed.decode_errors:
            yield style(
                f"       byte {issue.offset} (line {issue.line}, chunk {issue.chunk_index}): "
                "invalid UTF-8, replaced with U+FFFD",
                "yellow",
            )
        if parsed.unfinished is not None:
            offset, line = parsed.unfinished
            yield style(
                f"       body ends inside an unfinished event at byte {offset} (line {line}); "
                "it was discarded",
                "yellow",
            )
        for key in [key for key in by_event if key[0] == number]:
            for finding in by_event.pop(key):
                yield _finding_line(finding, style)
    for remaining in by_event.values():
        for finding in remaining:
            yield _finding_line(finding, style, indent="")


_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)?")


def _visible(data: bytes, style: Style) -> str:
    """``data`` (no line ends inside) as text, non-UTF-8 bytes and controls as ``\\xNN``."""
    text = data.decode("utf-8", errors="surrogateescape")
    out: list[str] = []
    for character in text:
        code = ord(character)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(style(f"\\x{code - 0xDC00:02x}", "red", "bold"))
        elif code < 0x20 or code == 0x7F:
            out.append(style(_ESCAPES.get(character, f"\\x{code:02x}"), "red"))
        else:
            out.append(character)
    return "".join(out)


def render_raw(cassette: Cassette, *, style: Style | None = None) -> Iterator[str]:
    """The exact bytes of each body, chunk by chunk, with line ends made visible.

    Each output row is one line of the body (or the piece of it inside one chunk): its byte
    offset, its content, then ``\\n``, ``\\r\\n`` or ``\\r``; a row without one continues in the
    next chunk. Each chunk starts with a marker giving its index, arrival time and size.
    """
    style = style or Style(False)
    for number, interaction in enumerate(cassette.interactions):
        parsed = parse_interaction(interaction)
        yield _header(number, interaction, parsed, style)
        offset = 0
        previous = 0.0
        for index, chunk in enumerate(interaction.chunks):
            yield style(
                f"-- chunk {index} at {chunk.t * 1000:.1f} ms "
                f"({(chunk.t - previous) * 1000:+.1f}), {len(chunk.data)} bytes, "
                f"offset {offset} --",
                "magenta",
            )
            previous = chunk.t
            for match in _LINE.finditer(chunk.data):
                piece = match.group()
                if not piece:
                    continue
                body = piece.rstrip(b"\r\n")
                ending = piece[len(body) :].decode("ascii")
                visible_end = ending.replace("\r", "\\r").replace("\n", "\\n")
                end = style(visible_end, "green") if visible_end else style("…", "dim")
                yield f"{offset:>8}  {_visible(body, style)}{end}"
                offset += len(piece)
        if interaction.chunks and not interaction.chunks[-1].data.endswith((b"\n", b"\r")):
            yield style("          (the body does not end with a line end)", "yellow")
        yield style(f"-- end: {interaction.outcome} --", "magenta")
