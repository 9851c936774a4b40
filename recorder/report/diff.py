"""Compare two recordings by meaning: aligned event sequences, payload paths, final texts.

Two recordings of the same conversation never match byte for byte: ids, timestamps and the way
the text is cut into deltas change every time. ``diff_cassettes`` therefore compares:

1. the interactions pairwise (request method and path, status, how the body ended);
2. the event names, aligned like ``difflib`` aligns lines, so an inserted, missing or moved
   event is reported once instead of shifting every later comparison;
3. the payloads of aligned events, path by path (``$.delta.content[0].type``), after ids and
   timestamps were replaced by stable placeholders (``recorder.report.normalize``);
4. the final text accumulated from the deltas of each message or tool call.

With ``exact=True`` nothing is normalized and delta fragments are compared one by one.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from recorder.cassette import Cassette, Interaction
from recorder.cassette.stream import parse_interaction
from recorder.profiles import GENERIC, Profile, ProfileView, get_profile, profile_for
from recorder.report.normalize import Normalizer
from recorder.report.timeline import printable
from recorder.validate.accumulate import DeltaAccumulator
from recorder.wire.payload import decode
from recorder.wire.sse import ServerSentEvent

__all__ = ["Difference", "diff_cassettes", "diff_events", "diff_interactions", "render_diff"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A path segment that is an id: a prefix, ``_`` or ``-``, then a token with a digit in it
# (``thread_abc123``, not ``submit_tool_outputs``).
_SEGMENT_ID = re.compile(r"^[a-z][a-z0-9]{0,15}[_-](?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]+$")
# Keys holding delta fragments: their concatenation is compared (as the final text), not each
# fragment, because two recordings cut the same text differently.
_FRAGMENT_KEYS = frozenset({"value", "arguments", "input", "text", "partial_json", "content"})
_MAX_PAYLOAD_DIFFERENCES = 20


@dataclass(frozen=True, slots=True)
class Difference:
    """One way in which B differs from A.

    ``kind`` is one of ``interactions``, ``request``, ``status``, ``outcome``, ``order``,
    ``missing`` (in A, not in B), ``extra`` (in B, not in A), ``payload``, ``text``.
    ``a_index``/``b_index`` are event indexes in each stream when the difference concerns
    events; ``json_path`` points inside the payload.
    """

    kind: str
    message: str
    interaction: int | None = None
    a_index: int | None = None
    b_index: int | None = None
    json_path: str | None = None

    def location(self) -> str:
        """``interaction 0, event 5/6, $.status``: whatever is known."""
        parts: list[str] = []
        if self.interaction is not None:
            parts.append(f"interaction {self.interaction}")
        if self.a_index is not None or self.b_index is not None:
            a = "-" if self.a_index is None else str(self.a_index)
            b = "-" if self.b_index is None else str(self.b_index)
            parts.append(f"event {a}" if a == b else f"event A{a}/B{b}")
        if self.json_path:
            parts.append(self.json_path)
        return ", ".join(parts)


def _child_path(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if _IDENTIFIER.match(key) else f"{path}[{json.dumps(key)}]"


def _show(value: Any, width: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def _compare_values(
    a: Any, b: Any, path: str, *, skip_fragments: bool, key: str = "", width: int = 60
) -> Iterator[tuple[str, str]]:
    """``(json_path, message)`` for every place where ``b`` differs from ``a``."""
    if skip_fragments and key in _FRAGMENT_KEYS and isinstance(a, str) and isinstance(b, str):
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for name in a:
            if name not in b:
                yield _child_path(path, name), f"only in A: {_show(a[name])}"
            else:
                yield from _compare_values(
                    a[name],
                    b[name],
                    _child_path(path, name),
                    skip_fragments=skip_fragments,
                    key=name,
                    width=width,
                )
        for name in b:
            if name not in a:
                yield _child_path(path, name), f"only in B: {_show(b[name])}"
        return
    if isinstance(a, list) and isinstance(b, list):
        for position, (left, right) in enumerate(zip(a, b, strict=False)):
            yield from _compare_values(
                left,
                right,
                _child_path(path, position),
                skip_fragments=skip_fragments,
                key=key,
                width=width,
            )
        if len(a) != len(b):
            yield path, f"{len(a)} items in A, {len(b)} in B"
        return
    if type(a) is not type(b) or a != b:
        yield path, f"{_show(a, width)} in A, {_show(b, width)} in B"


def _final_values(events: Sequence[dict[str, Any]], view: ProfileView) -> dict[str, Any]:
    """What the deltas of each object accumulate to, keyed by event name and object id.

    Assistants-style deltas (``{"id", "delta": {...}}``) are folded the way the official
    clients fold them (``recorder.validate.accumulate``); other text deltas (Responses, Chat
    Completions, Anthropic) are concatenated.
    """
    folded: dict[str, DeltaAccumulator] = {}
    texts: dict[str, str] = {}
    order: list[str] = []
    for event in events:
        data = event["data"]
        if not isinstance(data, dict):
            continue
        owner = data.get("id") or data.get("item_id") or data.get("index")
        key = f"{event['event']} {owner}" if owner is not None else event["event"]
        delta = data.get("delta")
        if isinstance(delta, dict) and data.get("id") is not None and not data.get("choices"):
            if key not in folded:
                folded[key] = DeltaAccumulator()
                order.append(key)
            folded[key].merge(delta)
            continue
        piece = view.delta_text(data)
        if piece is not None:
            if key not in texts:
                order.append(key)
            texts[key] = texts.get(key, "") + piece
    return {key: folded[key].snapshot() if key in folded else texts[key] for key in order}


def _runs(names: Sequence[str], start: int, stop: int) -> str:
    """``thread.message.delta x3, thread.message.completed`` for names[start:stop]."""
    pieces: list[str] = []
    index = start
    while index < stop:
        end = index
        while end + 1 < stop and names[end + 1] == names[index]:
            end += 1
        count = end - index + 1
        pieces.append(names[index] + (f" x{count}" if count > 1 else ""))
        index = end + 1
    return ", ".join(pieces)


def _blocks(names: Sequence[str]) -> list[tuple[str, int, int]]:
    """``(name, start, stop)`` for each run of equal consecutive names."""
    blocks: list[tuple[str, int, int]] = []
    for index, name in enumerate(names):
        if blocks and blocks[-1][0] == name:
            blocks[-1] = (name, blocks[-1][1], index + 1)
        else:
            blocks.append((name, index, index + 1))
    return blocks


def _span(start: int, stop: int) -> str:
    return f"event {start}" if stop - start == 1 else f"events {start}-{stop - 1}"


def diff_events(
    a_events: Sequence[ServerSentEvent],
    b_events: Sequence[ServerSentEvent],
    *,
    exact: bool = False,
    interaction: int | None = None,
    a_normalizer: Normalizer | None = None,
    b_normalizer: Normalizer | None = None,
    profile: Profile | None = None,
) -> list[Difference]:
    """Differences between two event sequences (see the module docstring).

    ``profile`` (default: ``generic``) says which fields are volatile, where delta text is,
    and how the stream folds into its final object, which is compared path by path."""
    profile = profile or get_profile(GENERIC)
    volatile = profile.view.volatile
    if exact:
        a_items = [_raw_event(event) for event in a_events]
        b_items = [_raw_event(event) for event in b_events]
    else:
        left = a_normalizer or Normalizer(volatile)
        right = b_normalizer or Normalizer(volatile)
        a_items = [left.event(event) for event in a_events]
        b_items = [right.event(event) for event in b_events]
    a_names = [item["event"] for item in a_items]
    b_names = [item["event"] for item in b_items]
    found: list[Difference] = []
    missing: list[tuple[int, int]] = []  # (start, stop) spans of A that B lacks
    extra: list[tuple[int, int]] = []
    # Align runs of equal names, not single events: a stream is mostly long runs of deltas,
    # and difflib is quadratic on repetitive sequences. Runs of the same name pair up event
    # by event; the longer run's tail is missing or extra.
    a_blocks, b_blocks = _blocks(a_names), _blocks(b_names)
    matcher = difflib.SequenceMatcher(
        None, [name for name, _, _ in a_blocks], [name for name, _, _ in b_blocks], autojunk=False
    )
    for tag, a_first, a_last, b_first, b_last in matcher.get_opcodes():
        if tag == "equal":
            for (_, a_start, a_stop), (_, b_start, b_stop) in zip(
                a_blocks[a_first:a_last], b_blocks[b_first:b_last], strict=True
            ):
                common = min(a_stop - a_start, b_stop - b_start)
                for offset in range(common):
                    found.extend(
                        _payload_differences(
                            a_items, b_items, a_start + offset, b_start + offset, exact, interaction
                        )
                    )
                if a_start + common < a_stop:
                    missing.append((a_start + common, a_stop))
                if b_start + common < b_stop:
                    extra.append((b_start + common, b_stop))
            continue
        if a_last > a_first:
            missing.append((a_blocks[a_first][1], a_blocks[a_last - 1][2]))
        if b_last > b_first:
            extra.append((b_blocks[b_first][1], b_blocks[b_last - 1][2]))
    found.extend(_order_and_gaps(a_names, b_names, missing, extra, interaction))
    finals = _finals(a_events, b_events, profile)
    if finals is not None:
        found.extend(
            _final_differences(*finals, profile, exact, interaction, a_normalizer, b_normalizer)
        )
        return found
    a_final = _final_values(a_items, profile.view)
    b_final = _final_values(b_items, profile.view)
    for key in list(a_final) + [key for key in b_final if key not in a_final]:
        if key not in b_final or key not in a_final:
            side = "A" if key in a_final else "B"
            found.append(Difference("text", f"deltas of {key} only in {side}", interaction))
            continue
        for path, message in _compare_values(
            a_final[key], b_final[key], "$", skip_fragments=False, width=80
        ):
            found.append(
                Difference(
                    "text", f"accumulated deltas of {key}: {message}", interaction, json_path=path
                )
            )
    return found


def _finals(
    a_events: Sequence[ServerSentEvent], b_events: Sequence[ServerSentEvent], profile: Profile
) -> tuple[Any, Any] | None:
    """The two streams' final objects (the profile's fold), or None when the profile folds
    nothing or the fold built nothing of either (then delta texts are compared instead)."""
    if profile.fold_factory is None:
        return None
    a_final, b_final = profile.final_of(a_events), profile.final_of(b_events)
    return None if a_final is None and b_final is None else (a_final, b_final)


def _final_differences(
    a_final: Any,
    b_final: Any,
    profile: Profile,
    exact: bool,
    interaction: int | None,
    a_normalizer: Normalizer | None,
    b_normalizer: Normalizer | None,
) -> Iterator[Difference]:
    """The two streams' final objects (the profile's fold), compared path by path."""
    if not exact:
        volatile = profile.view.volatile
        a_final = (a_normalizer or Normalizer(volatile)).payload(a_final)
        b_final = (b_normalizer or Normalizer(volatile)).payload(b_final)
    for path, message in _compare_values(a_final, b_final, "$", skip_fragments=False, width=80):
        yield Difference(
            "text", f"final {profile.name} object: {message}", interaction, json_path=path
        )


def _raw_event(event: ServerSentEvent) -> dict[str, Any]:
    data, _ = decode(event.data)
    return {"event": event.event, "data": data, "id": event.id, "retry": event.retry}


def _payload_differences(
    a_items: list[dict[str, Any]],
    b_items: list[dict[str, Any]],
    a_index: int,
    b_index: int,
    exact: bool,
    interaction: int | None,
) -> Iterator[Difference]:
    left, right = a_items[a_index], b_items[b_index]
    name = left["event"]
    for field in ("id", "retry"):
        if left.get(field) != right.get(field):
            yield Difference(
                "payload",
                f"{name}: SSE {field} {_show(left.get(field))} in A, {_show(right.get(field))} "
                "in B",
                interaction,
                a_index,
                b_index,
            )
    compared = _compare_values(
        left["data"], right["data"], "$", skip_fragments=not exact and "delta" in name
    )
    for count, (path, message) in enumerate(compared, start=1):
        if count > _MAX_PAYLOAD_DIFFERENCES:
            yield Difference(
                "payload", f"{name}: more differences not shown", interaction, a_index, b_index
            )
            return
        yield Difference("payload", f"{name}: {message}", interaction, a_index, b_index, path)


def _order_and_gaps(
    a_names: list[str],
    b_names: list[str],
    missing: list[tuple[int, int]],
    extra: list[tuple[int, int]],
    interaction: int | None,
) -> Iterator[Difference]:
    """Events present on both sides but elsewhere are moves; the rest are missing or extra."""
    extra_positions: dict[str, list[int]] = {}
    for start, stop in extra:
        for index in range(start, stop):
            extra_positions.setdefault(b_names[index], []).append(index)
    moved_b: set[int] = set()
    moved: list[tuple[int, int]] = []
    remaining_missing: list[int] = []
    for start, stop in missing:
        for index in range(start, stop):
            positions = extra_positions.get(a_names[index])
            if positions:
                b_index = positions.pop(0)
                moved_b.add(b_index)
                moved.append((index, b_index))
            else:
                remaining_missing.append(index)
    # Consecutive moves of one name (a run of deltas shifted by an inserted event) are one
    # difference, not hundreds.
    groups: list[list[tuple[int, int]]] = []
    for a_index, b_index in moved:
        last = groups[-1][-1] if groups else None
        if (
            last is not None
            and (a_index, b_index) == (last[0] + 1, last[1] + 1)
            and a_names[a_index] == a_names[last[0]]
        ):
            groups[-1].append((a_index, b_index))
        else:
            groups.append([(a_index, b_index)])
    for group in groups:
        (a_start, b_start), (a_end, b_end) = group[0], group[-1]
        name = a_names[a_start]
        if len(group) == 1:
            message = f"{name} moved: event {a_start} in A is event {b_start} in B"
        else:
            message = (
                f"{name} x{len(group)} moved: events {a_start}-{a_end} in A are events "
                f"{b_start}-{b_end} in B"
            )
        yield Difference("order", message, interaction, a_start, b_start)
    for indexes, side, kind in (
        (remaining_missing, "A", "missing"),
        (
            [i for start, stop in extra for i in range(start, stop) if i not in moved_b],
            "B",
            "extra",
        ),
    ):
        names = a_names if side == "A" else b_names
        for start, stop in _contiguous(indexes):
            yield Difference(
                kind,
                f"only in {side}: {_span(start, stop)}: {_runs(names, start, stop)}",
                interaction,
                start if side == "A" else None,
                start if side == "B" else None,
            )


def _contiguous(indexes: list[int]) -> Iterator[tuple[int, int]]:
    if not indexes:
        return
    start = previous = indexes[0]
    for index in indexes[1:]:
        if index != previous + 1:
            yield start, previous + 1
            start = index
        previous = index
    yield start, previous + 1


def _request_line(interaction: Interaction, normalizer: Normalizer | None) -> str:
    url = interaction.request.url
    if normalizer is None:
        return f"{interaction.request.method} {url}"
    parts = urlsplit(url)
    segments = [
        normalizer.id_placeholder(segment, "path") if _SEGMENT_ID.match(segment) else segment
        for segment in (parts.path or "/").split("/")
    ]
    return f"{interaction.request.method} {'/'.join(segments)}"


def diff_interactions(
    a: Interaction,
    b: Interaction,
    *,
    exact: bool = False,
    index: int | None = None,
    a_normalizer: Normalizer | None = None,
    b_normalizer: Normalizer | None = None,
    profile: Profile | None = None,
) -> list[Difference]:
    """Differences between two interactions: request, status, outcome, then the events."""
    found: list[Difference] = []
    left_request = _request_line(a, None if exact else a_normalizer or Normalizer())
    right_request = _request_line(b, None if exact else b_normalizer or Normalizer())
    if left_request != right_request:
        found.append(
            Difference("request", f"request {left_request} in A, {right_request} in B", index)
        )
    a_status = a.response.status if a.response else None
    b_status = b.response.status if b.response else None
    if a_status != b_status:
        found.append(Difference("status", f"status {a_status} in A, {b_status} in B", index))
    if a.outcome != b.outcome:
        found.append(Difference("outcome", f"body ended {a.outcome} in A, {b.outcome} in B", index))
    found.extend(
        diff_events(
            parse_interaction(a, keep_comments=False).events,
            parse_interaction(b, keep_comments=False).events,
            exact=exact,
            interaction=index,
            a_normalizer=a_normalizer,
            b_normalizer=b_normalizer,
            profile=profile,
        )
    )
    return found


def diff_cassettes(
    a: Cassette, b: Cassette, *, exact: bool = False, profile: str | None = None
) -> list[Difference]:
    """Every difference between two cassettes; an empty list means equal by meaning.

    Each pair of interactions is compared under A's profile (``profile``, else recognised as
    ``validate`` does)."""
    found: list[Difference] = []
    if len(a.interactions) != len(b.interactions):
        found.append(
            Difference(
                "interactions",
                f"{len(a.interactions)} interactions in A, {len(b.interactions)} in B",
            )
        )
    # One normalizer per side for the whole cassette: a run id that reappears in the
    # continuation (submit_tool_outputs) keeps its placeholder.
    pairs = list(zip(a.interactions, b.interactions, strict=False))
    profiles = [profile_for(a, left, profile) for left, _ in pairs]
    volatile = sorted({name for chosen in profiles for name in chosen.view.volatile})
    a_normalizer, b_normalizer = Normalizer(volatile), Normalizer(volatile)
    for index, ((left, right), chosen) in enumerate(zip(pairs, profiles, strict=True)):
        found.extend(
            diff_interactions(
                left,
                right,
                exact=exact,
                index=index,
                a_normalizer=a_normalizer,
                b_normalizer=b_normalizer,
                profile=chosen,
            )
        )
    return found


def render_diff(
    differences: Sequence[Difference], a_name: str, b_name: str, *, exact: bool = False
) -> Iterator[str]:
    """Text lines for a terminal or a pipe: a header, one line per difference, a summary.

    Control characters and lone surrogates from the streams or file names are escaped
    (``recorder.report.timeline.printable``).
    """
    yield printable(f"A: {a_name}")
    yield printable(f"B: {b_name}")
    for difference in differences:
        where = difference.location()
        yield printable(f"{where}: {difference.message}" if where else difference.message)
    if not differences:
        yield "equal" if exact else "equal (ids and timestamps ignored)"
        return
    counts = Counter(difference.kind for difference in differences)
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items()))
    yield f"{len(differences)} differences ({summary})"
