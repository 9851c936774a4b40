"""Where profiles come from: built in, a profile file (``--profile path/to/profile.toml``), or
an installed package's entry point (group ``sse_recorder.profiles``); and the one-line usage
errors (exit 2) when one is broken.

A package is stood in for by a ``*.dist-info`` folder with an ``entry_points.txt`` on
``sys.path`` (importlib.metadata finds it as it finds an installed one): no pip install.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import recorder.profiles as registry
from recorder.errors import ProfileError
from recorder.profiles import detect, first_events, get_profile, installed_profiles
from recorder.validate.findings import Severity
from recorder.validate.runner import validate_file

SSE_RECORDER = str(Path(sys.executable).with_name("sse-recorder"))

PROFILE = """\
# A tiny user profile: events with a "type", ending with "finished".
name = "{name}"
title = "Tiny test stream"
{extra}
[schemas]
dir = "{schemas}"

[rules]
T1 = {{ source = "SPEC", summary = "every data line is a JSON object with a type" }}
T2 = {{ source = "SPEC", summary = "the stream ends with one finished event, nothing after" }}
SCHEMA = {{ source = "SPEC", summary = "the event matches its schema" }}
SCHEMA-REAL = {{ source = "EX", severity = "warning", summary = "a known deviation" }}
SCHEMA-EXTRA = {{ source = "EX", severity = "warning", summary = "an undocumented field" }}

[stream]
kind = {{ from = "field", field = "type" }}
json_rule = "T1"
terminal = {{ kinds = ["finished"], rule = "{terminal_rule}" }}

[detect]
kinds = ["tiny.started"]
"""

GOOD = b'data: {"type": "tiny.started", "n": 1}\n\ndata: {"type": "finished"}\n\n'
#: "n" must be an integer (the profile's own schema, found relative to its file)
BAD_SCHEMA = b'data: {"type": "tiny.started", "n": "one"}\n\ndata: {"type": "finished"}\n\n'


def write_profile(
    folder: Path,
    *,
    name: str = "tiny",
    schemas: str = "schemas",
    extra: str = "",
    terminal_rule: str = "T2",
) -> Path:
    """A profile file and its schemas folder (relative to it) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / "profile.toml"
    file.write_text(
        PROFILE.format(name=name, schemas=schemas, extra=extra, terminal_rule=terminal_rule),
        encoding="utf-8",
    )
    root = folder / schemas
    (root / "v1" / "events").mkdir(parents=True, exist_ok=True)
    (root / "profile.json").write_text(
        json.dumps({"profile": name, "versions": ["v1"], "default_version": "v1"})
    )
    (root / "v1" / "deviations.json").write_text(json.dumps({"deviations": []}))
    for kind, properties in (
        ("tiny.started", {"type": {"const": "tiny.started"}, "n": {"type": "integer"}}),
        ("finished", {"type": {"const": "finished"}}),
    ):
        schema = {"type": "object", "properties": properties, "required": ["type"]}
        (root / "v1" / "events" / f"{kind}.json").write_text(json.dumps(schema))
    return file


def run(*args: str, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), env.get("PYTHONPATH")]))
    return subprocess.run([SSE_RECORDER, *args], capture_output=True, text=True, env=env)


def assert_usage_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Exit 2 and one line on stderr naming what is wrong, never a traceback."""
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def clear_caches() -> None:
    registry._entry_points.cache_clear()
    registry.profile_names.cache_clear()
    registry.get_profile.cache_clear()
    registry._candidates.cache_clear()


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    clear_caches()
    yield
    clear_caches()  # the entry points of this test leave with its sys.path


# ------------------------------------------------------------------ a profile file


def test_a_profile_file_with_schemas_relative_to_it(tmp_path: Path) -> None:
    file = write_profile(tmp_path / "contracts")
    good, bad = tmp_path / "good.sse", tmp_path / "bad.sse"
    good.write_bytes(GOOD)
    bad.write_bytes(BAD_SCHEMA)
    profile = get_profile(str(file))
    assert profile.name == "tiny" and profile.origin == str(file)
    result = validate_file(good, profile=str(file))
    assert result.profile == "tiny" and result.findings == []
    broken = validate_file(bad, profile=str(file))
    assert [(f.rule, f.event_index) for f in broken.findings] == [("SCHEMA", 0)]


def test_a_profile_file_through_the_cli(tmp_path: Path) -> None:
    file = write_profile(tmp_path / "contracts")
    good, bad = tmp_path / "good.sse", tmp_path / "bad.sse"
    good.write_bytes(GOOD)
    bad.write_bytes(GOOD.replace(b'{"type": "finished"}', b'{"type": "tiny.started", "n": 2}'))
    ok = run("validate", "--profile", str(file), str(good))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "(tiny, 1 stream" in ok.stdout
    broken = run("validate", "--profile", str(file), str(bad))
    assert broken.returncode == 1 and "T2" in broken.stdout, broken.stdout + broken.stderr
    listed = run("profiles", str(file))
    assert listed.returncode == 0, listed.stderr
    assert f"from {file}; 5 rules" in listed.stdout
    rules = run("validate", "--list-rules", "--profile", str(file))
    assert rules.returncode == 0, rules.stderr
    assert "T2" in rules.stdout and "the stream ends with one finished event" in rules.stdout


@pytest.mark.parametrize("name", ["gemini", "mcp"])
def test_the_data_only_builtins_are_listed_with_their_rules(name: str) -> None:
    assert (name, f"built-in (recorder/profiles/{name}/profile.toml)") in installed_profiles()
    rules = run("validate", "--list-rules", "--profile", name)
    assert rules.returncode == 0, rules.stderr
    for rule in get_profile(name).rules:
        assert rule in rules.stdout


# ------------------------------------------------------------------ an entry point


def fake_distribution(site: Path, package: str, entries: str, profile_folder: bool) -> None:
    """An installed distribution ``package`` 1.0 in ``site`` with these entry points."""
    code = site / package
    code.mkdir(parents=True)
    init = (
        "from pathlib import Path\n\nPROFILE_FILE = str(Path(__file__).with_name('profile.toml'))\n"
    )
    (code / "__init__.py").write_text(init)
    if profile_folder:
        write_profile(code, name="tinyplug")
    info = site / f"{package}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[sse_recorder.profiles]\n{entries}\n")


def test_a_package_adds_a_profile_through_its_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_registry: None
) -> None:
    site = tmp_path / "site"
    fake_distribution(site, "tinyplug", "tinyplug = tinyplug:PROFILE_FILE", profile_folder=True)
    monkeypatch.syspath_prepend(str(site))
    clear_caches()
    assert "tinyplug" in registry.profile_names()
    listed = dict(installed_profiles())
    assert listed["tinyplug"] == "entry point tinyplug:PROFILE_FILE (package tinyplug)"
    profile = get_profile("tinyplug")
    assert profile.origin.endswith("profile.toml") and set(profile.rules) >= {"T1", "T2"}
    # and auto-detection tries it like a built-in one
    assert detect(None, first_events([GOOD])).name == "tinyplug"


def test_an_entry_point_profile_through_the_cli(tmp_path: Path) -> None:
    site = tmp_path / "site"
    fake_distribution(site, "tinyplug", "tinyplug = tinyplug:PROFILE_FILE", profile_folder=True)
    body = tmp_path / "body.sse"
    body.write_bytes(GOOD)
    listed = run("profiles", pythonpath=site)
    assert listed.returncode == 0, listed.stderr
    assert "from entry point tinyplug:PROFILE_FILE (package tinyplug); 5 rules" in listed.stdout
    assert "from built-in (recorder/profiles/mcp/profile.toml)" in listed.stdout
    rules = run("validate", "--list-rules", "--profile", "tinyplug", pythonpath=site)
    assert rules.returncode == 0 and "T1" in rules.stdout, rules.stderr
    checked = run("validate", str(body), pythonpath=site)  # auto: recognised by its events
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "(tinyplug, 1 stream" in checked.stdout


def test_an_entry_point_that_fails_to_import_is_one_line_exit_2(tmp_path: Path) -> None:
    site = tmp_path / "site"
    fake_distribution(site, "brokenplug", "broken = no_such_module:PROFILE", profile_folder=False)
    body = tmp_path / "body.sse"
    body.write_bytes(GOOD)
    result = run("validate", "--profile", "broken", str(body), pythonpath=site)
    assert_usage_error(
        result, "entry point broken = 'no_such_module:PROFILE'", "ModuleNotFoundError"
    )
    assert_usage_error(run("profiles", pythonpath=site), "entry point broken")


def test_a_broken_entry_point_does_not_stop_auto_detection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_registry: None
) -> None:
    site = tmp_path / "site"
    fake_distribution(site, "brokenplug", "broken = no_such_module:PROFILE", profile_folder=False)
    monkeypatch.syspath_prepend(str(site))
    clear_caches()
    with pytest.raises(ProfileError, match="entry point broken"):
        get_profile("broken")
    assert detect(None, first_events([b'data: {"x": 1}\n\n'])).name == "generic"


# ------------------------------------------------------------------ broken profile files


def _body(tmp_path: Path) -> Path:
    body = tmp_path / "body.sse"
    body.write_bytes(GOOD)
    return body


def test_a_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    file = write_profile(tmp_path / "p")
    file.write_text(file.read_text() + "\n[stream\n")
    result = run("validate", "--profile", str(file), str(_body(tmp_path)))
    assert_usage_error(result, str(file), "not valid TOML")


def test_a_key_of_the_wrong_type_names_file_line_and_key(tmp_path: Path) -> None:
    file = write_profile(tmp_path / "p")
    text = file.read_text().replace('kind = { from = "field"', 'kind = { from = "json"')
    file.write_text(text)
    line = 1 + text.splitlines().index(next(t for t in text.splitlines() if "from =" in t))
    result = run("validate", "--profile", str(file), str(_body(tmp_path)))
    assert_usage_error(result, f"{file}, line {line}, stream.kind.from:")


def test_a_missing_schema_folder_or_file_names_the_profile_file(tmp_path: Path) -> None:
    file = write_profile(tmp_path / "p")
    file.write_text(file.read_text().replace('dir = "schemas"', 'dir = "elsewhere"'))
    result = run("validate", "--profile", str(file), str(_body(tmp_path)))
    assert_usage_error(result, str(file), "has no profile.json")
    other = write_profile(tmp_path / "q")
    (tmp_path / "q" / "schemas" / "v1" / "deviations.json").unlink()
    result = run("validate", "--profile", str(other), str(_body(tmp_path)))
    assert_usage_error(result, str(other), "has no v1/deviations.json")


def test_a_rule_used_but_not_declared_names_file_and_line(tmp_path: Path) -> None:
    file = write_profile(tmp_path / "p", terminal_rule="T9")
    result = run("validate", "--profile", str(file), str(_body(tmp_path)))
    assert_usage_error(result, str(file), "rule 'T9' is used but not declared under [rules]")


def test_a_profile_file_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "profile.toml"
    result = run("validate", "--profile", str(missing), str(_body(tmp_path)))
    assert_usage_error(result, str(missing), "no such profile file")


def test_a_rules_module_that_fails_to_import_names_the_file(tmp_path: Path) -> None:
    file = write_profile(tmp_path / "p", extra='rules_module = "no_such_rules_module"\n')
    result = run("validate", "--profile", str(file), str(_body(tmp_path)))
    assert_usage_error(result, str(file), "cannot import 'no_such_rules_module'")


def test_findings_of_a_user_profile_carry_its_severities(tmp_path: Path) -> None:
    file = write_profile(tmp_path / "p")
    body = tmp_path / "b.sse"
    body.write_bytes(b'data: {"type": "tiny.started", "n": 1}\n\n')
    [finding] = validate_file(body, profile=str(file)).findings
    assert (finding.rule, finding.severity) == ("T2", Severity.ERROR)
