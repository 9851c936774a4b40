"""One self-contained HTML file that shows streams: timeline chart, findings, payloads.

Everything is inline (CSS, a small script, SVG): the file opens without a network, from a CI
artifact or an e-mail. Per interaction it shows the key times (headers, first event, first
delta, end, longest gap), an SVG chart of event arrival in lanes (run, step, message, delta,
other), the findings linked to their events, and every event with its payload in a
``<details>`` element.

Payloads are untrusted: every piece of recorded text goes through ``html.escape`` and is only
ever placed in element content or quoted attributes; nothing recorded is put inside the script.
The page works without its script; the script only opens and highlights the event a link or
the URL fragment points at.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from html import escape
from typing import Any

from recorder.cassette import Cassette, Interaction
from recorder.cassette.stream import ParsedStream, parse_interaction
from recorder.profiles import Profile, profile_for
from recorder.report.grouping import FindingGroup, group_findings
from recorder.report.timeline import (
    chunk_starts,
    escape_surrogates,
    event_chunks,
    summarize,
)
from recorder.validate.findings import Finding
from recorder.wire.payload import decode

__all__ = ["render_report"]

_CHART_WIDTH = 960
_LEFT = 80  # room for lane names
_RIGHT = 20
#: Lanes every chart ends with, after those the profile's view names.
_LAST = ("delta", "other")
_LANE_HEIGHT = 26
_TOP = 22

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}
h3{font-size:1em;font-family:ui-monospace,monospace;word-break:break-all}
.stats{display:flex;flex-wrap:wrap;gap:.4em 1.2em;margin:.5em 0}
.stats span{white-space:nowrap}.stats b{font-weight:600}
svg.timeline{width:100%;height:auto;background:#fafafa;border:1px solid #ddd}
svg .lane{font:11px monospace;fill:#555}svg .axis{font:10px monospace;fill:#777}
svg .grid{stroke:#e4e4e4}svg .ev{fill:#3367d6}svg .delta{fill:#1e9e6a}
svg .mark{stroke:#999;stroke-dasharray:3 3}svg .gap{fill:#ffd54f;opacity:.35}
svg .error{stroke:#d32f2f;stroke-width:2.5;fill:none}
svg .warning{stroke:#f39c12;stroke-width:2;fill:none}
svg .info{stroke:#888;stroke-width:1.5;fill:none}
table{border-collapse:collapse;width:100%;font:12px ui-monospace,monospace}
td,th{border-bottom:1px solid #eee;padding:2px 6px;text-align:left;vertical-align:top}
td.n{text-align:right;white-space:nowrap}
tr.has-error{background:#fdecea}tr.has-warning{background:#fff8e1}
tr:target,tr.focus{outline:2px solid #3367d6}
pre{white-space:pre-wrap;word-break:break-all;margin:.3em 0;background:#f6f6f6;padding:.4em}
ul.findings li{margin:.2em 0}.sev-error{color:#c62828;font-weight:600}
.sev-warning{color:#b26a00;font-weight:600}.sev-info{color:#555}
.split{color:#8e24aa}.muted{color:#777}
nav.index ol{margin:.3em 0 1em;padding-left:1.6em;font:12px ui-monospace,monospace}
"""

# Opens and highlights the event named by the URL fragment (a finding link, a chart mark).
_SCRIPT = """
(function(){
  function focus(){
    var id = decodeURIComponent(location.hash.slice(1));
    if(!id) return;
    var row = document.getElementById(id);
    if(!row) return;
    document.querySelectorAll('tr.focus').forEach(function(r){r.classList.remove('focus');});
    row.classList.add('focus');
    var details = row.querySelector('details');
    if(details) details.open = true;
  }
  window.addEventListener('hashchange', focus);
  focus();
  document.documentElement.setAttribute('data-ready', 'yes');
})();
"""


@dataclass(frozen=True, slots=True)
class _Point:
    index: int
    name: str
    t: float
    lane: str
    is_delta: bool


def _first(item: tuple[float, Any, *tuple[Any, ...]]) -> float:
    return item[0]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _anchor(stream: str, index: int) -> str:
    return f"{stream}-e{index}"


def _stats(interaction: Interaction, parsed: ParsedStream, points: list[_Point]) -> list[str]:
    stats: list[tuple[str, str]] = []
    if interaction.response is not None:
        stats.append(("headers", _ms(interaction.response.t)))
    if points:
        stats.append(("first event", _ms(points[0].t)))
        first_delta = next((p for p in points if p.is_delta), None)
        if first_delta is not None:
            stats.append(("first delta", _ms(first_delta.t)))
    if interaction.ended_at is not None:
        stats.append(("end", _ms(interaction.ended_at)))
    gaps = [(b.t - a.t, a, b) for a, b in itertools.pairwise(points)]
    if gaps:
        gap, before, after = max(gaps, key=_first)
        stats.append(("longest gap", f"{_ms(gap)} (events {before.index}→{after.index})"))
    stats.append(("events", str(len(points))))
    stats.append(("deltas", str(sum(p.is_delta for p in points))))
    stats.append(("chunks", str(len(interaction.chunks))))
    stats.append(("bytes", str(parsed.size)))
    ended: str = interaction.outcome
    if interaction.outcome_detail:
        ended += f" ({interaction.outcome_detail})"
    stats.append(("ended", ended))
    return [f"<span>{escape(k)}: <b>{escape(v)}</b></span>" for k, v in stats]


def _chart(
    stream: str,
    interaction: Interaction,
    points: list[_Point],
    worst: dict[int, str],
) -> Iterator[str]:
    """An SVG of event arrival: one lane per event family, x = time (or order, untimed)."""
    end = max([p.t for p in points] + [interaction.ended_at or 0.0])
    timed = end > 0
    span = end if timed else max(len(points) - 1, 1)
    plot = _CHART_WIDTH - _LEFT - _RIGHT
    lanes = _lanes_of(points)
    height = _TOP + _LANE_HEIGHT * len(lanes) + 24

    def x(value: float) -> float:
        return round(_LEFT + plot * (value / span if span else 0), 2)

    label = "arrival time" if timed else "event order (arrival times were not recorded)"
    yield (
        f'<svg class="timeline" viewBox="0 0 {_CHART_WIDTH} {height}" role="img" '
        f'aria-label="timeline of {len(points)} events by {label}">'
    )
    for row, lane in enumerate(lanes):
        y = _TOP + row * _LANE_HEIGHT + _LANE_HEIGHT / 2
        yield f'<text class="lane" x="4" y="{y + 4}">{lane}</text>'
        yield f'<line class="grid" x1="{_LEFT}" x2="{_CHART_WIDTH - _RIGHT}" y1="{y}" y2="{y}"/>'
    bottom = _TOP + _LANE_HEIGHT * len(lanes)
    for step in range(6):
        value = span * step / 5
        text = f"{value * 1000:.0f} ms" if timed else f"#{value:.0f}"
        yield (
            f'<text class="axis" x="{x(value)}" y="{bottom + 14}" text-anchor="middle">'
            f"{escape(text)}</text>"
        )
    if timed and len(points) > 1:
        gap, before = max(((b.t - a.t, a) for a, b in itertools.pairwise(points)), key=_first)
        if gap > 0:
            yield (
                f'<rect class="gap" x="{x(before.t)}" y="{_TOP}" '
                f'width="{max(x(before.t + gap) - x(before.t), 1)}" height="{bottom - _TOP}">'
                f"<title>longest gap: {escape(_ms(gap))}</title></rect>"
            )
    if timed and interaction.response is not None:
        at = x(interaction.response.t)
        yield f'<line class="mark" x1="{at}" x2="{at}" y1="{_TOP - 12}" y2="{bottom}"/>'
        yield f'<text class="axis" x="{at - 2}" y="{_TOP - 4}" text-anchor="end">headers</text>'
    if timed and points:
        at = x(points[0].t)
        yield f'<line class="mark" x1="{at}" x2="{at}" y1="{_TOP - 12}" y2="{bottom}"/>'
        yield (
            f'<text class="axis" x="{at + 2}" y="{_TOP - 12 + 8}" dy="12">first event '
            f"{escape(_ms(points[0].t))}</text>"
        )
    previous = 0.0
    for point in points:
        y = _TOP + lanes.index(point.lane) * _LANE_HEIGHT + _LANE_HEIGHT / 2
        cx = x(point.t if timed else point.index)
        tip = escape(f"#{point.index} {point.name} at {_ms(point.t)} (+{_ms(point.t - previous)})")
        previous = point.t
        shape = (
            f'<rect class="delta" x="{cx - 1}" y="{y - 6}" width="2" height="12"/>'
            if point.is_delta
            else f'<circle class="ev" cx="{cx}" cy="{y}" r="4"/>'
        )
        ring = (
            f'<circle class="{worst[point.index]}" cx="{cx}" cy="{y}" r="8"/>'
            if point.index in worst
            else ""
        )
        yield (
            f'<a href="#{_anchor(stream, point.index)}" class="point">'
            f"<title>{tip}</title>{shape}{ring}</a>"
        )
    yield "</svg>"


def _pretty(data: str) -> str:
    value, is_json = decode(data)
    return json.dumps(value, indent=2, ensure_ascii=False) if is_json else data


def _finding_item(stream: str | None, group: FindingGroup) -> str:
    """One list item per repeated finding: its first location, a count and a link per event.

    ``stream`` is the id prefix of the interaction's rows (``c0-i0``); None when the findings
    belong to no interaction (then nothing is linked: no row would match).
    """
    finding = group.first
    severity = finding.severity.value
    where = escape(finding.location() or "stream")
    if stream is not None and finding.event_index is not None:
        where = f'<a href="#{_anchor(stream, finding.event_index)}">{where}</a>'
    extra = f" <code>{escape(finding.excerpt)}</code>" if finding.excerpt else ""
    repeated = ""
    if group.count > 1:
        events = [event for _, event in group.events()]
        links = ", ".join(
            f'<a href="#{_anchor(stream, event)}">{event}</a>' if stream is not None else str(event)
            for event in events
        )
        word = "event" if len(events) == 1 else "events"
        repeated = (
            f' <span class="muted count">({group.count} times'
            + (f": {word} {links}" if events else "")
            + ")</span>"
        )
    return (
        f'<li class="finding"><span class="sev-{severity}">{escape(severity)} '
        f"{escape(finding.rule)}</span> {where}: {escape(group.message)}{extra}{repeated}</li>"
    )


def _lanes_of(points: Sequence[_Point]) -> list[str]:
    """The lanes of the chart: those the profile's view named, in its order, then delta, other."""
    order = list(dict.fromkeys(point.lane for point in points if point.lane not in _LAST))
    return [*order, *_LAST]


def _interaction_section(
    stream: str,
    number: int,
    interaction: Interaction,
    findings: Sequence[Finding],
    profile: Profile,
) -> Iterator[str]:
    parsed = parse_interaction(interaction)
    starts = chunk_starts(interaction)
    view = profile.view
    points: list[_Point] = []
    for index, event in enumerate(parsed.events):
        payload, _ = decode(event.data)
        lane = view.lane(view.kind(event.event, payload), payload)
        is_delta = lane == "delta"
        points.append(_Point(index, event.event, parsed.time_of(event), lane, is_delta))
    rank = {"error": 0, "warning": 1, "info": 2}
    worst: dict[int, str] = {}
    by_event: dict[int, list[Finding]] = {}
    for finding in findings:
        if finding.event_index is None:
            continue
        by_event.setdefault(finding.event_index, []).append(finding)
        severity = finding.severity.value
        current = worst.get(finding.event_index)
        if current is None or rank.get(severity, 3) < rank.get(current, 3):
            worst[finding.event_index] = severity
    request = interaction.request
    status = interaction.response.status if interaction.response else "no response"
    yield f'<section class="interaction" id="{stream}">'
    line = f"{request.method} {request.url} → {status}"
    yield f"<h3>interaction {number}: {escape(line)}</h3>"
    yield f'<p class="muted">profile: {escape(profile.name)} ({escape(profile.description)})</p>'
    yield f'<div class="stats">{"".join(_stats(interaction, parsed, points))}</div>'
    yield from _chart(stream, interaction, points, worst)
    errors = [finding for finding in findings if finding.is_error]
    others = [finding for finding in findings if not finding.is_error]
    if errors:
        yield f'<p>{len(errors)} errors:</p><ul class="findings">'
        yield from (_finding_item(stream, group) for group in group_findings(errors))
        yield "</ul>"
    if others:
        # Warnings can be many (one per event for a known real-world deviation): folded, and
        # each repeated one is one item with a count.
        yield f'<details class="others"><summary>{len(others)} warnings and notes</summary>'
        yield '<ul class="findings">'
        yield from (_finding_item(stream, group) for group in group_findings(others))
        yield "</ul></details>"
    if not findings:
        yield '<p class="muted">no findings</p>'
    for issue in parsed.decode_errors:
        yield (
            f'<p class="sev-warning">byte {issue.offset} (line {issue.line}): invalid UTF-8, '
            "replaced with U+FFFD</p>"
        )
    if parsed.unfinished is not None:
        offset, line_number = parsed.unfinished
        yield (
            f'<p class="sev-warning">the body ends inside an unfinished event at byte {offset} '
            f"(line {line_number}); it was discarded</p>"
        )
    yield (
        "<table><thead><tr><th>#</th><th>t</th><th>gap</th><th>chunk</th><th>event</th>"
        "<th>payload</th></tr></thead><tbody>"
    )
    previous = 0.0
    for index, event in enumerate(parsed.events):
        at = parsed.time_of(event)
        first, last = event_chunks(starts, event)
        chunk = str(last) if first == last else f'<span class="split">{first}→{last}</span>'
        row_class = f' class="has-{worst[index]}"' if index in worst else ""
        notes = "".join(
            f'<div class="sev-{f.severity.value}">{escape(f.severity.value)} {escape(f.rule)}: '
            f"{escape(f.message)}{escape(' at ' + f.json_path) if f.json_path else ''}</div>"
            for f in by_event.get(index, [])
        )
        yield (
            f'<tr id="{_anchor(stream, index)}"{row_class}><td class="n">{index}</td>'
            f'<td class="n">{at * 1000:.1f}</td><td class="n">{(at - previous) * 1000:+.1f}</td>'
            f'<td class="n">{chunk}</td><td>{escape(event.event)}</td><td>{notes}'
            f"<details><summary>{escape(summarize(event, view)) or '(empty)'}</summary>"
            f"<pre>{escape(_pretty(event.data))}</pre></details></td></tr>"
        )
        previous = at
    yield "</tbody></table></section>"


def render_report(
    cassettes: Sequence[Cassette],
    findings: Sequence[Sequence[Finding]] | None = None,
    *,
    title: str = "sse-recorder report",
    profile: str | None = None,
) -> str:
    """The whole HTML document for ``cassettes`` (``findings[k]`` belong to ``cassettes[k]``)."""
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # No network: nothing may load from elsewhere, whatever a payload contains.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">",
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
    ]
    total = sum(len(c.interactions) for c in cassettes)
    errors = sum(f.is_error for group in findings or [] for f in group)
    parts.append(
        f'<p class="summary">{len(cassettes)} recordings, {total} interactions, '
        f"{errors} error findings</p>"
    )
    # An index of the files, each linked to its section.
    parts.append('<nav class="index"><ol>')
    for position, cassette in enumerate(cassettes):
        name = cassette.path or f"recording {position}"
        found = sum(f.is_error for f in findings[position]) if findings is not None else 0
        count = len(cassette.interactions)
        parts.append(
            f'<li><a href="#c{position}">{escape(name)}</a> <span class="muted">'
            f"({count} interaction{'' if count == 1 else 's'}, "
            f"{found} error finding{'' if found == 1 else 's'})</span></li>"
        )
    parts.append("</ol></nav>")
    for position, cassette in enumerate(cassettes):
        group = list(findings[position]) if findings is not None else []
        name = cassette.path or f"recording {position}"
        parts.append(f'<h2 id="c{position}">{escape(name)}</h2>')
        if cassette.note:
            parts.append(f'<p class="muted">{escape(cassette.note)}</p>')
        for warning in cassette.warnings:
            parts.append(f'<p class="sev-warning">{escape(warning)}</p>')
        if cassette.raw:  # a raw body's findings name no interaction: they are its only one's
            group = [f if f.interaction is not None else replace(f, interaction=0) for f in group]
        loose = [f for f in group if f.interaction is None]
        if loose:
            parts.append('<ul class="findings">')
            parts.extend(_finding_item(None, g) for g in group_findings(loose))
            parts.append("</ul>")
        for number, interaction in enumerate(cassette.interactions):
            mine = [f for f in group if f.interaction == number]
            applied = profile_for(cassette, interaction, profile)
            parts.extend(
                _interaction_section(f"c{position}-i{number}", number, interaction, mine, applied)
            )
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    # Lone surrogates (a file name that is not UTF-8, a "\udcff" escape in a payload) would
    # make the page unwritable as UTF-8.
    return escape_surrogates("\n".join(parts))
