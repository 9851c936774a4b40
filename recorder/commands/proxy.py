"""``sse-recorder proxy``: a recording reverse proxy in front of an upstream."""

from __future__ import annotations

import argparse

from recorder.commands._options import (
    add_profile_option,
    add_redaction_options,
    checked_profile,
    redactor_from,
)
from recorder.commands.record import check_timeout
from recorder.errors import UsageError

NAME = "proxy"
HELP = "run a recording reverse proxy: every interaction is recorded to its own cassette"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--upstream",
        required=True,
        metavar="URL",
        help="where to forward, e.g. https://api.openai.com",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=0, help="port to listen on (0, the default: a free one)"
    )
    parser.add_argument(
        "-o", "--output", required=True, metavar="DIR", help="directory for the cassettes"
    )
    parser.add_argument(
        "--timeout", type=float, metavar="S", help="upstream read timeout in seconds (none)"
    )
    add_profile_option(parser, noting=True)
    parser.add_argument(
        "--durable", action="store_true", help="fsync every record (survives power loss)"
    )
    add_redaction_options(parser)
    parser.epilog = (
        "Prints the URL it listens on as its first line, then one line per interaction on "
        "standard error. Point clients at that URL (plus the upstream's path prefix, e.g. /v1)."
    )


def run(args: argparse.Namespace) -> int:
    from urllib.parse import urlsplit

    from recorder.net.serving import serve_forever
    from recorder.record.proxy import (
        SERVER_OPTIONS,
        RecordingProxy,
        prepare_directory,
        stderr_log,
    )

    upstream = urlsplit(args.upstream)
    if upstream.scheme not in ("http", "https") or not upstream.netloc:
        raise UsageError(f"--upstream must be an http(s) URL, got {args.upstream!r}")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0..65535, got {args.port}")
    check_timeout(args.timeout)
    # Created now: a proxy that cannot record must not start (every request would get a
    # cut-off answer and nothing would be recorded).
    prepare_directory(args.output)
    proxy = RecordingProxy(
        args.upstream,
        args.output,
        redactor=redactor_from(args),
        profile=checked_profile(args),
        timeout=args.timeout,
        durable=args.durable,
        log=stderr_log,
    )
    try:
        serve_forever(proxy, args.host, args.port, **SERVER_OPTIONS)
    except OSError as error:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror}") from None
    return 0
