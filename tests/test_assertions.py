"""``assert_conforms``: every form of a stream, passing and failing, readable failures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from recorder.cassette import load_cassette
from recorder.cassette.stream import parse_interaction
from recorder.errors import CassetteNotFoundError, ContractError, ProfileError
from recorder.validate.assertions import as_cassette, assert_conforms, format_findings
from recorder.validate.findings import Finding, Severity
from recorder.wire.sse import parse_bytes
from tests.conftest import CASSETTES

pytest_plugins = ["pytester"]

RUN = CASSETTES / "real" / "dotnet-streaming-run.jsonl"
BROKEN = CASSETTES / "real" / "ruby-v2-incomplete-under-completed-event.jsonl"
OFFICIAL = CASSETTES / "official" / "official-create-run.jsonl"


def _body() -> bytes:
    return load_cassette(RUN).interactions[0].body


FORMS: list[Any] = [
    pytest.param(lambda: RUN, id="path"),
    pytest.param(lambda: str(RUN), id="str path"),
    pytest.param(lambda: load_cassette(RUN), id="cassette"),
    pytest.param(lambda: load_cassette(RUN).interactions[0], id="interaction"),
    pytest.param(_body, id="bytes"),
    pytest.param(lambda: _body().decode(), id="str body"),
    pytest.param(lambda: parse_bytes(_body())[0], id="events"),
    pytest.param(lambda: parse_interaction(load_cassette(RUN).interactions[0]), id="parsed"),
]


@pytest.mark.parametrize("given", FORMS)
def test_a_conforming_stream_passes_in_every_form(given: Callable[[], Any]) -> None:
    findings = assert_conforms(given())
    assert not any(finding.is_error for finding in findings)
    assert findings, "a real stream carries warnings (fields the docs do not list)"


def test_a_broken_stream_fails_with_a_readable_list() -> None:
    with pytest.raises(ContractError) as caught:
        assert_conforms(BROKEN)
    error = caught.value
    assert isinstance(error, AssertionError)
    text = str(error)
    first, second = text.splitlines()[:2]
    assert first.startswith(f"{BROKEN}: stream breaks the assistants contract: 1 error(s), ")
    assert second.startswith("E F4 [SPEC] interaction 0, event 24, byte 8112 (line 73), $.status")
    assert "carries status 'incomplete', not 'completed'" in second
    errors = [f for f in error.findings if f.is_error]  # type: ignore[attr-defined]
    assert [f.rule for f in errors] == ["F4"]


def test_errors_come_before_warnings_each_in_stream_order() -> None:
    with pytest.raises(ContractError) as caught:
        assert_conforms(OFFICIAL)
    lines = [line for line in str(caught.value).splitlines()[1:] if not line.startswith("    ")]
    marks = [line[0] for line in lines]
    assert marks == sorted(marks, key="EWI".index)
    assert any(line.startswith("E F1 [SPEC] interaction 0, event 0,") for line in lines)


def test_strict_checks_the_docs_as_written() -> None:
    assert_conforms(RUN)
    with pytest.raises(ContractError, match="breaks the strict assistants contract"):
        assert_conforms(RUN, strict=True)


def test_a_str_without_a_line_end_is_a_path_even_when_missing(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-run.jsonl")
    with pytest.raises(CassetteNotFoundError, match=r"no-such-run\.jsonl"):
        assert_conforms(missing)


def test_an_unknown_profile_is_a_profile_error() -> None:
    with pytest.raises(ProfileError, match="nonesuch"):
        assert_conforms(RUN, profile="nonesuch")


def test_what_cannot_be_a_stream_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="not int"):
        as_cassette([1, 2])


def test_format_findings_lines() -> None:
    findings = [
        Finding("F3", Severity.WARNING, "unknown event 'x'", event_index=2, source="SPEC"),
        Finding("R3", Severity.ERROR, "no final run event", interaction=0, excerpt="{...}"),
    ]
    assert format_findings(findings).splitlines() == [
        "E R3 interaction 0: no final run event",
        "    {...}",
        "W F3 [SPEC] event 2: unknown event 'x'",
    ]


def test_inside_a_test_the_failure_is_the_list(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_contract=f"""
        from recorder.validate.assertions import assert_conforms

        def test_stream():
            assert_conforms({str(BROKEN)!r})
        """
    )
    result = pytester.runpytest("-p", "no:hypothesispytest", "--tb=line")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ContractError*stream breaks the assistants contract*"])
