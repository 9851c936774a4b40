"""Volatile fields made stable: ids and timestamps become placeholders, structure is kept.

Two recordings of the same conversation differ in every id (``run_Uy45…``) and timestamp
(``created_at``). To compare them by meaning (``diff``, snapshots), those values are replaced by
placeholders that keep the structure: the first run id seen becomes ``<run_1>`` everywhere it
appears (in ``id``, ``run_id``, the request URL...), the second ``<run_2>``; every non-null
timestamp becomes ``<timestamp>`` (a null one stays null: "not set yet" is meaning). A profile
adds its own volatile fields (its view's ``volatile`` names: ``obfuscation``, ``signature``,
``sequence_number``...), which become placeholders too.

>>> event = {"event": "thread.run.created", "data": '{"id": "run_Uy45", "created_at": 17}'}
>>> normalize_events([event])
[{'event': 'thread.run.created', 'data': {'id': '<run_1>', 'created_at': '<timestamp>'}}]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from recorder.wire.payload import decode
from recorder.wire.sse import ServerSentEvent

__all__ = ["Normalizer", "normalize_events"]

# OpenAI ids: a short lowercase prefix, ``_`` or ``-``, then an opaque token (run_…, msg_…,
# call_…, file-…, chatcmpl-…). The kind in the placeholder comes from that prefix.
_PREFIXED_ID = re.compile(r"^([a-z][a-z0-9]{0,15})[_-]([A-Za-z0-9_-]+)$")
_TIMESTAMP_KEYS = frozenset({"created", "timestamp"})


def _is_id_key(key: str) -> bool:
    return key == "id" or key.endswith(("_id", "_ids")) or key in ("first_id", "last_id")


def _is_timestamp_key(key: str) -> bool:
    return key.endswith("_at") or key in _TIMESTAMP_KEYS


class Normalizer:
    """Maps volatile values to placeholders; one instance keeps the mapping consistent.

    Use one ``Normalizer`` for all the interactions of one side of a comparison, so an id
    that reappears (the run of a ``submit_tool_outputs`` continuation) gets the same
    placeholder.
    """

    def __init__(self, volatile: Sequence[str] = ()) -> None:
        self._ids: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        #: A profile's volatile field names (``fnmatch`` patterns such as ``*_id``,
        #: ``obfuscation``, ``sequence_number``): replaced beyond the ids and timestamps.
        self._volatile = tuple(volatile)
        self._seen: dict[str, bool] = {}

    def _is_volatile(self, key: str) -> bool:
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = any(fnmatchcase(key, p) for p in self._volatile)
        return found

    def id_placeholder(self, value: str, key: str = "id") -> str:
        """The placeholder of id ``value`` (``<run_1>``), allocating one on first sight."""
        known = self._ids.get(value)
        if known is not None:
            return known
        match = _PREFIXED_ID.match(value)
        kind = match.group(1) if match else key.removesuffix("_ids").removesuffix("_id") or "id"
        self._counts[kind] = self._counts.get(kind, 0) + 1
        placeholder = f"<{kind}_{self._counts[kind]}>"
        self._ids[value] = placeholder
        return placeholder

    def known(self, value: str) -> str | None:
        """The placeholder already given to ``value``, if any."""
        return self._ids.get(value)

    def payload(self, value: Any, key: str = "") -> Any:
        """A copy of a decoded JSON value with ids and timestamps replaced."""
        if isinstance(value, dict):
            return {k: self.payload(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.payload(item, key) for item in value]
        volatile = bool(key and self._volatile and self._is_volatile(key))
        if isinstance(value, str):
            if value and (_is_id_key(key) or volatile):
                return self.id_placeholder(value, key)
            known = self._ids.get(value)
            return known if known is not None else value
        if isinstance(value, int | float) and not isinstance(value, bool):
            if _is_timestamp_key(key):
                return "<timestamp>"
            if volatile:
                return f"<{key}>"
        return value

    def text(self, value: str) -> str:
        """``value`` with every id already seen replaced (for URLs and free text)."""
        present = [original for original in self._ids if original in value]
        if not present:
            return value
        # One pass, longest first: ``run_1`` must not cut ``run_12`` into ``<run_1>2``.
        present.sort(key=len, reverse=True)
        pattern = re.compile("|".join(map(re.escape, present)))
        return pattern.sub(lambda match: self._ids[match.group()], value)

    def event(self, event: ServerSentEvent | Mapping[str, Any]) -> dict[str, Any]:
        """One event as ``{"event", "data"[, "id"][, "retry"]}`` with its payload normalized.

        ``data`` is the decoded JSON when it is JSON, else the string. The SSE ``id`` field is
        kept (as a placeholder) only when set.
        """
        if isinstance(event, ServerSentEvent):
            name, data, sse_id, retry = event.event, event.data, event.id, event.retry
        else:
            name = str(event.get("event", "message"))
            data = event.get("data", "")
            sse_id = str(event.get("id") or "")
            retry = event.get("retry")
        decoded: Any = data
        if isinstance(data, str):
            decoded, _ = decode(data)
        result: dict[str, Any] = {"event": name, "data": self.payload(decoded)}
        if sse_id:
            result["id"] = self.id_placeholder(sse_id, "event_id")
        if retry is not None:
            result["retry"] = retry
        return result


def normalize_events(
    events: Iterable[ServerSentEvent | Mapping[str, Any]],
    *,
    normalizer: Normalizer | None = None,
    volatile: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Events as plain dicts with ids and timestamps replaced by stable placeholders.

    Accepts parser events or dicts with ``event``/``data`` (``data`` a JSON string or an
    already decoded value). Pass a shared ``normalizer`` to keep placeholders consistent across
    several streams.
    """
    active = normalizer if normalizer is not None else Normalizer(volatile)
    return [active.event(event) for event in events]
