"""Importing HAR files, vcrpy cassettes and raw bodies."""

from __future__ import annotations

import base64
import gzip
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr

from recorder.cassette import RecordedRequest
from recorder.cassette.importers import detect_format, import_bytes, import_file
from recorder.cassette.stream import parse_interaction
from recorder.cli import main
from recorder.errors import CassetteFormatError, CassetteNotFoundError, UsageError
from recorder.net.serving import BackgroundServer

BODY = (
    b'event: thread.run.created\ndata: {"id":"run_Abc123","status":"queued"}\n\n'
    b'event: thread.message.delta\ndata: {"id":"msg_1","delta":{"content":[{"index":0,'
    b'"type":"text","text":{"value":"caf\xc3\xa9"}}]}}\n\n'
    b"event: done\ndata: [DONE]\n\n"
)
SECRET = "sk-test-0123456789abcdef"


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An SSE endpoint at any path; ``/gz`` sends the body gzip-compressed."""
    if scope["type"] != "http":
        return
    compressed = scope["path"].endswith("/gz")
    body = gzip.compress(BODY) if compressed else BODY
    headers = [(b"content-type", b"text/event-stream; charset=utf-8")]
    if compressed:
        headers.append((b"content-encoding", b"gzip"))
    if scope["path"] == "/json":
        body, headers = b'{"object":"thread"}', [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body[:20], "more_body": True})
    await send({"type": "http.response.body", "body": body[20:]})


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with BackgroundServer(_app, "127.0.0.1") as server:
        yield server.url


def _record_with_vcrpy(directory: Path, url: str, paths: list[str], **options: Any) -> Path:
    """A real vcrpy cassette: real httpx requests to the local server, recorded by vcrpy."""
    recorder = vcr.VCR(cassette_library_dir=str(directory), **options)
    name = "recorded.json" if options.get("serializer") == "json" else "recorded.yaml"
    with recorder.use_cassette(name), httpx.Client() as client:
        for path in paths:
            with client.stream(
                "POST",
                url + path,
                json={"assistant_id": "asst_1", "stream": True},
                headers={"Authorization": f"Bearer {SECRET}"},
            ) as response:
                response.read()
    return directory / name


# --------------------------------------------------------------------------- vcrpy


def test_vcrpy_yaml_cassette_becomes_one_chunk_per_stream(tmp_path: Path, server_url: str) -> None:
    source = _record_with_vcrpy(tmp_path, server_url, ["/v1/threads/runs", "/json"])
    assert detect_format(source.read_bytes()) == "vcr"
    cassette = import_file(source)
    [interaction] = cassette.interactions  # the JSON response is not an event stream
    assert interaction.request.method == "POST"
    assert interaction.request.url == server_url + "/v1/threads/runs"
    assert json.loads(interaction.request.body) == {"assistant_id": "asst_1", "stream": True}
    assert [chunk.t for chunk in interaction.chunks] == [0.0]
    assert interaction.body == BODY
    assert interaction.response is not None and interaction.response.status == 200
    events = parse_interaction(interaction).events
    assert [event.event for event in events] == [
        "thread.run.created",
        "thread.message.delta",
        "done",
    ]
    assert cassette.note is not None and "timing was not recorded" in cassette.note
    assert interaction.request.header("authorization") == "Bearer REDACTED"
    assert SECRET not in cassette.dumps()


def test_vcrpy_gzip_body_recorded_as_binary_is_decompressed(
    tmp_path: Path, server_url: str
) -> None:
    source = _record_with_vcrpy(tmp_path, server_url, ["/v1/threads/runs/gz"])
    assert "!!binary" in source.read_text()
    [interaction] = import_file(source).interactions
    assert interaction.body == BODY
    assert interaction.response is not None
    assert interaction.response.header("content-encoding") is None


def test_vcrpy_decoded_compressed_response_and_json_serializer(
    tmp_path: Path, server_url: str
) -> None:
    decoded = _record_with_vcrpy(
        tmp_path / "d", server_url, ["/v1/threads/runs/gz"], decode_compressed_response=True
    )
    assert import_file(decoded).interactions[0].body == BODY
    as_json = _record_with_vcrpy(tmp_path / "j", server_url, ["/v1/x"], serializer="json")
    assert detect_format(as_json.read_bytes()) == "vcr"
    assert import_file(as_json).interactions[0].body == BODY


def test_older_httpx_form_of_vcrpy_cassettes() -> None:
    document = (
        "interactions:\n- request:\n    body: null\n    headers: {}\n    method: GET\n"
        '    uri: http://127.0.0.1/stream\n  response:\n    content: "data: 1\\n\\n"\n'
        "    headers:\n      Content-Type:\n      - text/event-stream\n    status_code: 200\n"
        "version: 1\n"
    )
    [interaction] = import_bytes(document.encode()).interactions
    assert interaction.body == b"data: 1\n\n" and interaction.request.body == b""


# --------------------------------------------------------------------------- HAR


def _har_entry(
    url: str, mime: str, text: str | None, *, encoding: str | None = None, **extra: Any
) -> dict[str, Any]:
    content: dict[str, Any] = {"size": len(text or ""), "mimeType": mime}
    if text is not None:
        content["text"] = text
    if encoding:
        content["encoding"] = encoding
    entry: dict[str, Any] = {
        "_initiator": {"type": "script"},
        "_priority": "High",
        "_resourceType": "fetch",
        "cache": {},
        "connection": "443",
        "pageref": "page_1",
        "request": {
            "method": "POST",
            "url": url,
            "httpVersion": "http/2.0",
            "headers": [
                {"name": ":authority", "value": "api.example.test"},
                {"name": ":method", "value": "POST"},
                {"name": "authorization", "value": f"Bearer {SECRET}"},
                {"name": "cookie", "value": "session=abc123secret"},
                {"name": "content-type", "value": "application/json"},
                {"name": "openai-beta", "value": "assistants=v2"},
            ],
            "queryString": [],
            "cookies": [{"name": "session", "value": "abc123secret"}],
            "headersSize": -1,
            "bodySize": 40,
            "postData": {"mimeType": "application/json", "text": '{"stream":true}'},
        },
        "response": {
            "status": 200,
            "statusText": "",
            "httpVersion": "http/2.0",
            "headers": [
                {"name": "content-type", "value": mime},
                {"name": "content-encoding", "value": "br"},
                {"name": "openai-processing-ms", "value": "35"},
            ],
            "cookies": [],
            "content": content,
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_transferSize": 1200,
            "_error": None,
        },
        "serverIPAddress": "127.0.0.1",
        "startedDateTime": "2026-11-22T01:02:03.456Z",
        "time": 1843.2,
        "timings": {
            "blocked": 2.5,
            "dns": -1,
            "ssl": -1,
            "connect": -1,
            "send": 0.5,
            "wait": 412.0,
            "receive": 1428.2,
            "_blocked_queueing": 1.1,
        },
    }
    entry.update(extra)
    return entry


def _har(*entries: dict[str, Any]) -> bytes:
    document = {
        "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [
                {
                    "startedDateTime": "2026-11-22T01:02:03.000Z",
                    "id": "page_1",
                    "title": "http://127.0.0.1:8000/",
                    "pageTimings": {"onContentLoad": 120.4, "onLoad": 180.2},
                }
            ],
            "entries": list(entries),
        }
    }
    return json.dumps(document, indent=2).encode()


def test_har_event_stream_entries_become_interactions_with_timings() -> None:
    har = _har(
        _har_entry("http://127.0.0.1:8000/", "text/html", "<html></html>"),
        _har_entry("https://api.example.test/v1/threads/runs", "text/event-stream", BODY.decode()),
        _har_entry("https://api.example.test/v1/threads", "application/json", "{}"),
        _har_entry(
            "https://api.example.test/v1/threads/thread_1/runs",
            "text/event-stream; charset=utf-8",
            base64.b64encode(BODY[:30]).decode(),
            encoding="base64",
            _error="net::ERR_ABORTED",
        ),
    )
    assert detect_format(har) == "har"
    cassette = import_bytes(har, source="capture.har")
    first, second = cassette.interactions
    assert first.request.url == "https://api.example.test/v1/threads/runs"
    assert first.request.body == b'{"stream":true}'
    assert first.body == BODY
    assert first.response is not None
    assert first.response.t == pytest.approx(0.415)  # blocked + send + wait (-1: not applicable)
    assert [chunk.t for chunk in first.chunks] == [pytest.approx(0.415)]
    assert first.ended_at == pytest.approx(1.8432)
    assert first.outcome == "complete"
    names = [name for name, _ in first.request.headers]
    assert ":authority" not in names and "openai-beta" in names
    assert first.request.header("authorization") == "Bearer REDACTED"
    assert first.request.header("cookie") == "session=REDACTED"
    assert first.response.header("content-encoding") is None  # the browser decoded the body
    assert second.body == BODY[:30]
    assert second.outcome == "error" and second.outcome_detail == "net::ERR_ABORTED"
    assert "WebInspector" in (cassette.note or "")
    assert SECRET not in cassette.dumps() and "abc123secret" not in cassette.dumps()


def test_har_entry_without_saved_body_is_kept_with_a_warning() -> None:
    har = _har(_har_entry("https://api.example.test/v1/threads/runs", "text/event-stream", None))
    cassette = import_bytes(har, source="x.har")
    assert cassette.interactions[0].chunks == []
    assert "has no body text" in cassette.warnings[0]


def test_har_warning_never_shows_the_query_redaction_would_remove() -> None:
    url = "https://api.example.test/v1/threads/runs?api_key=sk-abc123secret"
    cassette = import_bytes(_har(_har_entry(url, "text/event-stream", None)), source="x.har")
    assert "sk-abc123secret" not in cassette.dumps()
    assert "/v1/threads/runs" in cassette.warnings[0]
    assert "sk-abc123secret" not in " ".join(cassette.warnings)


# --------------------------------------------------------------------------- raw and detection


def test_raw_body_with_request() -> None:
    cassette = import_bytes(BODY, request=RecordedRequest(method="POST", url="/v1/threads/runs"))
    assert cassette.interactions[0].request.url == "/v1/threads/runs"
    assert cassette.interactions[0].body == BODY and not cassette.raw


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "x.har", "empty file"),
        (b'{"kind":"cassette","format":"sse-recorder-cassette"}\n', "x", "already"),
        (b'{"hello": 1}', "x.json", "neither a HAR file"),
        (b"\x89PNG\r\n\x1a\n", "x.png", "not a HAR file, a vcrpy cassette or an SSE body"),
        (b'{"log": {"entries": [', "x.har", "broken HAR file: invalid JSON"),
        (b'{"log": {"version": "1.2"}}', "x.har", 'no "log.entries" list'),
        (_har(_har_entry("http://x/", "text/html", "")), "x.har", "no text/event-stream"),
        (b"interactions:\n- request: [unclosed\n", "x.yaml", "broken vcrpy YAML cassette"),
        (b"interactions: 3\nversion: 1\n", "x.yaml", 'no "interactions" list'),
        (b"interactions:\n- recorded_at: 2024-02-30\n", "x.yaml", "broken vcrpy YAML cassette"),
        (
            _har(_har_entry("http://x/", "text/event-stream", "%%%", encoding="base64")),
            "x.har",
            "not valid base64",
        ),
    ],
)
def test_bad_inputs_raise_one_clear_format_error(data: bytes, name: str, message: str) -> None:
    with pytest.raises(CassetteFormatError) as caught:
        import_bytes(data, source=name)
    assert message in str(caught.value)
    assert str(caught.value).startswith(name)
    assert "\n" not in str(caught.value)


def test_broken_har_error_names_the_line() -> None:
    with pytest.raises(CassetteFormatError) as caught:
        import_bytes(b'{\n  "log": {\n    "entries": [,]\n', source="bad.har")
    assert str(caught.value).startswith("bad.har:3: broken HAR file: invalid JSON")


def test_compressed_vcr_body_that_is_not_gzip_or_unknown_coding() -> None:
    template = (
        "interactions:\n- request: {{body: null, headers: {{}}, method: GET, uri: 'http://x/'}}\n"
        "  response:\n    body: {{string: 'data: 1'}}\n    headers:\n"
        "      content-type: [text/event-stream]\n      content-encoding: [{coding}]\n"
        "    status: {{code: 200, message: OK}}\n"
    )
    with pytest.raises(CassetteFormatError, match="cannot decompress the gzip body"):
        import_bytes(template.format(coding="gzip").encode(), source="c.yaml")
    with pytest.raises(CassetteFormatError, match="br-compressed, which cannot be decoded"):
        import_bytes(template.format(coding="br").encode(), source="c.yaml")


def test_forced_format_and_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(CassetteFormatError, match="broken HAR file"):
        import_bytes(BODY, format="har", source="body.sse")
    with pytest.raises(UsageError, match=r"--request applies to raw \.sse bodies only"):
        import_bytes(_har(), format="har", request=RecordedRequest(method="GET", url="/"))
    with pytest.raises(CassetteNotFoundError):
        import_file(tmp_path / "missing.har")
    with pytest.raises(CassetteFormatError, match="is a directory"):
        import_file(tmp_path)


def _alias_bomb(levels: int = 6) -> str:
    lines = [f'x0: &x0 "{"A" * 100}"']
    lines += [f"x{n}: &x{n} [" + ", ".join([f"*x{n - 1}"] * 10) + "]" for n in range(1, levels + 1)]
    return "\n".join([
        *lines, "interactions:",
        f"- request: {{method: POST, uri: 'http://h/v1/runs', headers: {{h: [*x{levels}]}}}}",
        "  response: {status: {code: 200}, headers: {Content-Type: [text/event-stream]}, "
        'body: {string: "data: 1\\n\\n"}}',
    ])  # fmt: skip


def test_a_yaml_alias_bomb_is_refused_in_one_line_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Six levels of ten aliases of 100 bytes: 100 MB once expanded, from 677 bytes.
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_alias_bomb())
    assert main(["import", str(bomb), "-o", str(tmp_path / "out.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "expands past 16 MiB through its aliases" in err
    assert str(bomb) in err
    assert not (tmp_path / "out.jsonl").exists()
    # A few aliases, as a YAML writer may leave, still import.
    assert import_bytes(_alias_bomb(levels=1).encode(), format="vcr").interactions


def test_a_self_referring_yaml_alias_is_refused() -> None:
    data = b"interactions: &a [*a]\n"
    with pytest.raises(CassetteFormatError, match=r"refers to itself|recursive"):
        import_bytes(data, format="vcr")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("deep.har", b'{"log": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ("deep.json", b'{"interactions": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ("deep.yaml", b"interactions: " + b"[" * 100_000 + b"]" * 100_000 + b"\n"),
    ],
)
def test_deeply_nested_input_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, data: bytes
) -> None:
    source = tmp_path / name
    source.write_bytes(data)
    assert main(["import", str(source), "-o", str(tmp_path / "out.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nest" in err and "internal error" not in err


def test_a_url_that_does_not_parse_is_a_format_error(capsys: pytest.CaptureFixture[str]) -> None:
    entry = _har_entry("http://[::1/v1/threads/runs", "text/event-stream", "data: 1\n\n")
    with pytest.raises(CassetteFormatError, match=r"request\.url: the URL .* does not parse"):
        import_bytes(_har(entry))
    assert main(["import", "-", "-o", "x.jsonl", "--request", "POST http://[::1/x"]) == 2
    assert "--request: 'http://[::1/x' does not parse" in capsys.readouterr().err


def test_a_har_timing_that_is_not_finite_counts_as_absent() -> None:
    entry = _har_entry("https://h/v1/threads/runs", "text/event-stream", "data: 1\n\n")
    entry["timings"]["wait"] = float("inf")  # json.loads reads 1e999 so
    (interaction,) = import_bytes(_har(entry)).interactions
    assert all(math.isfinite(chunk.t) for chunk in interaction.chunks)
    assert interaction.ended_at is not None and math.isfinite(interaction.ended_at)
