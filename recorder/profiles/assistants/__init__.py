"""The OpenAI Assistants run-stream profile (profile.toml, rules.py, fold.py)."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """``RULES``: the profile's rules, read from profile.toml on first use."""
    if name == "RULES":
        from recorder.profiles import get_profile

        return get_profile("assistants").rules
    raise AttributeError(name)
