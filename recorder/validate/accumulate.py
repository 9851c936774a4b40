"""Folding stream deltas into a snapshot, the way the official clients do.

The rule (CONTRACT.md, "Accumulation"): strings concatenate; lists of objects merge by their
``index`` key; ``index`` and ``type`` are overwritten, never added; any other value replaces
the old one. For the fields Assistants deltas carry this is what openai-python's
``accumulate_delta`` does (it also adds numbers, which no delta streams, and rejects list items
without ``index``, which are appended here). Written once for the validator (rules A1-A5) and
for snapshot folding.

Strings are kept as :class:`Pieces` (a list of fragments) while accumulating, so a message
built from a million one-word deltas costs linear time, not quadratic; :func:`materialize`
joins them into plain JSON values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["DeltaAccumulator", "Pieces", "accumulate", "materialize", "merge_delta"]

#: Keys whose value a delta overwrites instead of concatenating (they identify the part).
_OVERWRITTEN = frozenset({"index", "type"})


class Pieces(list[str]):
    """A string being accumulated: its fragments, joined only when materialized."""

    __slots__ = ()

    def text(self) -> str:
        """The fragments joined."""
        return "".join(self)


def _adopt(value: Any) -> Any:
    """A private, accumulating copy of a delta value (strings become Pieces)."""
    if isinstance(value, str):
        return Pieces((value,))
    if isinstance(value, dict):
        return {key: (item if key in _OVERWRITTEN else _adopt(item)) for key, item in value.items()}
    if isinstance(value, list):
        return [_adopt(item) for item in value]
    return value


def merge_delta(target: dict[str, Any], delta: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``delta`` into ``target`` (in place) and return ``target``.

    ``target`` holds accumulating values (made by this function or :func:`_adopt`); plain
    strings already in it are treated as a first fragment.
    """
    for key, value in delta.items():
        if key in _OVERWRITTEN:
            target[key] = value
            continue
        old = target.get(key)
        if old is None:
            target[key] = _adopt(value)
        elif isinstance(value, str) and isinstance(old, str | Pieces):
            if isinstance(old, Pieces):
                old.append(value)
            else:
                target[key] = Pieces((old, value))
        elif isinstance(value, dict) and isinstance(old, dict):
            merge_delta(old, value)
        elif isinstance(value, list) and isinstance(old, list) and not isinstance(old, Pieces):
            _merge_list(old, value)
        else:
            target[key] = _adopt(value)
    return target


def _merge_list(target: list[Any], items: list[Any]) -> None:
    for item in items:
        index = item.get("index") if isinstance(item, dict) else None
        if not isinstance(index, int) or isinstance(index, bool):
            target.append(_adopt(item))  # no index: a new element
            continue
        existing = next(
            (
                element
                for element in target
                if isinstance(element, dict) and element.get("index") == index
            ),
            None,
        )
        if existing is None:
            target.append(_adopt(item))
        else:
            merge_delta(existing, item)


def materialize(value: Any) -> Any:
    """Plain JSON from an accumulated value: Pieces joined, containers copied."""
    if isinstance(value, Pieces):
        return value.text()
    if isinstance(value, dict):
        return {key: materialize(item) for key, item in value.items()}
    if isinstance(value, list):
        return [materialize(item) for item in value]
    return value


class DeltaAccumulator:
    """Accumulates the deltas of one object (``merge`` each, read ``snapshot()``).

    >>> acc = DeltaAccumulator()
    >>> acc.merge({"content": [{"index": 0, "type": "text", "text": {"value": "Hel"}}]})
    >>> acc.merge({"content": [{"index": 0, "type": "text", "text": {"value": "lo"}}]})
    >>> acc.snapshot()
    {'content': [{'index': 0, 'type': 'text', 'text': {'value': 'Hello'}}]}
    """

    __slots__ = ("state",)

    def __init__(self, initial: Mapping[str, Any] | None = None) -> None:
        #: The accumulating value (strings as Pieces); rules may read it directly.
        self.state: dict[str, Any] = _adopt(dict(initial)) if initial else {}

    def merge(self, delta: Mapping[str, Any]) -> None:
        """Fold one delta in."""
        merge_delta(self.state, delta)

    def snapshot(self) -> dict[str, Any]:
        """The accumulated object as plain JSON."""
        result: dict[str, Any] = materialize(self.state)
        return result


def accumulate(deltas: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Fold a sequence of deltas into one plain JSON object."""
    accumulator = DeltaAccumulator()
    for delta in deltas:
        accumulator.merge(delta)
    return accumulator.snapshot()
