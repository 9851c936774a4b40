"""Regression snapshots (syrupy) of what a stream means, not of its volatile bytes.

``assert events == sse_snapshot`` stores, next to the test, a readable text file with one block
per event: its name and its data as indented JSON with sorted keys. Ids are replaced by
placeholders that keep the structure (the same id always becomes the same ``<run_1>``), and
timestamps by ``<time>``, so a re-recorded stream with fresh ids and clocks still matches while
a changed event order, status, field or text does not. With ``fold_deltas`` (the
``SSEFoldedSnapshotExtension``), each run of consecutive deltas of one object is folded into a
single event carrying the joined text, and a last ``final`` event holds the object the stream's
profile folds it into, so a different chunking of the same answer matches too. Which fields
are volatile, what a delta is and whose it is, come from the stream's profile (recognised as
``sse-recorder validate`` does, or named with ``profile=``).

What can be snapshotted: a ``Cassette``, an ``Interaction``, a ``ParsedStream``, a path to a
cassette or ``.sse`` file (``Path``, or ``str`` without a line end), a raw body (``bytes``, or a
``str`` with line ends), parsed ``ServerSentEvent`` objects, or any client's events (objects
with ``event`` and ``data``, such as the ``openai`` library's stream events, or pydantic
models, dicts and lists).

This module imports syrupy (a test extra); the pytest plugin imports it only when a test asks
for the ``sse_snapshot`` fixture.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from typing import Any

from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode
from syrupy.types import PropertyFilter, PropertyMatcher, SerializableData, SerializedData

from recorder.cassette import Cassette, Interaction
from recorder.cassette.stream import ParsedStream, parse_interaction
from recorder.profiles import AUTO, SNIFF_EVENTS, Profile, ProfileView, detect, get_profile
from recorder.report.normalize import Normalizer
from recorder.report.timeline import default_view
from recorder.validate.assertions import as_cassette
from recorder.wire.payload import decode
from recorder.wire.sse import ServerSentEvent, parse_bytes

__all__ = [
    "SSEFoldedSnapshotExtension",
    "SSESnapshotExtension",
    "normalize_for_snapshot",
    "render_snapshot",
]

FORMAT_LINE = "# sse-recorder snapshot 1"

#: Strings of a delta that join rather than replace when deltas are folded.
_NOT_JOINED = frozenset({"id", "type", "object", "role", "name", "item_id", "event"})

Event = tuple[str, Any]


# --------------------------------------------------------------------------- reading input


def _payload(data: Any) -> Any:
    if isinstance(data, str):
        return decode(data)[0]
    if hasattr(data, "model_dump"):
        return data.model_dump(mode="json")
    return data


def _from_sse(events: Iterable[ServerSentEvent]) -> list[Event]:
    return [(event.event, _payload(event.data)) for event in events]


def _from_cassette(cassette: Cassette) -> Iterator[tuple[str | None, list[Event]]]:
    many = len(cassette.interactions) > 1
    for index, interaction in enumerate(cassette.interactions):
        title = None
        if many or not cassette.raw:
            title = f"interaction {index}: {interaction.request.method} {interaction.request.path}"
        yield title, _from_sse(parse_interaction(interaction).events)


def _sections(data: Any) -> list[tuple[str | None, list[Event]]]:
    """Split what was given into titled sections of ``(event name, payload)`` pairs."""
    if isinstance(data, str | os.PathLike | Cassette):
        # A str without a line end is a path, else a body (as ``assert_conforms`` reads it).
        return list(_from_cassette(as_cassette(data)))
    if isinstance(data, Interaction):
        return [(None, _from_sse(parse_interaction(data).events))]
    if isinstance(data, ParsedStream):
        return [(None, _from_sse(data.events))]
    if isinstance(data, bytes | bytearray):
        return [(None, _from_sse(parse_bytes(bytes(data))[0]))]
    events: list[Event] = []
    for item in data:
        if isinstance(item, ServerSentEvent):
            events.append((item.event, _payload(item.data)))
        elif isinstance(item, dict) and "event" in item and "data" in item:
            events.append((str(item["event"]), _payload(item["data"])))
        elif hasattr(item, "event") and hasattr(item, "data"):
            events.append((str(item.event), _payload(item.data)))
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            events.append((item[0], _payload(item[1])))
        else:
            payload = _payload(item)
            name = payload.get("type", "") if isinstance(payload, dict) else ""
            events.append((str(name), payload))
    return [(None, events)]


# --------------------------------------------------------------------------- folding deltas


def _fold_key(name: str, payload: Any, view: ProfileView) -> tuple[Any, ...] | None:
    """Whose delta an event is (None: not a delta): the profile's ``fold_key`` values."""
    if not isinstance(payload, dict) or view.delta_text(payload) is None:
        return None
    return view.fold_identity(name, payload)


def _merge(total: Any, delta: Any, key: str = "", keep: frozenset[str] = _NOT_JOINED) -> Any:
    """Fold ``delta`` into ``total`` as the official stream accumulators do (strings join,
    except those in ``keep``, which a delta repeats rather than extends)."""
    if isinstance(total, dict) and isinstance(delta, dict):
        merged = dict(total)
        for child_key, child in delta.items():
            merged[child_key] = (
                _merge(merged[child_key], child, child_key, keep) if child_key in merged else child
            )
        return merged
    if isinstance(total, list) and isinstance(delta, list):
        merged_list = list(total)
        for item in delta:
            position = item.get("index") if isinstance(item, dict) else None
            slot = next(
                (
                    n
                    for n, old in enumerate(merged_list)
                    if isinstance(old, dict)
                    and position is not None
                    and old.get("index") == position
                ),
                None,
            )
            if slot is None:
                merged_list.append(item)
            else:
                merged_list[slot] = _merge(merged_list[slot], item, "", keep)
        return merged_list
    if isinstance(total, str) and isinstance(delta, str) and key not in keep:
        return total + delta
    return delta


def fold_delta_runs(events: list[Event], view: ProfileView | None = None) -> list[Event]:
    """Fold each run of consecutive deltas of one object into one event (``name (folded)``).

    How many deltas there were is left out on purpose: it depends on the model's pacing, not
    on what the stream means.
    """
    view = view or default_view()
    keep = _NOT_JOINED | view.not_joined
    folded: list[Event] = []
    previous: tuple[Any, ...] | None = None
    for name, payload in events:
        key = _fold_key(name, payload, view)
        if key is not None and key == previous:
            folded[-1] = (f"{name} (folded)", _merge(folded[-1][1], payload, "", keep))
            continue
        # A run of one delta is labelled folded too: another recording may split it in two.
        folded.append((f"{name} (folded)" if key is not None else name, payload))
        previous = key
    return folded


# --------------------------------------------------------------------------- rendering


def _profile_of(events: list[Event], profile: Profile | None) -> Profile:
    """The profile a section's events are read with (recognised as ``validate`` does)."""
    if profile is not None:
        return profile
    sample = [
        ServerSentEvent(
            name or "message", payload if isinstance(payload, str) else json.dumps(payload)
        )
        for name, payload in events[:SNIFF_EVENTS]
    ]
    return detect(None, sample)


def normalize_for_snapshot(
    data: Any, *, fold: bool = False, profile: str | None = None
) -> list[tuple[str | None, list[Event]]]:
    """Sections of events with ids, timestamps and the profile's volatile fields replaced by
    placeholders (shared across sections, so a continuation stream's ids match the first
    stream's). Folded (``fold``), runs of deltas become one event each and a last event,
    ``final``, holds the object the profile's fold builds (the same fold as ``sse-recorder
    final``), so a different tokenisation of the same answer renders the same."""
    chosen = get_profile(profile) if profile and profile != AUTO else None
    sections = [(title, events, _profile_of(events, chosen)) for title, events in _sections(data)]
    if fold:
        sections = [
            (title, [*fold_delta_runs(events, used.view), *_final_event(events, used)], used)
            for title, events, used in sections
        ]
    volatile = sorted({name for _, _, used in sections for name in used.view.volatile})
    normalizer = Normalizer(volatile)
    normalized = [
        (title, [(name, normalizer.payload(payload)) for name, payload in events])
        for title, events, _ in sections
    ]
    # Titles hold request paths (``/threads/thread_abc/runs``): ids seen in the events too.
    return [
        (None if title is None else normalizer.text(title), events) for title, events in normalized
    ]


def _final_event(events: list[Event], profile: Profile) -> list[Event]:
    if profile.fold_factory is None:
        return []
    named = ((name or "message", payload) for name, payload in events)
    return [(f"final ({profile.name})", profile.fold_payloads(named))]


def render_snapshot(data: Any, *, fold: bool = False, profile: str | None = None) -> str:
    """The snapshot text of ``data``: one block per event, indented JSON with sorted keys."""
    sections = normalize_for_snapshot(data, fold=fold, profile=profile)
    total = sum(len(events) for _, events in sections)
    lines = [
        FORMAT_LINE,
        f"# {total} events; ids and timestamps are placeholders"
        + ("; deltas folded" if fold else ""),
    ]
    for title, events in sections:
        if title is not None:
            lines += ["", f"## {title}"]
        for index, (name, payload) in enumerate(events):
            lines += ["", f"[{index}] {name or 'message'}"]
            if isinstance(payload, str):
                lines.append(payload)
            else:
                lines.append(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False))
    return "\n".join(lines) + "\n"


class SSESnapshotExtension(SingleFileSnapshotExtension):
    """syrupy extension: one readable ``.sse.txt`` file per snapshot, stable across ids and
    clocks. Use as ``snapshot.use_extension(SSESnapshotExtension)`` or the ``sse_snapshot``
    fixture."""

    _write_mode = WriteMode.TEXT
    file_extension = "sse.txt"
    #: Fold consecutive deltas of one object into one event with the joined text.
    fold_deltas = False

    def serialize(
        self,
        data: SerializableData,
        *,
        exclude: PropertyFilter | None = None,
        include: PropertyFilter | None = None,
        matcher: PropertyMatcher | None = None,
    ) -> SerializedData:
        """Render ``data`` (a stream in any accepted form) as snapshot text."""
        return render_snapshot(data, fold=self.fold_deltas)


class SSEFoldedSnapshotExtension(SSESnapshotExtension):
    """Like ``SSESnapshotExtension``, with runs of deltas folded into their joined text."""

    file_extension = "sse-folded.txt"
    fold_deltas = True
