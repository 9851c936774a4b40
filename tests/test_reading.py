"""Reading inputs: a named pipe nothing writes to is an error, never a hang."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from recorder.cassette import reading
from recorder.cassette.reading import is_fifo, read_input
from recorder.cli import main
from recorder.errors import CassetteFormatError
from tests.conftest import CASSETTES

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")

CASSETTE = CASSETTES / "real" / "dotnet-streaming-run.jsonl"


@pytest.fixture
def fifo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(reading, "FIFO_WAIT", 0.05)
    path = tmp_path / "pipe.jsonl"
    os.mkfifo(path)
    return path


def test_a_regular_file_is_read_whole() -> None:
    assert read_input(CASSETTE) == CASSETTE.read_bytes()
    assert not is_fifo(CASSETTE)


def test_a_fifo_without_a_writer_is_an_error(fifo: Path) -> None:
    assert is_fifo(fifo)
    with pytest.raises(CassetteFormatError, match=r"a named pipe \(FIFO\) that nothing writes"):
        read_input(fifo)


def test_a_pipe_whose_writer_is_slow_is_waited_for() -> None:
    # /dev/fd/N of a pipe, as bash's <(...) gives: the writer holds it, data comes later.
    read_end, write_end = os.pipe()
    release = threading.Event()

    def write() -> None:
        release.wait(10)
        os.write(write_end, b"data: 1\n\n")
        os.close(write_end)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        path = f"/dev/fd/{read_end}"
        if not os.path.exists(path):
            pytest.skip("no /dev/fd here")
        timer = threading.Timer(0.2, release.set)  # longer than no writer would be waited for
        timer.start()
        assert read_input(path) == b"data: 1\n\n"
    finally:
        release.set()
        thread.join(10)
        os.close(read_end)


def test_a_writer_that_opens_the_fifo_after_the_reader_is_read(
    fifo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "FIFO_WAIT", 10.0)
    thread = threading.Thread(target=lambda: fifo.write_bytes(CASSETTE.read_bytes()))
    thread.start()  # its open() waits for a reader: this one
    try:
        assert read_input(fifo) == CASSETTE.read_bytes()
    finally:
        thread.join(10)


@pytest.mark.parametrize(
    "command",
    [
        ["validate", "{fifo}"],
        ["validate", "{sse}"],
        ["show", "{fifo}"],
        ["parse", "{fifo}"],
        ["diff", "{fifo}", "{fifo}"],
        ["redact", "{fifo}"],
        ["report", "{fifo}", "-o", "{dir}/r.html"],
        ["import", "{fifo}", "-o", "{dir}/i.jsonl"],
        ["serve", "{fifo}", "--port", "0"],
        ["final", "{fifo}"],
        ["record", "http://127.0.0.1:9/x", "-d", "@{fifo}", "-o", "{dir}/r.jsonl"],
    ],
)
def test_no_command_hangs_on_a_fifo_without_a_writer(
    fifo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    sse = tmp_path / "pipe.sse"
    os.mkfifo(sse)
    argv = [arg.format(fifo=fifo, sse=sse, dir=tmp_path) for arg in command]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nothing writes to" in err[0]
    assert (str(sse) if "{sse}" in command else str(fifo)) in err[0]
