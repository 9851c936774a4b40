"""Packaging: the licence the metadata names, dependencies that match what ``recorder/``
imports, the extras users expect, and the checks ``.ci/run`` runs."""

from __future__ import annotations

import ast
import re
import sys
import tomllib

from tests.conftest import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]

#: Import name -> distribution name, where they differ.
DISTRIBUTION = {
    "yaml": "pyyaml",
    "jsonschema_rs": "jsonschema-rs",
    # Installed and pinned to the exact version by pydantic itself.
    "pydantic_core": "pydantic",
}
#: Declared but never imported, on purpose.
NOT_IMPORTED = {
    # uvicorn's C HTTP parser, picked up by uvicorn itself (see the comment in pyproject.toml).
    "httptools",
}
#: Imported only by the pytest plugin and its snapshot extension: the ``pytest`` extra.
PYTEST_EXTRA = {"pytest", "syrupy"}


def requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return match.group(0).lower().replace("_", "-")


def third_party_imports() -> set[str]:
    """Top-level names of the packages ``recorder/`` imports that are not the standard library."""
    found: set[str] = set()
    for path in (REPO / "recorder").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names} - {"recorder"}


def test_the_license_file_is_mit_as_the_metadata_says() -> None:
    assert PROJECT["license"] == "MIT"
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "sse-recorder developers" in text
    assert "LICENSE" in PYPROJECT["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]


def test_dependencies_are_what_recorder_imports() -> None:
    imported = {DISTRIBUTION.get(name, name) for name in third_party_imports()}
    declared = {requirement_name(r) for r in PROJECT["dependencies"]}
    assert imported - PYTEST_EXTRA - declared == set(), "imported but not declared"
    assert declared - imported - NOT_IMPORTED == set(), "declared but never imported"
    assert "anyio" in declared and "httpx-sse" not in declared


def test_the_pytest_extra_holds_the_plugin_needs_and_test_includes_it() -> None:
    extras = PROJECT["optional-dependencies"]
    assert {requirement_name(r) for r in extras["pytest"]} == PYTEST_EXTRA
    assert "sse-recorder[pytest]" in extras["test"]
    assert "httpx-sse" in {requirement_name(r) for r in extras["test"]}


def test_classifiers_name_typing_licence_and_python_versions() -> None:
    classifiers = set(PROJECT["classifiers"])
    assert "Typing :: Typed" in classifiers
    assert "License :: OSI Approved :: MIT License" in classifiers
    assert "Framework :: Pytest" in classifiers
    assert {"3.11", "3.12", "3.13"} <= {
        c.rsplit(" :: ", 1)[1] for c in classifiers if re.fullmatch(r".*Python :: 3\.\d+", c)
    }
    assert (REPO / "recorder" / "py.typed").exists()


def test_ci_runs_ruff_and_mypy_after_the_readme_test_command() -> None:
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    test_command = script.index('bash -euo pipefail -c "$test_command"')
    for check in (
        ".venv/bin/ruff check",
        ".venv/bin/ruff format --check",
        ".venv/bin/mypy --strict recorder",
    ):
        assert test_command < script.index(check), check


def test_no_test_reads_the_team_shared_folder() -> None:
    """Real captures and vectors are vendored under fixtures/: a clone runs every test and
    benchmark."""
    pattern = re.compile(r"\.\./shared|parents\[\d\]\s*/\s*[\"']shared[\"']|REPO\.parent")
    offenders = [
        f"{path.name}:{number}"
        for path in sorted([*REPO.joinpath("tests").glob("*.py"), *REPO.glob("benchmarks/*.py")])
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line) and path.name != "test_packaging.py"
    ]
    assert offenders == []
