"""Decoding payloads safely: absurd nesting stays text instead of exhausting the stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from recorder.cli import main
from recorder.wire.payload import MAX_DEPTH, decode, too_deep


def nested(levels: int) -> str:
    return '{"a":' * (levels - 1) + "[]" + "}" * (levels - 1)


def test_ordinary_json_is_decoded() -> None:
    assert decode('{"id": "run_1", "tools": [[1]]}') == ({"id": "run_1", "tools": [[1]]}, True)


@pytest.mark.parametrize("data", ["[DONE]", "{not json", ""])
def test_non_json_stays_text(data: str) -> None:
    assert decode(data) == (data, False)


def test_nesting_at_the_limit_is_json_and_past_it_is_text() -> None:
    assert decode(nested(MAX_DEPTH))[1] is True
    assert decode(nested(MAX_DEPTH + 1)) == (nested(MAX_DEPTH + 1), False)
    # Past the JSON decoder's own recursion limit as well.
    assert decode("[" * 100_000 + "]" * 100_000)[1] is False


def test_too_deep_walks_without_recursion() -> None:
    value: list[object] = []
    for _ in range(50_000):
        value = [value]
    assert too_deep(value)
    assert not too_deep({"a": [1, {"b": 2}]})


@pytest.mark.parametrize("command", ["parse", "show", "validate", "diff", "report"])
def test_commands_survive_a_deeply_nested_payload(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    body = tmp_path / "deep.sse"
    deep = nested(900)
    body.write_text(f"event: thread.run.created\ndata: {deep}\n\nevent: done\ndata: [DONE]\n\n")
    args = {
        "diff": [str(body), str(body)],
        "report": [str(body), "-o", str(tmp_path / "r.html")],
    }.get(command, [str(body)])
    code = main([command, *args])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    # validate/show/report judge the stream (F1: too deep), diff finds A equal to A.
    assert code == {"parse": 0, "diff": 0}.get(command, 1)
