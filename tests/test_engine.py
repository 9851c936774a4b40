"""The engine's fast plans (``FastPlan``) decide exactly what the full way decides.

Every event after the first of its kind is tried on its kind's fast plan first; when a check
fails the event goes the full way. So on every real body, and on broken variants of them
(an event dropped, duplicated, swapped with the next, or a field altered), the findings with
the fast plans must equal those with every event sent the full way, finding for finding.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recorder.validate.engine import EngineChecker
from recorder.validate.runner import FileResult, validate_file

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "fixtures" / "real-streams"
APIS = ("assistants", "responses", "chat", "anthropic")


def _bodies(api: str) -> list[Path]:
    return sorted((REAL / api).glob("*.sse"))


class _Counted:
    """Counts the events the fast plans took (so the comparison is not vacuous)."""

    def __init__(self) -> None:
        self.taken = 0
        self.tried = 0

    def wrap(self, fast: Any) -> Any:
        def counted(*args: Any) -> Any:
            found = fast(*args)
            self.tried += 1
            self.taken += found is not None
            return found

        return counted


def _full_way(*args: Any) -> None:
    return None


def _compare(path: Path, monkeypatch: pytest.MonkeyPatch, **options: Any) -> FileResult:
    fast = validate_file(path, **options)
    with monkeypatch.context() as patch:
        patch.setattr(EngineChecker, "_fast", _full_way)
        full = validate_file(path, **options)
    assert fast.profile == full.profile
    assert fast.events == full.events
    assert [f.to_dict() for f in fast.findings] == [f.to_dict() for f in full.findings], path
    return fast


def _variants(body: bytes, rng: random.Random) -> Iterator[tuple[str, bytes]]:
    """Broken copies of ``body``: one event dropped, duplicated, swapped with the next, or
    one top-level field of its JSON altered (LF-framed bodies only)."""
    if b"\r" in body:
        return
    blocks = body.split(b"\n\n")
    events = [i for i, block in enumerate(blocks) if b"data:" in block]
    if len(events) < 3:
        return
    for _ in range(3):
        at = rng.choice(events[1:])
        changed = list(blocks)
        how = rng.choice(("drop", "duplicate", "swap", "alter", "alter"))
        if how == "drop":
            del changed[at]
        elif how == "duplicate":
            changed.insert(at, blocks[at])
        elif how == "swap" and at + 1 < len(blocks) and blocks[at + 1]:
            changed[at], changed[at + 1] = changed[at + 1], changed[at]
        else:
            altered = _alter(blocks[at], rng)
            if altered is None:
                continue
            how, changed[at] = "alter", altered
        yield f"{how} block {at}", b"\n\n".join(changed)


def _alter(block: bytes, rng: random.Random) -> bytes | None:
    lines = block.split(b"\n")
    for number, line in enumerate(lines):
        if line.startswith(b"data: "):
            try:
                payload = json.loads(line[6:])
            except ValueError:
                return None
            if not isinstance(payload, dict) or not payload:
                return None
            key = rng.choice(sorted(payload))
            value = payload[key]
            if isinstance(value, bool) or value is None:
                del payload[key]
            elif isinstance(value, int):
                payload[key] = value + rng.choice((-1, 1, 2))
            elif isinstance(value, str):
                payload[key] = value + "x"
            else:
                del payload[key]
            lines[number] = b"data: " + json.dumps(payload).encode()
            return b"\n".join(lines)
    return None


@pytest.mark.parametrize("api", APIS)
def test_fast_plans_agree_with_the_full_way_on_every_real_body(
    api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted = _Counted()
    monkeypatch.setattr(EngineChecker, "_fast", counted.wrap(EngineChecker._fast))
    bodies = _bodies(api)
    assert len(bodies) > 20
    for path in bodies:
        _compare(path, monkeypatch)
    # The bulk of a real stream is its deltas: the fast plans take most of them.
    assert counted.taken > 0.5 * counted.tried > 100, (counted.taken, counted.tried)


@pytest.mark.parametrize("api", APIS)
def test_fast_plans_agree_with_the_full_way_on_broken_variants(
    api: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rng = random.Random(f"fast-{api}")
    broken = 0
    for path in _bodies(api):
        for number, (how, body) in enumerate(_variants(path.read_bytes(), rng)):
            variant = tmp_path / f"{path.stem}-{number}.sse"
            variant.write_bytes(body)
            result = _compare(variant, monkeypatch)
            broken += not result.ok
            assert how
    assert broken > 50


@pytest.mark.parametrize("api", APIS)
def test_fast_plans_agree_with_the_full_way_when_strict(
    api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in _bodies(api)[::4]:
        _compare(path, monkeypatch, strict=True)


def test_a_repeated_schema_warning_is_reported_once_then_counted(tmp_path: Path) -> None:
    """An undocumented field on every delta (``obfuscation``) is one warning at the first
    delta that has it and one note of how many more had it, fast plans or not."""
    events = [
        {"type": "response.created", "response": _response("in_progress")},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {
                "id": "msg_1",
                "type": "message",
                "status": "in_progress",
                "role": "assistant",
                "content": [],
            },
        },
        {
            "type": "response.content_part.added",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": []},
        },
    ]
    pieces = ["Hel", "lo", ", ", "wor", "ld"]
    for piece in pieces:
        events.append(
            {
                "type": "response.output_text.delta",
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 0,
                "delta": piece,
                "logprobs": [],
                "obfuscation": "abc",
            }
        )
    body = b"".join(
        f"event: {event['type']}\ndata: {json.dumps({**event, 'sequence_number': n})}\n\n".encode()
        for n, event in enumerate(events)
    )
    path = tmp_path / "deltas.sse"
    path.write_bytes(body)
    found = [
        (f.rule, f.severity.value, f.event_index, f.json_path)
        for f in validate_file(path).findings
        if f.rule == "SCHEMA-EXTRA"
    ]
    assert found[0] == ("SCHEMA-EXTRA", "warning", 3, "$.obfuscation")
    notes = [f for f in validate_file(path).findings if f.severity.value == "info"]
    assert len(notes) == 1
    assert notes[0].message.startswith("response.output_text.delta: 4 more time(s)")


def _response(status: str) -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "created_at": 1, "status": status}
