"""``sse-recorder serve``: replay cassettes over real HTTP, with chosen timing and faults."""

from __future__ import annotations

import argparse
import gc
import sys

NAME = "serve"
HELP = (
    "serve cassettes over HTTP byte for byte (recorded timing, --speed X or --instant; "
    "--fault SPEC); prints the URL as its first line"
)

_FAULTS_EPILOG = """\
faults (comma- or semicolon-separated; events are 0-based, done included):
  truncate-after=N       keep the first N events, then end the body
  drop-done              remove the done event
  disconnect-after-ms=T  cut the connection T ms into the response
  rechunk=N              re-split the body every N bytes (1: every byte)
  stall=MS@E             pause MS milliseconds before event E
  corrupt-json@E         cut event E's data in half
  duplicate@E            send event E twice
  swap@A,B               exchange events A and B
  error-event@E          replace events E onward by an error event
match fields (comma-separated, default method,path):
  method, path, query, header:NAME, body:JSON.PATH
"""


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0-65535): {text!r}")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _FAULTS_EPILOG
    parser.add_argument("paths", nargs="+", metavar="PATH", help="cassettes or directories")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="port (default 0: a free one)")
    timing = parser.add_mutually_exclusive_group()
    timing.add_argument(
        "--speed", type=_speed, default=1.0, help="replay X times faster (default 1: as recorded)"
    )
    timing.add_argument("--instant", action="store_true", help="send everything at once")
    parser.add_argument("--fault", default="", metavar="SPEC", help="inject faults (see below)")
    parser.add_argument(
        "--match", default="method,path", metavar="SPEC", help="request fields to match on"
    )


def run(args: argparse.Namespace) -> int:
    from recorder.net.limits import BoundedHttpProtocol
    from recorder.net.serving import serve_forever
    from recorder.replay.server import ReplayServer

    app = ReplayServer(
        args.paths, speed=args.speed, instant=args.instant, faults=args.fault, matcher=args.match
    )
    loaded = app.replayer.cassettes
    # The loaded cassettes live as long as the server: take them out of the collector's
    # full passes, which otherwise walk every recorded chunk again while a response streams.
    gc.freeze()
    for cassette in loaded:
        for warning in cassette.warnings:
            print(f"sse-recorder serve: warning: {cassette.path}: {warning}", file=sys.stderr)

    def announce(url: str) -> None:
        print(url, flush=True)
        count = len(app.replayer.queue)
        print(
            f"sse-recorder serve: {count} interaction(s) from {len(loaded)} cassette(s); "
            "Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )

    serve_forever(
        app,
        args.host,
        args.port,
        announce=announce,
        server_header=False,
        date_header=False,
        # Headers bounded in size and in time (a half-sent request is closed), bodies by the app.
        http=BoundedHttpProtocol,
    )
    return 0
