"""The public API: pinned, importable, and cheap to import."""

from __future__ import annotations

import subprocess
import sys

import recorder
from tests.conftest import REPO

PUBLIC = [
    "AsyncRecordingTransport",
    "AsyncReplayTransport",
    "Cassette",
    "CassetteError",
    "CassetteFormatError",
    "CassetteNotFoundError",
    "CassetteWriter",
    "Chunk",
    "ContractError",
    "FaultSpec",
    "FileResult",
    "Finding",
    "Interaction",
    "Matcher",
    "ParsedStream",
    "Profile",
    "ProfileError",
    "RecordedRequest",
    "RecordedResponse",
    "RecorderError",
    "RecordingProxy",
    "RecordingTransport",
    "Redactor",
    "ReplayServer",
    "ReplayTransport",
    "RuleConfig",
    "SSEComment",
    "SSEError",
    "SSEParser",
    "SchemaSet",
    "ServerSentEvent",
    "Severity",
    "UsageError",
    "__version__",
    "assert_conforms",
    "diff_cassettes",
    "encode_event",
    "get_profile",
    "import_file",
    "iter_findings",
    "load_cassette",
    "normalize_events",
    "parse_bytes",
    "parse_interaction",
    "validate_cassette",
    "validate_file",
    "validate_paths",
]


def test_public_api_is_pinned() -> None:
    assert recorder.__all__ == PUBLIC


def test_every_public_name_resolves() -> None:
    for name in recorder.__all__:
        assert getattr(recorder, name) is not None, name


def test_unknown_name_is_an_attribute_error() -> None:
    try:
        recorder.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("expected AttributeError")


def test_errors_inherit_the_builtins_they_resemble() -> None:
    assert issubclass(recorder.CassetteNotFoundError, FileNotFoundError)
    assert issubclass(recorder.CassetteFormatError, ValueError)
    assert issubclass(recorder.ContractError, AssertionError)
    for name in ("CassetteError", "ContractError", "ProfileError", "SSEError", "UsageError"):
        assert issubclass(getattr(recorder, name), recorder.RecorderError)


def test_import_recorder_loads_no_heavy_dependency() -> None:
    code = (
        "import sys, recorder, recorder.plugin; "
        "heavy = ('pydantic', 'httpx', 'jsonschema', 'uvicorn'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert done.stdout.strip() == "[]"
