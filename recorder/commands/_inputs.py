"""Shared argument handling for subcommands that read cassettes (not a subcommand itself)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import urlsplit

from recorder.cassette import Cassette, RecordedRequest, iter_cassette_paths, load_cassette
from recorder.errors import RecorderError, UsageError


def load_all(paths: Sequence[str]) -> Iterator[Cassette]:
    """Load every cassette named by ``paths`` (files, directories, ``-``), in order."""
    found = False
    for path in iter_cassette_paths(paths):
        found = True
        yield load_cassette(path)
    if not found:
        raise UsageError(f"no cassettes or .sse files under {', '.join(paths)}")


def parse_request_spec(spec: str) -> RecordedRequest:
    """``'POST /v1/threads/runs'`` (or just a path) as a request without headers or body."""
    parts = spec.split()
    if len(parts) == 1:
        method, url = "POST", parts[0]
    elif len(parts) == 2:
        method, url = parts[0].upper(), parts[1]
    else:
        raise UsageError(f"--request takes 'METHOD PATH-OR-URL', got {spec!r}")
    if not method.isalpha():
        raise UsageError(f"--request: {method!r} is not an HTTP method")
    try:
        urlsplit(url)
    except ValueError as error:
        raise UsageError(f"--request: {url!r} does not parse ({error})") from None
    return RecordedRequest(method=method, url=url)


@contextmanager
def located(path: str | None) -> Iterator[None]:
    """Errors raised inside (an over-long line from the parser, say) name ``path``."""
    try:
        yield
    except RecorderError as error:
        if error.path is None:
            error.path = path
        raise
