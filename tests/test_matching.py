"""Request matching: the spec, each field, recorded order, and the no-match explanation."""

from __future__ import annotations

import json
import re

import pytest

from recorder.cassette import Cassette, RecordedRequest, load_cassette
from recorder.errors import UsageError
from recorder.replay.matching import InteractionQueue, Match, Matcher, NoMatch
from tests.conftest import CASSETTES
from tests.replay_streams import json_interaction, stream_cassette

TOOL_CALL = CASSETTES / "real" / "dotnet-tool-call-then-submit.jsonl"


def request(
    method: str = "POST",
    url: str = "http://127.0.0.1:9/v1/threads/thread_1/runs",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> RecordedRequest:
    return RecordedRequest(method=method, url=url, headers=headers or [], body=body)


@pytest.mark.parametrize(
    ("spec", "fields"),
    [
        (None, ("method", "path")),
        ("", ("method", "path")),
        ("method,path", ("method", "path")),
        (" PATH , query ", ("path", "query")),
        ("header:OpenAI-Beta", ("header:openai-beta",)),
        (
            "body:assistant_id,body:tool_outputs.0.output",
            ("body:assistant_id", "body:tool_outputs.0.output"),
        ),
        ("method,method", ("method",)),
    ],
)
def test_parse(spec: str | None, fields: tuple[str, ...]) -> None:
    matcher = Matcher.parse(spec)
    assert matcher.fields == fields
    assert Matcher.parse(str(matcher)) == matcher


@pytest.mark.parametrize("spec", ["host", "header:", "body", "method;path", "cookie:x"])
def test_parse_errors_list_the_allowed_fields(spec: str) -> None:
    with pytest.raises(
        UsageError, match=re.escape("Allowed: method, path, query, header:NAME, body:JSON.PATH")
    ):
        Matcher.parse(spec)


def test_each_field_compares_what_it_names() -> None:
    recorded = request(
        url="https://api.openai.com/v1/threads/thread_1/runs?a=1&b=2",
        headers=[("OpenAI-Beta", "assistants=v2")],
        body=b'{"assistant_id":"asst_1","tool_outputs":[{"output":"sunny"}]}',
    )
    matcher = Matcher.parse(
        "method,path,query,header:openai-beta,body:assistant_id,body:tool_outputs.0.output"
    )
    same = request(
        url="http://127.0.0.1:9/v1/threads/thread_1/runs?b=2&a=1",
        headers=[("openai-beta", "assistants=v2")],
        body=b'{"tool_outputs":[{"output":"sunny"}],"assistant_id":"asst_1","stream":true}',
    )
    assert matcher.matches(recorded, same) and matcher.mismatches(recorded, same) == []
    other = request(
        method="GET",
        url="http://x/v1/threads/thread_2/runs?a=1",
        headers=[("OpenAI-Beta", "assistants=v1")],
        body=b'{"assistant_id":"asst_2"}',
    )
    reasons = matcher.mismatches(recorded, other)
    assert reasons == [
        'method: recorded "POST", got "GET"',
        'path: recorded "/v1/threads/thread_1/runs", got "/v1/threads/thread_2/runs"',
        'query: recorded [["a", "1"], ["b", "2"]], got [["a", "1"]]',
        'header:openai-beta: recorded "assistants=v2", got "assistants=v1"',
        'body:assistant_id: recorded "asst_1", got "asst_2"',
        'body:tool_outputs.0.output: recorded "sunny", got nothing',
    ]
    not_json = request(body=b"not json")
    assert (
        "got a body that is not JSON" in Matcher.parse("body:x").mismatches(recorded, not_json)[0]
    )


def test_the_default_ignores_host_scheme_query_headers_and_body() -> None:
    recorded = request(url="https://api.openai.com/v1/threads/thread_1/runs")
    incoming = request(url="http://127.0.0.1:1/v1/threads/thread_1/runs?x=1", body=b"{}")
    assert Matcher().matches(recorded, incoming)


def test_a_run_and_its_continuation_are_served_in_order() -> None:
    queue = InteractionQueue([load_cassette(TOOL_CALL)])
    first = queue.find(request(url="http://h/v1/threads/runs"))
    assert isinstance(first, Match) and first.index == 0
    path = load_cassette(TOOL_CALL).interactions[1].request.path
    second = queue.find(request(url=f"http://h{path}"))
    assert isinstance(second, Match) and second.index == 1


def test_same_request_twice_gets_the_recordings_in_order_then_again_in_turn() -> None:
    one, two = stream_cassette(), stream_cassette()
    cassette = Cassette(interactions=[one.interactions[0], two.interactions[0]], path="c.jsonl")
    queue = InteractionQueue([cassette])
    served = [queue.find(request()) for _ in range(5)]
    assert [m.index for m in served if isinstance(m, Match)] == [0, 1, 0, 1, 0]


def test_json_interactions_are_matched_too() -> None:
    url = "https://api.openai.com/v1/threads/thread_1/runs/run_1"
    cassette = Cassette(interactions=[json_interaction(url, {"id": "run_1"})])
    found = InteractionQueue([cassette]).find(
        request("GET", "http://h/v1/threads/thread_1/runs/run_1")
    )
    assert isinstance(found, Match) and json.loads(found.interaction.body) == {"id": "run_1"}


def test_no_match_names_the_closest_recordings_and_why() -> None:
    queue = InteractionQueue([load_cassette(TOOL_CALL), stream_cassette()])
    missing = queue.find(request("GET", "http://h/v1/threads/runs"))
    assert isinstance(missing, NoMatch)
    best = missing.closest[0]
    assert (best.index, best.reasons) == (0, ['method: recorded "POST", got "GET"'])
    assert best.source.endswith("dotnet-tool-call-then-submit.jsonl")
    assert len(missing.closest) == 3
    assert "no recorded interaction matches GET http://h/v1/threads/runs" in missing.message
    body = json.loads(missing.body())
    assert body["error"]["type"] == "sse_recorder_no_match"
    assert body["match"] == "method,path"
    assert body["closest"][0]["reasons"] == best.reasons


def test_no_match_never_repeats_a_credential_of_the_request() -> None:
    queue = InteractionQueue([stream_cassette()], "method,path,header:Authorization")
    incoming = request(
        "GET",
        "http://h/v1/threads/runs?api_key=sk-query-secret&limit=2",
        headers=[("Authorization", "Bearer sk-header-secret")],
    )
    missing = queue.find(incoming)
    assert isinstance(missing, NoMatch)
    shown = missing.body().decode()
    assert "sk-query-secret" not in shown and "sk-header-secret" not in shown
    assert "api_key=REDACTED&limit=2" in missing.message
    assert 'got "Bearer REDACTED"' in " ".join(missing.closest[0].reasons)


#: Fake keys, shaped like real ones (issue 14.4: the 404 echoed query values and body fields).
FAKE_KEYS = ["sk-proj-FAKEquery0123456789abcd", "sk-ant-api03-FAKEbody0123456789ab",
             "sk-FAKEinText0123456789abcdef", "hunter2-FAKE-password"]  # fmt: skip


def test_no_match_never_repeats_a_key_from_the_query_or_the_body() -> None:
    spec = "method,path,query,body:api_key,body:note,body:password"
    queue = InteractionQueue([stream_cassette()], spec)
    body = {"api_key": FAKE_KEYS[1], "note": f"use {FAKE_KEYS[2]}", "password": FAKE_KEYS[3]}
    incoming = request(
        "POST",
        f"http://h/v1/threads/thread_1/runs?key={FAKE_KEYS[0]}&limit=2",
        body=json.dumps(body).encode(),
    )
    missing = queue.find(incoming)
    assert isinstance(missing, NoMatch)
    shown = missing.body().decode()
    assert [key for key in FAKE_KEYS if key in shown] == []
    reasons = " ".join(missing.closest[0].reasons)
    assert '["key", "REDACTED"], ["limit", "2"]' in reasons
    assert "body:api_key: recorded nothing, got" in reasons and "REDACTED" in reasons


def test_knows_tells_recorded_requests_without_serving_them() -> None:
    queue = InteractionQueue([load_cassette(TOOL_CALL)])
    assert queue.knows(request("POST", "http://h/v1/threads/runs"))
    assert not queue.knows(request("GET", "http://h/v1/threads/runs"))
    found = queue.find(request("POST", "http://h/v1/threads/runs"))
    assert isinstance(found, Match) and found.index == 0  # knows() served nothing


def test_no_match_with_nothing_loaded_says_so() -> None:
    missing = InteractionQueue([]).find(request())
    assert isinstance(missing, NoMatch) and missing.closest == []
    assert "no interactions are loaded" in missing.message


def test_reset_starts_the_recorded_order_over() -> None:
    cassette = Cassette(interactions=[stream_cassette().interactions[0]] * 2, path="c.jsonl")
    queue = InteractionQueue([cassette])
    first = queue.find(request())
    queue.reset()
    again = queue.find(request())
    assert isinstance(first, Match) and isinstance(again, Match)
    assert first.index == again.index == 0


def test_a_raw_sse_body_answers_any_request() -> None:
    raw = Cassette.from_sse(b"data: 1\n\n", path="body.sse")
    found = InteractionQueue([raw]).find(request("GET", "http://h/anything?x=1"))
    assert isinstance(found, Match) and found.source == "body.sse"
