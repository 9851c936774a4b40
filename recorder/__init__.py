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
    from recorder.cassette import (
        Cassette,
        CassetteWriter,
        Chunk,
        Interaction,
        RecordedRequest,
        RecordedResponse,
        load_cassette,
    )
    from recorder.cassette.importers import import_file
    from recorder.cassette.stream import ParsedStream, parse_interaction
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
    from recorder.profiles import Profile, get_profile
    from recorder.record.proxy import RecordingProxy
    from recorder.record.redaction import Redactor
    from recorder.record.transport import AsyncRecordingTransport, RecordingTransport
    from recorder.replay.faults import FaultSpec
    from recorder.replay.matching import Matcher
    from recorder.replay.server import ReplayServer
    from recorder.replay.transport import AsyncReplayTransport, ReplayTransport
    from recorder.report.diff import diff_cassettes
    from recorder.report.normalize import normalize_events
    from recorder.validate.assertions import assert_conforms
    from recorder.validate.findings import Finding, Severity
    from recorder.validate.runner import (
        FileResult,
        RuleConfig,
        iter_findings,
        validate_cassette,
        validate_file,
        validate_paths,
    )
    from recorder.validate.schemas import SchemaSet
    from recorder.wire.sse import ServerSentEvent, SSEComment, SSEParser, encode_event, parse_bytes

_HOMES: dict[str, tuple[str, ...]] = {
    "recorder.wire.sse": (
        "SSEComment",
        "SSEParser",
        "ServerSentEvent",
        "encode_event",
        "parse_bytes",
    ),
    "recorder.cassette.stream": ("ParsedStream", "parse_interaction"),
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
    "recorder.validate.findings": ("Finding", "Severity"),
    "recorder.validate.runner": (
        "FileResult",
        "RuleConfig",
        "iter_findings",
        "validate_cassette",
        "validate_file",
        "validate_paths",
    ),
    "recorder.profiles": ("Profile", "get_profile"),
    "recorder.validate.schemas": ("SchemaSet",),
    "recorder.validate.assertions": ("assert_conforms",),
    "recorder.record.redaction": ("Redactor",),
    "recorder.record.transport": ("AsyncRecordingTransport", "RecordingTransport"),
    "recorder.record.proxy": ("RecordingProxy",),
    "recorder.replay.server": ("ReplayServer",),
    "recorder.replay.transport": ("AsyncReplayTransport", "ReplayTransport"),
    "recorder.replay.matching": ("Matcher",),
    "recorder.replay.faults": ("FaultSpec",),
    "recorder.report.diff": ("diff_cassettes",),
    "recorder.report.normalize": ("normalize_events",),
    "recorder.cassette.importers": ("import_file",),
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
