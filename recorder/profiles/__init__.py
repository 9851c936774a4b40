"""Profiles: the contracts a stream can be checked against.

A profile is data plus small rules: its JSON Schemas live in ``schemas/<schema_profile>/``, its
lifecycles are :class:`recorder.validate.lifecycle.LifecycleSpec` values, and its rules are
functions that yield findings. Each profile is a module in this package that defines
``PROFILE``; they are discovered by name, so adding one (OpenAI Responses, Anthropic Messages...) adds a module
and schema files and touches nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Protocol

from recorder.errors import ProfileError
from recorder.validate.findings import Finding, Severity
from recorder.validate.lifecycle import Enclosure, LifecycleSpec

if TYPE_CHECKING:
    from recorder.cassette import RecordedRequest
    from recorder.wire.sse import ServerSentEvent

__all__ = [
    "Endpoint",
    "Profile",
    "Rule",
    "StreamChecker",
    "StreamSetup",
    "get_profile",
    "profile_names",
]


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule's identity: id, where it comes from, default severity, one-line summary."""

    id: str
    source: str  # SPEC, SDK, EX (or "SPEC/EX")
    severity: Severity
    summary: str


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Requests matching ``method`` and the ``path`` regex produce streams of ``shape``.

    Named groups in ``path`` (``thread_id``, ``run_id``) become facts the rules can check.
    """

    method: str
    path: str
    shape: str

    def match(self, request: RecordedRequest) -> dict[str, str] | None:
        """The path's named groups when ``request`` hits this endpoint, else None."""
        if request.method.upper() != self.method:
            return None
        found = re.search(self.path, request.path)
        return found.groupdict() if found else None


@dataclass(slots=True)
class StreamSetup:
    """What a checker knows about one stream before its first event."""

    interaction: int | None
    request: RecordedRequest | None
    shape: str | None  # None: unknown endpoint, infer from the events
    facts: dict[str, str] = field(default_factory=dict)  # from the endpoint's path
    strict: bool = False
    schemas: bool = True
    #: What the previous stream of the same cassette left behind (profile-specific).
    previous: object | None = None


class StreamChecker(Protocol):
    """Checks one stream, event by event; made by ``Profile.checker(setup)``."""

    def event(self, index: int, event: ServerSentEvent) -> Iterable[Finding]:
        """Findings about event number ``index`` (0-based, ``done`` included)."""
        ...

    def finish(self, *, end_offset: int, cut: str | None) -> Iterator[Finding]:
        """Findings once the body has ended (``cut`` says how, when it did not end cleanly)."""
        ...

    def carry(self) -> object | None:
        """What the next stream of the same cassette should know (see ``StreamSetup``)."""
        ...


@dataclass(frozen=True, slots=True)
class Profile:
    """A contract: its rules, lifecycles (as data), endpoints, and a checker factory."""

    name: str
    schema_profile: str
    description: str
    rules: Mapping[str, Rule]
    lifecycles: tuple[LifecycleSpec, ...]
    enclosures: tuple[Enclosure, ...]
    endpoints: tuple[Endpoint, ...]
    checker: Callable[[StreamSetup], StreamChecker]
    #: Rule id for framing problems found below the events (invalid UTF-8, a block without
    #: data that was never dispatched, stray lines).
    framing_rule: str = "F1"

    def endpoint_for(self, request: RecordedRequest | None) -> tuple[str | None, dict[str, str]]:
        """The stream shape and path facts of ``request`` (``(None, {})`` when unknown)."""
        if request is None:
            return None, {}
        for endpoint in self.endpoints:
            facts = endpoint.match(request)
            if facts is not None:
                return endpoint.shape, facts
        return None, {}


@cache
def profile_names() -> tuple[str, ...]:
    """Names of the profiles this installation has."""
    return tuple(
        sorted(
            info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")
        )
    )


@cache
def get_profile(name: str) -> Profile:
    """The profile called ``name`` (``ProfileError`` listing the known ones otherwise)."""
    if name not in profile_names():
        known = ", ".join(profile_names()) or "none"
        raise ProfileError(f"unknown profile {name!r} (known: {known})")
    module = importlib.import_module(f"{__name__}.{name}")
    profile = getattr(module, "PROFILE", None)
    if not isinstance(profile, Profile):
        raise ProfileError(f"module {module.__name__} defines no PROFILE")
    return profile
