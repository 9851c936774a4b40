"""The OpenAI Assistants run-stream profile (profile.toml, rules.py, fold.py)."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """``RULES`` (the profile's rules), ``LIFECYCLES``/``ENCLOSURES`` (its entities as
    ``recorder.validate.lifecycle`` specs), read from profile.toml on first use."""
    from recorder.profiles import get_profile

    profile = get_profile("assistants")
    if name == "RULES":
        return profile.rules
    if name in ("LIFECYCLES", "ENCLOSURES"):
        from recorder.validate.lifecycle import Enclosure, LifecycleSpec

        assert profile.spec is not None
        if name == "ENCLOSURES":
            link = ("step_details", "message_creation", "message_id")
            return (Enclosure("step", "message", link, "P5"),)
        return tuple(
            LifecycleSpec(
                entity.name,
                created=entity.created[0],
                progress=frozenset(k for k in entity.members if not k.endswith(".delta")),
                deltas=frozenset(k for k in entity.members if k.endswith(".delta")),
                terminal=frozenset(entity.terminal),
                order_rule=entity.rule,
                once_rule=entity.once_rule or entity.rule,
                interleave_rule="M2" if entity.name == "message" else None,
            )
            for entity in profile.spec.entities
        )
    raise AttributeError(name)
