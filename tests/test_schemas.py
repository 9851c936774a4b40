"""Tests for recorder.schemas and the JSON Schemas under schemas/<profile>/."""

from __future__ import annotations

from recorder.findings import Severity
from recorder.schemas import SchemaIssue, SchemaSet


def test_a_documented_delta_is_clean() -> None:
    schemas = SchemaSet.load("assistants", "v2")
    payload = {
        "id": "msg_1",
        "object": "thread.message.delta",
        "delta": {"content": [{"index": 0, "type": "text", "text": {"value": "Hi"}}]},
    }
    assert schemas.check("thread.message.delta", payload) == []
    assert schemas.check("thread.message.delta", {**payload, "object": 3}) == [
        SchemaIssue("SCHEMA", Severity.ERROR, "$.object", 'expected "thread.message.delta", found 3')
    ]
