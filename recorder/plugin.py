"""The pytest plugin: record and replay streams inside tests, and contract-test cassettes.

Registered as the ``pytest11`` entry point ``sse_recorder``. Everything is prefixed ``sse`` so
it installs next to pytest-recording / vcrpy without a clash.

Record and replay::

    @pytest.mark.sse_cassette(mode="once")
    def test_run(sse_client):
        with sse_client.stream("POST", "https://api.example/v1/threads/runs", json=...) as r:
            ...

``--sse-record-mode`` (command line) beats the marker's ``mode=``, which beats the
``sse_config`` fixture's ``record_mode`` (override that fixture in a ``conftest.py``):

- ``none`` (default): replay only; a missing cassette fails and says how to record it;
- ``once``: replay when the cassette exists, else record it;
- ``new_episodes``: replay what matches, record (append) what does not;
- ``all``: record every time, overwriting.

A cassette is ``<cassette dir>/<test module>/<test name>.jsonl`` unless the marker names it;
the directory is ``fixtures/cassettes`` under the root directory unless ``--sse-cassette-dir``,
``sse_config["cassette_dir"]`` or the ``sse_cassette_dir`` ini option says otherwise. A cassette
recorded by a test is validated against its contract when the test ends.

Fixtures: ``sse_cassette`` (the ``recorder.testing.modes.CassetteSession`` of the test),
``sse_transport`` / ``sse_async_transport`` (httpx transports, also usable with ``httpx2`` and
so with ``openai``), ``sse_client`` / ``sse_async_client``, ``sse_base_url`` (a replay or
recording server on 127.0.0.1 for network clients), ``sse_config`` (project defaults, to
override) and ``sse_snapshot`` (syrupy's ``snapshot`` with ``SSESnapshotExtension``).

A replay needs no API key: while a test only replays, an unset ``OPENAI_API_KEY`` or
``ANTHROPIC_API_KEY`` holds a placeholder (the client libraries refuse to start without one),
so ``openai.OpenAI(base_url=sse_base_url + "/v1")`` runs in CI without a secret.

Contract tests at scale: ``pytest --sse-validate PATH`` collects each cassette and ``.sse`` file
under PATH as one test item, which fails with the validator's findings.

This module imports only pytest at import time: httpx, the recorder, the validator and syrupy
load when a test first needs them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    import httpx

    from recorder.testing.modes import CassetteSession

__all__ = [
    "CONFIG_KEYS",
    "MARKER_OPTIONS",
    "RECORD_MODES",
    "REPLAY_API_KEY",
    "REPLAY_KEY_VARIABLES",
    "parse_mode",
]

_CASSETTE_SUFFIXES = (".jsonl", ".sse", ".cassette")
T = TypeVar("T")


#: The record modes (``recorder.testing.modes.RecordMode``), listed here so that checking an option
#: does not import httpx.
RECORD_MODES = ("none", "once", "new_episodes", "all")
#: Keyword arguments ``@pytest.mark.sse_cassette`` accepts (besides one positional name).
MARKER_OPTIONS = ("mode", "upstream", "profile", "strict", "validate", "match_on")
#: Keys the ``sse_config`` fixture may return.
CONFIG_KEYS = (
    "record_mode",
    "cassette_dir",
    "upstream",
    "profile",
    "strict",
    "validate",
    "match_on",
)

_ALLOWED_MODES = ", ".join(RECORD_MODES)

#: Environment variables client libraries refuse to start without (``openai.OpenAI()`` raises
#: when ``OPENAI_API_KEY`` is unset), although a replay never sends a key anywhere. While a test
#: only replays, each one that is unset holds ``REPLAY_API_KEY``, so CI needs no secret; a test
#: that records sees the real environment (a missing key must fail there, not be recorded).
REPLAY_KEY_VARIABLES = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")
REPLAY_API_KEY = "replay-needs-no-key"


def parse_mode(value: object, where: str) -> str:
    """``value`` as a record mode name, or a ``pytest.UsageError`` naming ``where`` and the
    allowed modes."""
    mode = str(value).replace("-", "_")
    if mode not in RECORD_MODES:
        raise pytest.UsageError(
            f"{where}: unknown record mode {value!r}; allowed: {_ALLOWED_MODES}"
        )
    return mode


# --------------------------------------------------------------------------- options and hooks


def pytest_addoption(parser: pytest.Parser) -> None:
    """Command-line and ini options, all prefixed ``sse``."""
    group = parser.getgroup("sse-recorder", "sse-recorder: record, replay and validate SSE")
    group.addoption(
        "--sse-record-mode",
        metavar="MODE",
        default=None,
        help=f"when tests record their cassettes: {_ALLOWED_MODES} (default: none, replay only)",
    )
    group.addoption(
        "--sse-cassette-dir",
        metavar="DIR",
        default=None,
        help="where cassettes live (default: the sse_cassette_dir ini option)",
    )
    group.addoption(
        "--sse-validate",
        metavar="PATH",
        action="append",
        default=[],
        help="collect every cassette and .sse file under PATH as a contract test (repeatable)",
    )
    group.addoption(
        "--sse-profile",
        metavar="NAME|FILE",
        default=None,
        help="contract to check streams against: a profile name or file (default: auto, each "
        "stream's profile recognised from its cassette, request or first events)",
    )
    group.addoption(
        "--sse-strict",
        action="store_true",
        default=False,
        help="check the docs as written, without the real-world relaxations",
    )
    parser.addini(
        "sse_cassette_dir",
        "cassette directory, relative to the root directory",
        default="fixtures/cassettes",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker, check the mode, and add ``--sse-validate`` paths to collection."""
    config.addinivalue_line(
        "markers",
        "sse_cassette(name=None, *, mode=None, upstream=None, profile=None, strict=None, "
        "validate=None, match_on=None): record or replay this test's SSE traffic with "
        "sse-recorder",
    )
    mode = config.getoption("sse_record_mode")
    if mode is not None:
        parse_mode(mode, "--sse-record-mode")
    paths: list[str] = config.getoption("sse_validate")
    if paths:
        _add_validate_paths(config, paths)


def _add_validate_paths(config: pytest.Config, paths: list[str]) -> None:
    invocation = config.invocation_params.dir
    resolved: list[Path] = []
    for name in paths:
        path = (invocation / name).resolve()
        if not path.exists():
            raise pytest.UsageError(f"--sse-validate: no such file or directory: {name}")
        resolved.append(path)
    config.stash[_VALIDATE_PATHS] = resolved
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        # Only PATH was asked for: do not also run the default test paths.
        config.args = [str(path) for path in resolved]
        return
    present = {(invocation / arg.split("::")[0]).resolve() for arg in config.args}
    config.args.extend(str(path) for path in resolved if path not in present)


_VALIDATE_PATHS = pytest.StashKey[list[Path]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Check every ``sse_cassette`` marker before anything runs (a typo stops the session)."""
    for item in items:
        for marker in item.iter_markers("sse_cassette"):
            check_marker(marker, item.nodeid)


def check_marker(marker: pytest.Mark, nodeid: str) -> None:
    """Raise ``pytest.UsageError`` for a marker argument that is not allowed."""
    where = f"{nodeid}: @pytest.mark.sse_cassette"
    if len(marker.args) > 1 or (marker.args and not isinstance(marker.args[0], str | Path)):
        raise pytest.UsageError(
            f"{where} takes at most one positional argument, the cassette name (a string); "
            f"got {marker.args!r}"
        )
    unknown = sorted(set(marker.kwargs) - set(MARKER_OPTIONS))
    if unknown:
        raise pytest.UsageError(
            f"{where}: unknown argument(s) {', '.join(unknown)}; "
            f"allowed: name (positional), {', '.join(MARKER_OPTIONS)}"
        )
    if marker.kwargs.get("mode") is not None:
        parse_mode(marker.kwargs["mode"], where)


# --------------------------------------------------------------------------- --sse-validate


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Under a ``--sse-validate`` path, each cassette or ``.sse`` file is a contract test."""
    roots = parent.config.stash.get(_VALIDATE_PATHS, None)
    if not roots or file_path.suffix.lower() not in _CASSETTE_SUFFIXES:
        return None
    resolved = file_path.resolve()
    if not any(resolved == root or root in resolved.parents for root in roots):
        return None
    from recorder.testing.items import CassetteFile

    return CassetteFile.from_parent(parent, path=file_path)


# --------------------------------------------------------------------------- fixtures

_CALL_PASSED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember whether the test itself passed: only then is its recording validated."""
    report = yield
    if report.when == "call":
        item.stash[_CALL_PASSED] = report.passed
    return report


@pytest.fixture
def sse_config() -> dict[str, Any]:
    """Project defaults for ``sse_cassette``: override in a ``conftest.py``.

    Keys: ``record_mode``, ``cassette_dir``, ``upstream`` (the real server a base-URL test
    records from), ``profile``, ``strict``, ``validate`` (check a cassette right after
    recording it; default true), ``match_on`` (request fields a replay matches on, as in
    ``sse-recorder serve --match``; default ``method,path``).
    """
    return {}


def _cassette_name(item: pytest.Item) -> str:
    module = Path(item.path).stem
    cls = getattr(item, "cls", None)
    test = item.name if cls is None else f"{cls.__name__}.{item.name}"
    # Parametrize ids may hold anything; keep them readable but path-safe.
    safe = re.sub(r"[^\w.\[\]=,+-]", "_", test)
    return f"{module}/{safe}.jsonl"


def _setting(
    request: pytest.FixtureRequest,
    marker: pytest.Mark | None,
    config_values: dict[str, Any],
    key: str,
    option: str | None,
    default: Any,
    marker_key: str | None = None,
) -> Any:
    if option is not None:
        value = request.config.getoption(option)
        if value not in (None, False):
            return value
    marker_key = marker_key or key
    if marker is not None and marker.kwargs.get(marker_key) is not None:
        return marker.kwargs[marker_key]
    if config_values.get(key) is not None:
        return config_values[key]
    return default


@pytest.fixture
def sse_cassette(
    request: pytest.FixtureRequest, sse_config: dict[str, Any]
) -> Iterator[CassetteSession]:
    """This test's cassette: transports, clients and a server URL that record or replay it."""
    from recorder.testing.modes import (
        CassetteSession,
        MissingCassetteError,
        RecordedContractError,
        RecordMode,
    )

    marker = request.node.get_closest_marker("sse_cassette")
    if marker is not None:
        check_marker(marker, request.node.nodeid)
    if not isinstance(sse_config, dict):
        raise pytest.UsageError(f"sse_config must return a dict, not {type(sse_config).__name__}")
    unknown = sorted(set(sse_config) - set(CONFIG_KEYS))
    if unknown:
        raise pytest.UsageError(
            f"sse_config: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(CONFIG_KEYS)}"
        )
    mode_value = _setting(
        request, marker, sse_config, "record_mode", "sse_record_mode", "none", "mode"
    )
    mode = parse_mode(mode_value, "sse_config record_mode")
    directory = _cassette_dir(request.config, sse_config)
    name = marker.args[0] if marker is not None and marker.args else None
    path = directory / (_cassette_file(str(name)) if name else _cassette_name(request.node))
    problem = None
    try:
        use = CassetteSession(
            path=path,
            mode=RecordMode(mode),
            nodeid=request.node.nodeid,
            upstream=_setting(request, marker, sse_config, "upstream", None, None),
            profile=_setting(request, marker, sse_config, "profile", "sse_profile", None),
            strict=bool(_setting(request, marker, sse_config, "strict", "sse_strict", False)),
            validate=bool(_setting(request, marker, sse_config, "validate", None, True)),
            record_hint=f"--sse-record-mode=once {request.node.nodeid}",
            match_on=_setting(request, marker, sse_config, "match_on", None, None),
        )
    except MissingCassetteError as error:
        problem = str(error)
    if problem is not None:  # failing outside the except block keeps the report one message
        pytest.fail(problem, pytrace=False)
    environment = pytest.MonkeyPatch()
    if not use.recording:
        for variable in REPLAY_KEY_VARIABLES:
            if not os.environ.get(variable):
                environment.setenv(variable, REPLAY_API_KEY)
    try:
        yield use
    finally:
        environment.undo()
        try:
            use.finish(passed=request.node.stash.get(_CALL_PASSED, False))
        except (RecordedContractError, MissingCassetteError) as error:
            problem = str(error)
        if problem is not None:
            pytest.fail(problem, pytrace=False)


def _cassette_file(name: str) -> str:
    return name if Path(name).suffix in _CASSETTE_SUFFIXES else f"{name}.jsonl"


def _cassette_dir(config: pytest.Config, sse_config: dict[str, Any]) -> Path:
    option: str | None = config.getoption("sse_cassette_dir")
    if option:
        return Path(config.invocation_params.dir, option)
    configured = sse_config.get("cassette_dir") or config.getini("sse_cassette_dir")
    return Path(config.rootpath, os.fspath(configured))


def _hand_out(factory: Callable[[], T]) -> T:
    """Call ``factory``; a ``RecorderError`` (bad setting, unreadable cassette) fails the test
    with its one-line message instead of a traceback."""
    from recorder.errors import RecorderError

    try:
        return factory()
    except RecorderError as error:
        problem = str(error)
    pytest.fail(problem, pytrace=False)


@pytest.fixture
def sse_transport(sse_cassette: CassetteSession) -> httpx.BaseTransport:
    """An httpx transport that records to or replays from this test's cassette."""
    return _hand_out(sse_cassette.transport)


@pytest.fixture
def sse_async_transport(sse_cassette: CassetteSession) -> httpx.AsyncBaseTransport:
    """The async twin of ``sse_transport``."""
    return _hand_out(sse_cassette.async_transport)


@pytest.fixture
def sse_client(sse_cassette: CassetteSession) -> Iterator[httpx.Client]:
    """An ``httpx.Client`` on ``sse_transport`` (base URL: the upstream, when configured)."""
    with _hand_out(sse_cassette.client) as client:
        yield client


@pytest.fixture
def sse_async_client(sse_cassette: CassetteSession) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` on ``sse_async_transport``; use it as ``async with``."""
    return _hand_out(sse_cassette.async_client)


@pytest.fixture
def sse_base_url(sse_cassette: CassetteSession) -> str:
    """URL of a server on 127.0.0.1 that replays (or records through to the upstream) this
    test's cassette: point any network client at it, e.g. ``OpenAI(base_url=... + "/v1")``."""
    return _hand_out(sse_cassette.base_url)


@pytest.fixture
def sse_snapshot(request: pytest.FixtureRequest) -> Any:
    """syrupy's ``snapshot`` with the SSE extension: ``assert stream == sse_snapshot``."""
    try:
        from recorder.testing.snapshot import SSESnapshotExtension
    except ImportError as error:
        missing = error.name or "syrupy"
    else:
        snapshot = request.getfixturevalue("snapshot")
        return snapshot.use_extension(SSESnapshotExtension)
    pytest.fail(
        f"sse_snapshot needs syrupy ({missing} is not installed): pip install syrupy",
        pytrace=False,
    )
