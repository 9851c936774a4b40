"""Event data as JSON, decoded safely: a payload nested absurdly deep stays text.

Every tool that looks inside payloads (rules, timelines, diffs, snapshots, reports) recurses
over them; a hostile or broken stream can nest thousands of levels, past Python's recursion
limit. No real API object comes near ``MAX_DEPTH``, so deeper payloads are treated like data
that is not JSON (the validator reports them as F1).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_DEPTH", "decode", "too_deep"]

#: Containers a payload may nest (the payload itself is level 1).
MAX_DEPTH = 64


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when ``value`` nests containers deeper than ``limit`` (found without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def decode(data: str) -> tuple[Any, bool]:
    """``(value, True)`` for JSON within ``MAX_DEPTH``, else ``(data, False)``."""
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return data, False
    # Only payloads with enough brackets can be too deep: keep the walk off the common case.
    if data.count("[") + data.count("{") > MAX_DEPTH and too_deep(value):
        return data, False
    return value, True
