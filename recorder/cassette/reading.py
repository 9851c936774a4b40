"""Reading an input file without blocking forever on a named pipe.

``open()`` of a FIFO blocks until something opens it for writing, so ``sse-recorder validate
some.fifo`` with no writer hung for good (eleven commands did). ``read_input`` reads regular
files as ``Path.read_bytes`` does; a FIFO is opened without blocking and read at once if a
writer holds it (``<(curl ...)`` process substitution: a slow first byte is waited for), or
waited for up to ``FIFO_WAIT`` seconds for a writer to come (``producer > fifo &`` started
alongside); with none, one clear error.
"""

from __future__ import annotations

import errno
import os
import select
import stat

from recorder.errors import CassetteFormatError, CassetteNotFoundError

__all__ = ["FIFO_WAIT", "is_fifo", "read_input", "read_named"]

#: How long a named pipe with no writer is waited for, in seconds.
FIFO_WAIT = 2.0


def is_fifo(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` names a FIFO (a named pipe, or ``/dev/fd/N`` of a pipe)."""
    try:
        return stat.S_ISFIFO(os.stat(path).st_mode)
    except OSError:
        return False


def read_input(path: str | os.PathLike[str]) -> bytes:
    """All bytes of ``path``: a regular file, or a FIFO that something writes to.

    A FIFO nothing writes to within ``FIFO_WAIT`` seconds raises ``CassetteFormatError``;
    other problems raise the ``OSError`` that ``open`` would.
    """
    name = os.fspath(path)
    if not is_fifo(name):
        with open(name, "rb") as handle:
            return handle.read()
    descriptor = os.open(name, os.O_RDONLY | os.O_NONBLOCK)
    try:
        first = _first_bytes(descriptor, name)
        os.set_blocking(descriptor, True)
        pieces = [first]
        while piece := os.read(descriptor, 1 << 16):
            pieces.append(piece)
        return b"".join(pieces)
    finally:
        os.close(descriptor)


def read_named(path: str | os.PathLike[str], what: str = "a cassette") -> bytes:
    """``read_input``, with each way of failing as one ``RecorderError`` naming the file
    (``what`` the file should have been, for the message about a directory)."""
    name = os.fspath(path)
    try:
        return read_input(name)
    except FileNotFoundError:
        raise CassetteNotFoundError("no such file", path=name) from None
    except IsADirectoryError:
        raise CassetteFormatError(f"is a directory, not {what}", path=name) from None
    except OSError as error:
        raise CassetteFormatError(f"cannot read: {error.strerror}", path=name) from None


def _first_bytes(descriptor: int, name: str) -> bytes:
    """What a writer already sent (possibly nothing), once one is known to hold the pipe."""
    try:
        data = os.read(descriptor, 1 << 16)
    except BlockingIOError as error:  # EAGAIN: a writer holds the pipe, no data yet
        assert error.errno in (errno.EAGAIN, errno.EWOULDBLOCK)
        return b""
    if data:
        return data
    # End of file: no writer at the moment. One may be starting (its open() was waiting for a
    # reader, and we just became one): a writer that connects shows as POLLIN or POLLHUP.
    poller = select.poll()
    poller.register(descriptor, select.POLLIN | select.POLLHUP)
    if not poller.poll(FIFO_WAIT * 1000):
        raise CassetteFormatError(
            f"a named pipe (FIFO) that nothing writes to (waited {FIFO_WAIT:g} s); "
            "start its writer first, or pipe into '-' instead",
            path=name,
        )
    try:
        return os.read(descriptor, 1 << 16)
    except BlockingIOError:
        return b""
