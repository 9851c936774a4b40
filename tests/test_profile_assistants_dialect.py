"""The Assistants profile's azure-agents dialect: Azure AI Agents (recognised from the recorded
host) sends last_error.code values outside OpenAI's documented enum; that is a warning naming
the dialect, an error with --strict, and an error from OpenAI's own host."""

from __future__ import annotations

import copy

import pytest

from recorder.cassette import RecordedRequest
from recorder.validate.runner import RuleConfig, validate_cassette
from tests.assistants_streams import cassette, message_run, run_object

OPENAI = "https://api.openai.com/v1/threads/thread_1/runs"
AZURE = "https://x.services.ai.azure.com/api/projects/p/threads/thread_1/runs"


def _schema(url: str, strict: bool) -> list[tuple[str, str, bool]]:
    events = copy.deepcopy(message_run())
    error = {"code": "invalid_engine_error", "message": "the model is gone"}
    events[11] = [
        "thread.run.failed",
        run_object("failed", failed_at=1700000009, usage=None, last_error=error),
    ]
    found = validate_cassette(
        cassette((RecordedRequest(method="POST", url=url), events)),
        config=RuleConfig(strict=strict),
    )
    return [
        (f.rule, f.severity.value, "azure-agents" in f.message)
        for f in found
        if f.event_index == 11 and f.rule == "SCHEMA"
    ]


@pytest.mark.parametrize(
    ("url", "strict", "expected"),
    [
        (AZURE, False, [("SCHEMA", "warning", True)]),
        (AZURE, True, [("SCHEMA", "error", True)]),
        (OPENAI, False, [("SCHEMA", "error", False)]),
    ],
)
def test_an_undocumented_error_code_is_the_dialects_warning(
    url: str, strict: bool, expected: list[tuple[str, str, bool]]
) -> None:
    assert _schema(url, strict) == expected
