"""Redactor: what is secret, what stays, and chunked bodies redacted without losing a secret."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import httpx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from recorder.cassette import (
    Cassette,
    Chunk,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    load_cassette,
)
from recorder.cli import main
from recorder.net.serving import BackgroundServer
from recorder.record.proxy import SERVER_OPTIONS, RecordingProxy
from recorder.record.redaction import MARKER, MAX_HELD, OVERLAP, ChunkRedactor, Redactor
from recorder.record.transport import RecordingTransport
from tests.conftest import CASSETTES
from tests.upstream import Received, Script, Upstream, module_upstream


def request(**fields: object) -> RecordedRequest:
    base: dict[str, object] = {"method": "POST", "url": "https://api.example/v1/threads/runs"}
    base.update(fields)
    return RecordedRequest.model_validate(base)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("Authorization", "Bearer sk-live-123", "Bearer REDACTED"),
        ("authorization", "Basic dXNlcjpwYXNz", "Basic REDACTED"),
        ("Authorization", "sk-bare-token", "REDACTED"),
        ("api-key", "azure-key", "REDACTED"),
        ("X-API-Key", "anthropic-key", "REDACTED"),
        ("OpenAI-Organization", "org-123", "REDACTED"),
        ("OpenAI-Project", "proj_123", "REDACTED"),
        ("Cookie", "session=abc; theme=dark", "session=REDACTED; theme=REDACTED"),
        ("Set-Cookie", "id=xyz; Path=/; HttpOnly", "id=REDACTED; Path=/; HttpOnly"),
        ("x-portkey-api-key", "pk-123", "REDACTED"),
        ("x-portkey-virtual-key", "vk-123", "REDACTED"),
        ("x-portkey-config", '{"api_key": "sk-inline"}', "REDACTED"),
        ("x-portkey-aws-secret-access-key", "aws", "REDACTED"),
        ("x-portkey-provider", "openai", "openai"),
        ("x-portkey-trace-id", "trace-1", "trace-1"),
        ("OpenAI-Beta", "assistants=v2", "assistants=v2"),
        ("Content-Type", "application/json", "application/json"),
    ],
)
def test_default_header_rules(name: str, value: str, expected: str) -> None:
    assert Redactor.default().redact_headers([(name, value)]) == [(name, expected)]


def test_extra_headers_and_no_defaults() -> None:
    headers = [("X-Tenant-Token", "t0k3n"), ("Authorization", "Bearer k")]
    assert Redactor(extra_headers=["x-tenant-token"]).redact_headers(headers) == [
        ("X-Tenant-Token", "REDACTED"),
        ("Authorization", "Bearer REDACTED"),
    ]
    only_extra = Redactor(extra_headers=["x-tenant-token"], defaults=False)
    assert only_extra.redact_headers(headers)[1] == ("Authorization", "Bearer k")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://h/v1/runs?api_key=abc&limit=20", "https://h/v1/runs?api_key=REDACTED&limit=20"),
        ("https://h/x?key=1&token=2&sig=3&order=asc", "https://h/x?key=REDACTED&token=REDACTED"
         "&sig=REDACTED&order=asc"),
        ("https://h/x?API_KEY=abc", "https://h/x?API_KEY=REDACTED"),
        ("https://h/x?api%5Fkey=abc", "https://h/x?api%5Fkey=REDACTED"),
        ("https://user:pw@h/x", "https://REDACTED@h/x"),
        ("https://h/v1/threads/thread_1/runs", "https://h/v1/threads/thread_1/runs"),
    ],
)  # fmt: skip
def test_query_and_userinfo(url: str, expected: str) -> None:
    assert Redactor.default().redact_url(url) == expected


def test_extra_query_names() -> None:
    assert Redactor(extra_query=["tenant"]).redact_url("http://h/?tenant=a&b=c") == (
        "http://h/?tenant=REDACTED&b=c"
    )


def test_request_keeps_everything_that_matches() -> None:
    original = request(
        url="https://h/v1/threads/runs?api_key=q-secret-value",
        headers=[("Authorization", "Bearer sk-header-secret"), ("OpenAI-Beta", "assistants=v2")],
        body=b'{"assistant_id": "asst_1", "note": "sk-body-secret-1234"}',
    )
    redacted = Redactor(body_patterns=[r"sk-body-[\w-]+"]).redact_request(original)
    assert redacted.method == "POST"
    assert redacted.path == "/v1/threads/runs"
    assert redacted.header("OpenAI-Beta") == "assistants=v2"
    assert redacted.body == b'{"assistant_id": "asst_1", "note": "REDACTED"}'
    assert b"secret" not in redacted.model_dump_json().encode()


def test_groups_replace_only_the_groups() -> None:
    redactor = Redactor(body_patterns=[r'"password":\s*"([^"]*)"'])
    assert redactor.redact_body(b'{"password": "hunter22", "user": "a"}') == (
        b'{"password": "REDACTED", "user": "a"}'
    )


def test_bytes_str_and_compiled_patterns() -> None:
    body = b"one SECRET-A two secret-b three"
    redactor = Redactor(body_patterns=[b"SECRET-A", re.compile("secret-b")])
    assert redactor.redact_body(body) == b"one REDACTED two REDACTED three"


def test_secrets_seen_in_headers_are_scrubbed_from_bodies() -> None:
    sent = request(
        headers=[("Authorization", "Bearer sk-echoed-key-123")],
        url="https://h/x?api_key=query-key-456",
    )
    echoed = b'{"error": "bad key sk-echoed-key-123 or query-key-456"}'
    assert Redactor.default().redact_body(echoed, sent) == (
        b'{"error": "bad key REDACTED or REDACTED"}'
    )
    short = request(headers=[("x-api-key", "abc")])  # too short to search for safely
    assert Redactor.default().redact_body(b"abc abc", short) == b"abc abc"


def test_url_credentials_are_scrubbed_from_bodies_in_both_spellings() -> None:
    # redact_url hides the whole userinfo; a server echoing it must not undo that, and the
    # URL holds it percent-encoded while a body echoes it decoded.
    sent = request(url="https://ghp_token-user-1:p%40ss-word-2@h/x")
    echoed = b"user ghp_token-user-1, password p@ss-word-2 (p%40ss-word-2)"
    assert Redactor.default().redact_body(echoed, sent) == (
        b"user REDACTED, password REDACTED (REDACTED)"
    )


def test_chunks_pass_through_without_patterns() -> None:
    chunks = ChunkRedactor([])
    assert chunks.feed(b"data: {", 0.1) == [(0.1, b"data: {")]
    assert not chunks.holding


def test_a_secret_split_across_chunks_is_found_and_lands_where_it_starts() -> None:
    chunks = Redactor(body_patterns=[r"sk-[a-z0-9]{10,}"]).chunk_redactor()
    assert chunks.feed(b'data: {"k": "sk-abc', 0.1) == []
    assert chunks.holding
    assert chunks.feed(b"def", 0.2) == []
    released = chunks.feed(b'ghij12345"}\n\n', 0.3)
    assert released == [(0.1, b'data: {"k": "REDACTED'), (0.3, b'"}\n\n')]
    assert not chunks.holding  # the all-secret middle chunk vanished into the marker


def test_chunk_boundaries_and_times_are_kept() -> None:
    chunks = Redactor(body_patterns=["tok-[0-9]+"]).chunk_redactor()
    out = chunks.feed(b"data: tok-1\n\n", 0.1) + chunks.feed(b"data: x\n\ndata: tok-22\n\n", 0.2)
    out += chunks.flush()
    assert out == [(0.1, b"data: REDACTED\n\n"), (0.2, b"data: x\n\ndata: REDACTED\n\n")]


def test_an_unfinished_line_is_released_at_the_end() -> None:
    chunks = Redactor(body_patterns=["tok-[0-9]+"]).chunk_redactor()
    assert chunks.feed(b"data: tok-1", 0.1) == []
    assert chunks.flush() == [(0.1, b"data: REDACTED")]


def test_a_very_long_line_is_written_early_without_cutting_a_secret() -> None:
    chunks = Redactor(body_patterns=["sk-[0-9]{6}"]).chunk_redactor()
    piece = b"x" * 1000
    released: list[tuple[float, bytes]] = []
    for index in range(MAX_HELD // 1000 + 2):
        released += chunks.feed(piece, float(index))
    assert released, "a line longer than MAX_HELD must not be held whole"
    held = sum(len(piece) for _ in range(MAX_HELD // 1000 + 2)) - sum(len(d) for _, d in released)
    assert held >= OVERLAP
    released += chunks.feed(b"sk-12", 100.0) + chunks.feed(b"3456 end\n", 101.0)
    joined = b"".join(data for _, data in released)
    assert joined.endswith(b"xREDACTED end\n")
    assert b"sk-" not in joined


SECRETS = [b"sk-alpha-0123456789", b"pk-beta-9876543210"]
PATTERNS = [r"sk-alpha-\d+", r"pk-beta-\d+"]


@st.composite
def chunked_bodies(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    pieces = draw(
        st.lists(
            st.sampled_from(
                [b"data: {\"a\": 1}\n\n", b"event: x\n", b"data: ", b"\r\n", b"\n", b"\r",
                 b"plain text ", b"\xe2\x82\xac", *SECRETS]
            ),
            max_size=30,
        )
    )  # fmt: skip
    body = b"".join(pieces)
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=12)))
    chunks = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    return body, [chunk for chunk in chunks if chunk]


@settings(max_examples=300, deadline=None)
@given(chunked_bodies())
def test_any_chunking_redacts_to_the_same_bytes(case: tuple[bytes, list[bytes]]) -> None:
    body, chunks = case
    redactor = Redactor(body_patterns=PATTERNS)
    stream = redactor.chunk_redactor()
    out: list[tuple[float, bytes]] = []
    for t, chunk in enumerate(chunks):
        out += stream.feed(chunk, float(t))
    out += stream.flush()
    joined = b"".join(data for _, data in out)
    assert joined == redactor.redact_body(body)
    assert all(secret not in joined for secret in SECRETS)
    times = [t for t, _ in out]
    assert times == sorted(set(times))  # one record per original chunk at most, in order
    assert len(out) <= len(chunks)


def test_redact_cassette_keeps_shape() -> None:
    cassette = Cassette.load(CASSETTES / "real" / "dotnet-streaming-run.jsonl")
    interaction = cassette.interactions[0]
    secret_request = interaction.request.model_copy(
        update={"headers": [*interaction.request.headers, ("Authorization", "Bearer sk-x1y2z3w4")]}
    )
    echoing = Interaction(
        request=secret_request,
        response=RecordedResponse(status=200, headers=[("set-cookie", "s=abc; Path=/")]),
        chunks=[*interaction.chunks, Chunk(t=9.0, data=b"data: sk-x1y2z3w4\n\n")],
        outcome="complete",
        ended_at=9.5,
    )
    alone = cassette.model_copy(update={"interactions": [echoing]})
    redacted = Redactor.default().redact_cassette(alone)
    result = redacted.interactions[0]
    assert [c.t for c in result.chunks] == [c.t for c in echoing.chunks]
    assert result.chunks[:-1] == interaction.chunks
    assert result.chunks[-1].data == b"data: REDACTED\n\n"
    assert result.request.header("authorization") == "Bearer REDACTED"
    assert result.response is not None and result.response.header("set-cookie") == (
        "s=REDACTED; Path=/"
    )
    assert b"sk-x1y2z3w4" not in redacted.dumps().encode()
    assert result.outcome == "complete" and result.ended_at == 9.5
    assert MARKER in redacted.dumps()


# ------------------------------------------------------------------ keys in bodies and text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b'{"api_key": "plain-value-1", "model": "gpt-4o"}',
         b'{"api_key": "REDACTED", "model": "gpt-4o"}'),
        (b'{"openai_api_key":"v","client_secret":"w","password":"x","refresh_token":"y"}',
         b'{"openai_api_key":"REDACTED","client_secret":"REDACTED","password":"REDACTED",'
         b'"refresh_token":"REDACTED"}'),
        (b'{"input": "{\\"apiKey\\": \\"nested-value\\"}"}',
         b'{"input": "{\\"apiKey\\": \\"REDACTED\\"}"}'),
        (b'data: {"text": "use sk-proj-abcdefghijklmnop0123 here"}',
         b'data: {"text": "use REDACTED here"}'),
        (b"sk-ant-api03-abcdefghijklmnop0123 sk-abcdefghijklmnopqrst AIzaabcdefghijklmnop0123",
         b"REDACTED REDACTED REDACTED"),
        (b"see https://h/x?key=abcdef&limit=2 and https://u:p@h/y",
         b"see https://h/x?key=REDACTED&limit=2 and https://REDACTED@h/y"),
        # Ordinary text and non-secret fields stay: logprob tokens, words with "sk-".
        (b'{"token": "Hello", "max_tokens": 20, "idempotency_key": "k1"} sk-learn risk-free',
         b'{"token": "Hello", "max_tokens": 20, "idempotency_key": "k1"} sk-learn risk-free'),
    ],
)  # fmt: skip
def test_key_shapes_and_credential_fields_are_redacted_by_default(
    text: bytes, expected: bytes
) -> None:
    assert Redactor.default().redact_body(text) == expected
    assert Redactor.default().redact_text(text.decode()) == expected.decode()
    assert Redactor(defaults=False).redact_body(text) == text
    assert Redactor(body_defaults=False).redact_body(text) == text


def test_a_body_key_is_scrubbed_wherever_the_server_echoes_it() -> None:
    sent = request(body=b'{"api_key": "plain-body-key-1"}')
    assert Redactor.default().redact_body(b"invalid key plain-body-key-1", sent) == (
        b"invalid key REDACTED"
    )


def test_a_key_split_across_chunks_by_default() -> None:
    chunks = Redactor.default().chunk_redactor()
    assert chunks.feed(b'data: {"k": "sk-proj-abcd', 0.1) == []
    assert chunks.feed(b'efghijklmnop0123"}\n\n', 0.2) == [
        (0.1, b'data: {"k": "REDACTED'),
        (0.2, b'"}\n\n'),
    ]


# Fake keys in every place a client puts one; the upstream echoes what it got (as an error
# body does), so each key also arrives in a response body.
FAKE_HEADER_KEY = "sk-proj-FAKEheader0123456789abcdef"
FAKE_HEADER_KEY2 = "FAKE-x-api-key-value-0002"
FAKE_QUERY_KEY = "FAKE-query-key-value-0003"
FAKE_QUERY_SHAPED = "sk-ant-api03-FAKEquery0123456789"
FAKE_BODY_KEY = "FAKE-body-field-value-0005"
FAKE_BODY_SHAPED = "sk-FAKEbodyinline0123456789"
FAKES = [FAKE_HEADER_KEY, FAKE_HEADER_KEY2, FAKE_QUERY_KEY, FAKE_QUERY_SHAPED, FAKE_BODY_KEY,
         FAKE_BODY_SHAPED]  # fmt: skip
SECRET_QUERY = f"?key={FAKE_QUERY_KEY}&api_key={FAKE_QUERY_SHAPED}&limit=2"
SECRET_HEADERS = {"Authorization": f"Bearer {FAKE_HEADER_KEY}", "x-api-key": FAKE_HEADER_KEY2}
SECRET_BODY = json.dumps(
    {"api_key": FAKE_BODY_KEY, "messages": [{"content": f"my key is {FAKE_BODY_SHAPED}"}]}
)


def _echo(received: Received) -> Script:
    echoed = json.dumps({"query": received.query, "body": received.body.decode()})
    return Script([b"event: error\n", f"data: {echoed}\n\n".encode(), b"data: [DONE]\n\n"])


upstream = module_upstream(
    {("POST", "/v1/echo"): _echo, ("POST", "/v1/hold"): Script([b"data: 1\n\n"], end="hold")}
)


def _leaks(*texts: str | bytes) -> int:
    """How many times any fake key appears in ``texts``."""
    blob = b"\n".join(t.encode() if isinstance(t, str) else t for t in texts)
    return sum(blob.count(key.encode()) for key in FAKES)


def _files(directory: Path) -> list[bytes]:
    return [path.read_bytes() for path in directory.rglob("*") if path.is_file()]


def _har(url: str) -> dict[str, object]:
    headers = [{"name": name, "value": value} for name, value in SECRET_HEADERS.items()]
    return {
        "log": {
            "version": "1.2",
            "entries": [
                {
                    "startedDateTime": "2024-01-01T00:00:00Z",
                    "time": 10,
                    "request": {
                        "method": "POST",
                        "url": url,
                        "headers": headers,
                        "postData": {"mimeType": "application/json", "text": SECRET_BODY},
                    },
                    "response": {
                        "status": 200,
                        "headers": [{"name": "content-type", "value": "text/event-stream"}],
                        "content": {
                            "mimeType": "text/event-stream",
                            "text": f"data: {SECRET_BODY}\n\n",
                        },
                    },
                    "timings": {"send": 1, "wait": 2, "receive": 3},
                }
            ],
        }
    }


def _vcr(url: str) -> dict[str, object]:
    request = {
        "method": "POST",
        "uri": url,
        "body": SECRET_BODY,
        "headers": {name: [value] for name, value in SECRET_HEADERS.items()},
    }
    response = {
        "status": {"code": 200},
        "headers": {"Content-Type": ["text/event-stream"]},
        "body": {"string": f"data: {SECRET_BODY}\n\n"},
    }
    return {"interactions": [{"request": request, "response": response}], "version": 1}


def test_fake_keys_reach_no_file_and_no_output_through_any_path(
    tmp_path: Path, upstream: tuple[str, Upstream], capsys: pytest.CaptureFixture[str]
) -> None:
    url, app = upstream
    target = url + "/v1/echo" + SECRET_QUERY
    outputs: list[str] = []
    # 1. RecordingTransport
    with httpx.Client(transport=RecordingTransport(tmp_path / "transport.jsonl")) as client:
        response = client.post(target, headers=SECRET_HEADERS, content=SECRET_BODY)
        assert FAKE_BODY_KEY in response.text  # the upstream did echo it
    # 2. the recording proxy
    proxy_app = RecordingProxy(url, tmp_path / "proxy")
    with BackgroundServer(proxy_app, **SERVER_OPTIONS) as proxy:  # type: ignore[arg-type]
        response = httpx.post(
            proxy.url + "/v1/echo" + SECRET_QUERY, headers=SECRET_HEADERS, content=SECRET_BODY
        )
        assert FAKE_BODY_KEY in response.text
    (cassette,) = (tmp_path / "proxy").iterdir()
    _wait_for_end(cassette)
    # 3. sse-recorder record, what it prints, and its messages when the request fails
    body_file = tmp_path / "body.json"
    body_file.write_text(SECRET_BODY)
    headers = [arg for name, value in SECRET_HEADERS.items() for arg in ("-H", f"{name}: {value}")]
    record = ["record", *headers, "-o", str(tmp_path / "cli.jsonl"), "--force", "--timeout", "1"]
    assert main([*record, target, "-d", f"@{body_file}"]) == 0
    assert main([*record, "http://127.0.0.1:9/v1/echo" + SECRET_QUERY, "-d", SECRET_BODY]) == 2
    assert main([*record, target.replace("/echo", "/hold"), "-d", SECRET_BODY]) == 1  # timeout
    outputs += capsys.readouterr()
    # 4. imports (HAR, vcrpy YAML and JSON) and redact, of captures with the keys in place
    unredacted = tmp_path / "unredacted"
    unredacted.mkdir()
    interaction = load_cassette(tmp_path / "transport.jsonl").interactions[0]
    original = RecordedRequest(
        method="POST", url=target, headers=list(SECRET_HEADERS.items()), body=SECRET_BODY.encode()
    )
    echoed = [Chunk(t=0.0, data=f"data: {SECRET_BODY}\n\n".encode())]
    plain = interaction.model_copy(update={"request": original, "chunks": echoed})
    Cassette(interactions=[plain]).save(unredacted / "plain.jsonl")
    (unredacted / "capture.har").write_text(json.dumps(_har(target)))
    (unredacted / "vcr.yaml").write_text(yaml.safe_dump(_vcr(target)))
    (unredacted / "vcr.json").write_text(json.dumps(_vcr(target)))
    assert _leaks(*_files(unredacted)) >= 4 * len(FAKES)  # the inputs do hold every key
    for name in ("capture.har", "vcr.yaml", "vcr.json"):
        assert main(["import", str(unredacted / name), "-o", str(tmp_path / f"{name}.jsonl")]) == 0
    redacted = tmp_path / "redacted.jsonl"
    redacted.write_bytes((unredacted / "plain.jsonl").read_bytes())
    assert main(["redact", str(redacted)]) == 0
    # 5. what is printed and reported about the recordings
    for path in sorted(tmp_path.glob("*.jsonl")):
        for command in ("show", "parse", "validate"):
            main([command, str(path)])
    assert main(["report", str(tmp_path), "-o", str(tmp_path / "report.html")]) in (0, 1)
    outputs += capsys.readouterr()
    shutil.rmtree(unredacted)  # the test's own inputs, keys in place
    body_file.unlink()
    assert sum(FAKE_BODY_KEY in seen.body.decode() for seen in app.requests) >= 4  # keys were sent
    assert _leaks(*_files(tmp_path), *outputs) == 0


def _wait_for_end(path: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while load_cassette(path).interactions[0].outcome == "interrupted":
        assert time.monotonic() < deadline, "the proxy never wrote the end"
        time.sleep(0.01)


@pytest.mark.parametrize("option", ["--body-redact", "--body-regex"])
@pytest.mark.parametrize("command", ["redact", "import"])
def test_a_body_regex_that_is_no_bytes_regex_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, option: str
) -> None:
    # r"\u0041" compiles as a str regex but not as the bytes regex bodies are matched with:
    # redact and import ended in an internal re.error.
    cassette = tmp_path / "c.jsonl"
    cassette.write_bytes((CASSETTES / "real" / "dotnet-streaming-run.jsonl").read_bytes())
    (tmp_path / "body.sse").write_bytes(b"data: 1\n\n")
    target = {
        "redact": [str(cassette)],
        "import": [str(tmp_path / "body.sse"), "-o", str(tmp_path / "x.jsonl")],
    }[command]
    assert main([command, *target, option, r"\u0041"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(errors) == 1 and r"'\\u0041': bad escape \u" in errors[0]
    assert "internal error" not in errors[0]
    assert cassette.read_bytes() == (CASSETTES / "real" / "dotnet-streaming-run.jsonl").read_bytes()
