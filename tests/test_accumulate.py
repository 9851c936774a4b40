"""Delta folding: strings concatenate, lists merge by index, index/type overwrite."""

from __future__ import annotations

from recorder.validate.accumulate import (
    DeltaAccumulator,
    Pieces,
    accumulate,
    materialize,
    merge_delta,
)


def test_strings_concatenate_and_index_type_overwrite() -> None:
    result = accumulate(
        [
            {
                "content": [
                    {"index": 0, "type": "text", "text": {"value": "Hel", "annotations": []}}
                ]
            },
            {"content": [{"index": 0, "type": "text", "text": {"value": "lo"}}]},
            {"content": [{"index": 0, "type": "text", "text": {"value": "!"}}]},
        ]
    )
    assert result == {
        "content": [{"index": 0, "type": "text", "text": {"value": "Hello!", "annotations": []}}]
    }


def test_lists_merge_by_index_and_append_without_one() -> None:
    result = accumulate(
        [
            {"tool_calls": [{"index": 1, "id": "b", "function": {"arguments": "{"}}]},
            {"tool_calls": [{"index": 0, "id": "a", "function": {"arguments": "["}}]},
            {"tool_calls": [{"index": 1, "function": {"arguments": "}"}}]},
            {"tool_calls": [{"no_index": True}]},
            {"tool_calls": [{"index": 0, "function": {"arguments": "]"}}]},
        ]
    )
    assert result == {
        "tool_calls": [
            {"index": 1, "id": "b", "function": {"arguments": "{}"}},
            {"index": 0, "id": "a", "function": {"arguments": "[]"}},
            {"no_index": True},
        ]
    }


def test_other_values_are_replaced_and_nothing_is_shared() -> None:
    first = {"count": 1, "flag": None, "obj": {"a": "x"}}
    result = accumulate([first, {"count": 2, "flag": True, "obj": {"a": "y", "b": 3}}])
    assert result == {"count": 2, "flag": True, "obj": {"a": "xy", "b": 3}}
    assert first == {"count": 1, "flag": None, "obj": {"a": "x"}}  # the input is untouched


def test_index_and_type_are_never_concatenated() -> None:
    assert accumulate([{"type": "text"}, {"type": "image"}]) == {"type": "image"}


def test_pieces_keep_long_streams_linear() -> None:
    accumulator = DeltaAccumulator()
    for _ in range(10_000):
        accumulator.merge({"text": "ab"})
    assert isinstance(accumulator.state["text"], Pieces)
    assert accumulator.snapshot() == {"text": "ab" * 10_000}


def test_merge_into_plain_values_and_materialize() -> None:
    target = {"text": "a", "items": [{"index": 0, "v": "x"}]}
    merge_delta(target, {"text": "b", "items": [{"index": 0, "v": "y"}]})
    assert materialize(target) == {"text": "ab", "items": [{"index": 0, "v": "xy"}]}
    assert DeltaAccumulator({"a": "1"}).snapshot() == {"a": "1"}
