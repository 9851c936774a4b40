"""The self-contained HTML report, checked as text and rendered by a real headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from recorder.cassette import Cassette, Chunk, Interaction, RecordedRequest, load_cassette
from recorder.report.html import render_report
from recorder.validate.runner import validate_cassette
from tests.conftest import CASSETTES

EVIL = "</script><img src=x onerror=\"document.title='pwned'\"><b>bold</b>"
EVIL_BODY = (
    b'event: thread.message.delta\ndata: {"id":"msg_1","object":"thread.message.delta",'
    b'"delta":{"content":[{"index":0,"type":"text","text":{"value":"'
    + EVIL.replace('"', '\\"').encode()
    + b'"}}]}}\n\nevent: done\ndata: [DONE]\n\n'
)


def _timed() -> Cassette:
    """A real capture re-cut into one chunk per event, with arrival times and a long gap."""
    source = load_cassette(CASSETTES / "official" / "official-create-run.jsonl")
    body = source.interactions[0].body
    blocks = [block + b"\n\n" for block in body.split(b"\n\n") if block.strip()]
    chunks, t = [], 0.3
    for index, block in enumerate(blocks):
        chunks.append(Chunk(t=t, data=block))
        t += 1.5 if index == 6 else 0.05
    interaction = source.interactions[0].model_copy(update={"chunks": chunks, "ended_at": t})
    return source.model_copy(update={"interactions": [interaction]})


def _evil() -> Cassette:
    interaction = Interaction(
        request=RecordedRequest(method="POST", url="http://127.0.0.1/<b>x</b>?a=1&b=2"),
        chunks=[Chunk(t=0.0, data=EVIL_BODY)],
        outcome="complete",
    )
    return Cassette(interactions=[interaction], path="<evil>.sse", note=EVIL)


def test_everything_recorded_is_escaped() -> None:
    html = render_report([_evil()], [[]], title=EVIL)
    assert "<img" not in html and "<b>bold" not in html
    assert html.count("</script>") == 1  # only the report's own script
    assert "&lt;/script&gt;&lt;img src=x onerror=" in html
    assert "http://127.0.0.1/&lt;b&gt;x&lt;/b&gt;?a=1&amp;b=2" in html


def test_a_report_can_always_be_written_as_utf8() -> None:
    body = b'event: thread.run.created\ndata: {"id":"run_1","note":"\\udcff \\ud800"}\n\n'
    cassette = Cassette.from_sse(body).model_copy(update={"path": "r\udcff.jsonl"})
    html = render_report([cassette], [[]], title="t\udcfe")
    html.encode("utf-8")
    assert "r\\xff.jsonl" in html and "t\\xfe" in html and "\\xff \\ud800" in html


def test_chart_stats_and_findings_without_a_browser() -> None:
    cassette = _timed()
    findings = validate_cassette(cassette)
    html = render_report([cassette], [findings])
    assert "first event: <b>300.0 ms</b>" in html
    assert "longest gap: <b>1500.0 ms (events 6→7)</b>" in html
    assert html.count('class="point"') == 14
    assert html.count('<rect class="delta"') == 3
    errors = [f for f in findings if f.is_error and f.event_index is not None]
    assert errors, "the official example breaks rules: its findings must be linked"
    for finding in errors:
        assert f'href="#c0-i0-e{finding.event_index}"' in html


def _raw() -> Cassette:
    """The official example as a raw ``.sse`` body: its findings name no interaction."""
    body = load_cassette(CASSETTES / "official" / "official-create-run.jsonl").interactions[0].body
    return Cassette.from_sse(body).model_copy(update={"path": "run.sse"})


def _links_and_ids(html: str) -> tuple[list[str], set[str]]:
    """The fragment of every finding link, and every id on the page."""
    items = re.findall(r'<li class="finding">.*?</li>', html, re.S)
    links = [link for item in items for link in re.findall(r'href="#([^"]+)"', item)]
    return links, set(re.findall(r'\bid="([^"]+)"', html))


def test_every_finding_link_reaches_a_row_also_for_a_raw_body() -> None:
    raw = _raw()
    findings = validate_cassette(raw)
    assert findings and all(f.interaction is None for f in findings)
    html = render_report([_timed(), raw], [validate_cassette(_timed()), findings])
    links, ids = _links_and_ids(html)
    assert any(link.startswith("c1-") for link in links)
    assert [link for link in links if link not in ids] == []
    assert 'href="#c1-i0-e10"' in html  # A1, at the message.completed event


def test_repeated_findings_are_one_item_with_a_count() -> None:
    cassette = load_cassette(CASSETTES / "real" / "dotnet-tool-call-then-submit.jsonl")
    findings = validate_cassette(cassette)
    html = render_report([cassette], [findings])
    items = re.findall(r'<li class="finding">(.*?)</li>', html, re.S)
    keys = [re.sub(r'<span class="muted count">.*', "", item) for item in items]
    assert len(keys) == len(set(keys))  # no item repeats another
    instructions = [i for i in items if "run &#x27;instructions&#x27; is null" in i]
    assert len(instructions) == 2  # one per interaction, not one per run event
    assert "(4 times: events" in instructions[0]
    for event in (1, 2, 3, 8):
        assert f'<a href="#c0-i0-e{event}">{event}</a>' in instructions[0]


def test_an_index_of_files_links_to_each_section() -> None:
    cassettes = [_timed(), _raw(), _evil()]
    html = render_report(cassettes, [[], [], []])
    index = html.split('<nav class="index">')[1].split("</nav>")[0]
    assert re.findall(r'href="#(c\d+)"', index) == ["c0", "c1", "c2"]
    assert "official-create-run.jsonl" in index and "run.sse" in index
    assert "&lt;evil&gt;.sse" in index
    for position in range(3):
        assert f'<h2 id="c{position}">' in html
    assert html.index('<nav class="index">') < html.index('<h2 id="c0">')


def test_untimed_streams_are_drawn_by_event_order() -> None:
    cassette = load_cassette(CASSETTES / "real" / "dotnet-streaming-run.jsonl")
    html = render_report([cassette])
    assert "event order (arrival times were not recorded)" in html


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    message = (
        "headless Chromium is needed for the HTML report browser test and was not found: "
        "install it (Debian: apt-get install -y chromium)"
    )
    # CI installs Chromium (.ci/run), so there a missing browser is a failure; on a machine
    # with only Python and pip (the README's promise) the browser test cannot run.
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _render_in_browser(page: Path, tmp_path: Path, fragment: str = "") -> str:
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=2000",
        "--dump-dom",
        page.as_uri() + fragment,
    ]
    done = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done.stdout.decode("utf-8")


def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    timed = _timed()
    findings = validate_cassette(timed)
    page = tmp_path / "report.html"
    page.write_text(render_report([timed, _evil()], [findings, []]), encoding="utf-8")
    dom = _render_in_browser(page, tmp_path, "#c0-i0-e12")
    # the script ran: it marks the page and opens the event the fragment names
    assert 'data-ready="yes"' in dom
    row = re.search(r'<tr id="c0-i0-e12" class="([^"]*)">(.*?)</tr>', dom, re.S)
    assert row is not None and "focus" in row.group(1)
    assert "<details open" in row.group(2)
    # one timeline per interaction, one mark per event, linked to its row
    assert dom.count('<svg class="timeline"') == 2
    for index in range(14):
        assert f'<a href="#c0-i0-e{index}" class="point">' in dom
        assert f'id="c0-i0-e{index}"' in dom
    # findings link to events that exist
    links = set(re.findall(r'<li class="finding">.*?href="#(c0-i0-e\d+)"', dom))
    assert links and all(f'id="{anchor}"' in dom for anchor in links)
    # the hostile payload stayed text: no element was created from it, no script ran from it
    assert "<img" not in dom and "pwned" not in dom.split("<title>")[1].split("</title>")[0]
    assert "&lt;/script&gt;&lt;img src=x onerror=" in dom


def test_a_raw_bodys_finding_link_opens_its_row_in_chromium(tmp_path: Path) -> None:
    raw = _raw()
    page = tmp_path / "report.html"
    page.write_text(render_report([raw], [validate_cassette(raw)]), encoding="utf-8")
    links, _ = _links_and_ids(page.read_text("utf-8"))
    target = next(link for link in links if link.endswith("-e10"))
    dom = _render_in_browser(page, tmp_path, "#" + target)
    row = re.search(rf'<tr id="{target}" class="([^"]*)">(.*?)</tr>', dom, re.S)
    assert row is not None and "focus" in row.group(1)
    assert "<details open" in row.group(2)
    # the index at the top reaches the file's section
    assert '<a href="#c0">run.sse</a>' in dom and '<h2 id="c0">' in dom


def test_report_command_output_opens_in_chromium(tmp_path: Path) -> None:
    from recorder.cli import main

    output = tmp_path / "out" / "report.html"
    code = main(["report", str(CASSETTES / "real"), "-o", str(output)])
    assert code in (0, 1)
    dom = _render_in_browser(output, tmp_path)
    # 7 cassettes (Assistants, Responses, Chat, Anthropic), one with two interactions
    assert dom.count('<svg class="timeline"') == 8
    assert "dotnet-tool-call-then-submit.jsonl" in dom
    for profile in ("assistants", "responses", "chat", "anthropic"):
        assert f"profile: {profile} (" in dom
