"""The declarative profile file: its JSON Schema, and errors that name file, line and key."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest

from recorder.errors import ProfileError
from recorder.profiles import get_profile
from recorder.profiles._spec import load_spec, spec_schema
from tests.conftest import REPO

BUILT_IN = sorted((REPO / "recorder" / "profiles").glob("*/profile.toml"))

MINIMAL = """\
name = "ticks"
title = "Tick streams"

[rules]
T1 = { source = "EX", severity = "warning", summary = "data is JSON" }

[stream]
json_rule = "T1"
"""


def test_schema_file_is_generated_from_the_model() -> None:
    on_disk = json.loads((REPO / "schemas" / "profile.schema.json").read_text("utf-8"))
    assert on_disk == spec_schema(), (
        "schemas/profile.schema.json is stale: regenerate it from "
        "recorder.profiles._spec.spec_schema()"
    )
    jsonschema.Draft202012Validator.check_schema(on_disk)


@pytest.mark.parametrize("path", BUILT_IN, ids=lambda p: p.parent.name)
def test_every_built_in_profile_file_is_valid(path: Path) -> None:
    schema = json.loads((REPO / "schemas" / "profile.schema.json").read_text("utf-8"))
    jsonschema.validate(tomllib.loads(path.read_text("utf-8")), schema)
    assert load_spec(path).name == path.parent.name


def test_a_minimal_profile_loads_and_checks(tmp_path: Path) -> None:
    path = tmp_path / "ticks.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    profile = get_profile(str(path))
    assert profile.name == "ticks" and profile.origin == str(path)
    assert set(profile.rules) == {"T1"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (MINIMAL + "[stream.kind]\nfrom = 'header'\n", ", line 10, stream.kind.from: Input"),
        (MINIMAL.replace('json_rule = "T1"', 'json_rule = "T9"'), "rule 'T9' is used but not"),
        (MINIMAL.replace("[rules]", "[rules\n"), "not valid TOML"),
        (MINIMAL + "surprise = 1\n", "surprise: Extra inputs are not permitted"),
        (MINIMAL.replace('name = "ticks"', 'name = "Ticks!"'), "line 1, name: String should"),
        (
            MINIMAL + "[[endpoints]]\nmethod = 'POST'\npath = '('\nshape = 'x'\n",
            "path: Value error, not a regular expression",
        ),
    ],
)
def test_a_malformed_profile_is_one_line_naming_file_line_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and expected in message
    assert "\n" not in message


def test_a_rules_module_with_an_undeclared_rule_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    text = MINIMAL.replace(
        'title = "Tick streams"', 'title = "t"\nrules_module = "recorder.profiles.generic.rules"'
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError, match="has a rule 'G0' that the profile does not declare"):
        get_profile(str(path))


def test_a_rules_module_that_fails_to_import_is_one_line(tmp_path: Path) -> None:
    text = MINIMAL.replace('title = "Tick streams"', 'title = "t"\nrules_module = "no_such_mod"')
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError, match="cannot import 'no_such_mod'"):
        get_profile(str(path))


def test_a_profile_whose_schema_folder_is_missing_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(MINIMAL + "[schemas]\ndir = 'nowhere'\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"has no profile\.json"):
        get_profile(str(path))
