"""sse-recorder: record Server-Sent Event streams, check them against a contract, replay them.

The public API is what ``__all__`` lists; everything else may change. Names are imported on
first use (PEP 562), so ``import recorder`` stays cheap: the pytest plugin loads in every test
run of a project that installs sse-recorder, and most runs use none of this.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from recorder._version import __version__

if TYPE_CHECKING:
    from recorder.assertions import assert_conforms
    from recorder.cassette import (
        Cassette,
        CassetteWriter,
        Chunk,
        Interaction,
        RecordedRequest,
        RecordedResponse,
        load_cassette,
    )
    from recorder.diff import diff_cassettes
    from recorder.errors import (
        CassetteError,
        CassetteFormatError,
        CassetteNotFoundError,
        ContractError,
        ProfileError,
        RecorderError,
        SSEError,
        UsageError,
    )
    from recorder.faults import FaultSpec
    from recorder.findings import Finding, Severity
    from recorder.importers import import_file
    from recorder.matching import Matcher
    from recorder.normalize import normalize_events
    from recorder.profiles import Profile, get_profile
    from recorder.proxy import RecordingProxy
    from recorder.redaction import Redactor
    from recorder.replay_server import ReplayServer
    from recorder.replay_transport import AsyncReplayTransport, ReplayTransport
    from recorder.schemas import SchemaSet
    from recorder.sse import ServerSentEvent, SSEComment, SSEParser, encode_event, parse_bytes
    from recorder.stream import ParsedStream, parse_interaction
    from recorder.transport import AsyncRecordingTransport, RecordingTransport
    from recorder.validate import (
        FileResult,
        RuleConfig,
        iter_findings,
        validate_cassette,
        validate_file,
        validate_paths,
    )

_HOMES: dict[str, tuple[str, ...]] = {
    "recorder.sse": ("SSEComment", "SSEParser", "ServerSentEvent", "encode_event", "parse_bytes"),
    "recorder.stream": ("ParsedStream", "parse_interaction"),
    "recorder.cassette": (
        "Cassette",
        "CassetteWriter",
        "Chunk",
        "Interaction",
        "RecordedRequest",
        "RecordedResponse",
        "load_cassette",
    ),
    "recorder.errors": (
        "CassetteError",
        "CassetteFormatError",
        "CassetteNotFoundError",
        "ContractError",
        "ProfileError",
        "RecorderError",
        "SSEError",
        "UsageError",
    ),
    "recorder.findings": ("Finding", "Severity"),
    "recorder.validate": (
        "FileResult",
        "RuleConfig",
        "iter_findings",
        "validate_cassette",
        "validate_file",
        "validate_paths",
    ),
    "recorder.profiles": ("Profile", "get_profile"),
    "recorder.schemas": ("SchemaSet",),
    "recorder.assertions": ("assert_conforms",),
    "recorder.redaction": ("Redactor",),
    "recorder.transport": ("AsyncRecordingTransport", "RecordingTransport"),
    "recorder.proxy": ("RecordingProxy",),
    "recorder.replay_server": ("ReplayServer",),
    "recorder.replay_transport": ("AsyncReplayTransport", "ReplayTransport"),
    "recorder.matching": ("Matcher",),
    "recorder.faults": ("FaultSpec",),
    "recorder.diff": ("diff_cassettes",),
    "recorder.normalize": ("normalize_events",),
    "recorder.importers": ("import_file",),
}
_WHERE = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted([*_WHERE, "__version__"])


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'recorder' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return __all__
