"""``sse-recorder record``: a curl-like one-shot recording of one request."""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from recorder.commands._options import (
    add_profile_option,
    add_redaction_options,
    checked_profile,
    redactor_from,
)
from recorder.errors import UsageError

if TYPE_CHECKING:
    from recorder.record.redaction import Redactor

NAME = "record"
HELP = "send one request, print the body as it arrives and record it to a cassette"

#: Exit codes: 0 the body ended normally, 1 it was cut short (upstream closed, reset, timed
#: out: the cassette keeps what arrived), 2 bad arguments or no connection at all.
EXIT_CUT = 1


def check_timeout(seconds: float | None) -> None:
    """``--timeout`` (shared by ``record`` and ``proxy``): positive and finite, or not given
    (a socket refuses NaN and infinity with a traceback)."""
    if seconds is not None and not 0 < seconds < math.inf:
        raise UsageError(f"--timeout must be positive and finite, got {seconds}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", metavar="URL", help="http(s) URL to request")
    parser.add_argument(
        "-X",
        "--request",
        dest="method",
        metavar="METHOD",
        help="HTTP method (default: POST with -d, else GET)",
    )
    parser.add_argument(
        "-H",
        "--header",
        dest="headers",
        action="append",
        default=[],
        metavar="'Name: value'",
        help="request header (repeatable)",
    )
    parser.add_argument(
        "-d",
        "--data",
        metavar="JSON|@FILE",
        help="request body; @FILE reads a file, @- standard input",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="CASSETTE",
        help="the cassette to write (see --append, --force)",
    )
    parser.add_argument(
        "--append",
        action="store_true",
        help="add the interaction to an existing cassette (e.g. a "
        "submit_tool_outputs stream after a run stopped at requires_action)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing output")
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="S",
        help="give up when nothing arrives for S seconds (default: wait)",
    )
    add_profile_option(parser, noting=True)
    parser.add_argument(
        "--durable", action="store_true", help="fsync every record (survives power loss)"
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="do not print the body, only the summary"
    )
    add_redaction_options(parser)
    parser.epilog = (
        "Exit codes: 0 the body ended normally (whatever the status), 1 it was cut short "
        "(the cassette keeps what arrived), 2 bad arguments or no connection."
    )


_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")


def _parse_headers(specs: list[str]) -> list[tuple[str, str]]:
    headers = []
    for spec in specs:
        name, colon, value = spec.partition(":")
        if (
            not colon
            or not name.strip()
            or not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name.strip())
        ):
            raise UsageError(f"-H expects 'Name: value', got {spec!r}")
        if not _HEADER_VALUE.fullmatch(value.strip()):
            # Not echoed: the value may well be a credential.
            raise UsageError(
                f"-H {name.strip()}: the value must be printable ASCII "
                "(it holds a control character or non-ASCII text)"
            )
        headers.append((name.strip(), value.strip()))
    return headers


def _read_body(data: str | None) -> bytes | None:
    if data is None:
        return None
    if data.startswith("@"):
        source = data[1:]
        if source == "-":
            return sys.stdin.buffer.read()
        from recorder.cassette.reading import read_input

        try:
            return read_input(source)  # a FIFO without a writer: an error, not a hang
        except OSError as error:
            raise UsageError(f"-d @{source}: cannot read: {error.strerror}") from None
    return data.encode("utf-8")


def run(args: argparse.Namespace) -> int:
    from urllib.parse import urlsplit

    try:
        target = urlsplit(args.url)
    except ValueError as error:  # http://[::1 (an unclosed IPv6 literal)
        raise UsageError(f"URL {args.url!r} does not parse: {error}") from None
    if target.scheme not in ("http", "https") or not target.netloc:
        raise UsageError(f"URL must be http(s)://..., got {args.url!r}")
    output = Path(args.output)
    if output.exists() and output.stat().st_size and not (args.append or args.force):
        raise UsageError(
            f"{output} exists (use --append to add an interaction, --force to overwrite)"
        )
    check_timeout(args.timeout)
    headers = _parse_headers(args.headers)
    body = _read_body(args.data)
    method = (args.method or ("POST" if body is not None else "GET")).upper()
    if not method.isalpha():
        raise UsageError(f"-X {args.method!r} is not an HTTP method")
    names = {name.lower() for name, _ in headers}
    if body is not None and "content-type" not in names:
        try:
            json.loads(body)
            headers.append(("Content-Type", "application/json"))
        except ValueError:
            pass
        except RecursionError:  # JSON nested past the interpreter's limit: still JSON
            headers.append(("Content-Type", "application/json"))
    if "accept" not in names:
        headers.append(("Accept", "text/event-stream, application/json;q=0.9, */*;q=0.1"))
    redactor = redactor_from(args)
    if args.append and output.exists() and output.stat().st_size:
        # The header line only: loading the whole cassette would hold it in memory.
        with open(output, "rb") as handle:
            head = handle.read(64).lstrip()
        if not head.startswith(b'{"kind":"cassette"'):
            raise UsageError(f"{output} is a raw body, not a cassette: cannot --append")
    return _record(args, method, headers, body, redactor)


def _record(
    args: argparse.Namespace,
    method: str,
    headers: list[tuple[str, str]],
    body: bytes | None,
    redactor: Redactor,
) -> int:
    import httpx

    from recorder.cassette import RecordedRequest
    from recorder.record.transport import RecordingTransport

    transport = RecordingTransport(
        args.output,
        redactor=redactor,
        profile=checked_profile(args),
        append=args.append,
        durable=args.durable,
    )
    timeout = httpx.Timeout(args.timeout, connect=args.timeout or 30.0)
    out = sys.stdout.buffer
    # The body on standard output is redacted as the cassette is (a terminal's scrollback and
    # CI logs are text leaving the process too); a line is printed once it is complete.
    printed = redactor.chunk_redactor(
        RecordedRequest(method=method, url=args.url, headers=headers, body=body or b"")
    )
    problem: str | None = None
    try:
        with (
            httpx.Client(transport=transport, timeout=timeout, trust_env=False) as client,
            client.stream(method, args.url, headers=headers, content=body) as response,
        ):
            for chunk in response.iter_raw():
                if not args.quiet:
                    _print(out, printed.feed(chunk, 0.0))
    except httpx.HTTPError as error:
        problem = redactor.redact_text(f"{type(error).__name__}: {error}")
    finally:
        if not args.quiet:
            _print(out, printed.flush())
        transport.close()
    # Summarised from what was recorded as it streamed: reading the cassette back would hold
    # it whole in memory (about 3x its size; 969 MB after a 300 MB stream).
    interaction = transport.recorder.last
    url = redactor.redact_text(redactor.redact_url(args.url))
    if interaction is None:
        raise UsageError(f"{url}: {problem or 'nothing was recorded'}")
    if interaction.status is None:
        raise UsageError(f"{url}: no response ({interaction.detail or problem})")
    print(
        f"sse-recorder record: {interaction.status}, {interaction.chunk_count} chunks, "
        f"{interaction.size} bytes, {interaction.outcome}"
        + (f" ({interaction.detail})" if interaction.detail else "")
        + f": wrote interaction {interaction.index} to {args.output}",
        file=sys.stderr,
    )
    return 0 if interaction.outcome == "complete" else EXIT_CUT


def _print(out: BinaryIO, chunks: list[tuple[float, bytes]]) -> None:
    for _, data in chunks:
        out.write(data)
    if chunks:
        out.flush()
