"""Files shipped with the package (JSON Schemas), found the same way from a wheel or a checkout.

A wheel carries the repository's ``schemas/`` as ``recorder/_schemas`` (see pyproject.toml);
a source checkout or an editable install reads ``schemas/`` beside the package.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from recorder.errors import RecorderError

__all__ = ["load_schema", "register_schema_folder", "schema_folder", "schemas_root"]

#: Schema folders of profiles that bring their own (a profile file's ``[schemas] dir``).
_FOLDERS: dict[str, Traversable] = {}


@cache
def schemas_root() -> Traversable:
    """The folder holding the JSON Schemas."""
    packaged = files("recorder") / "_schemas"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "schemas"
    if checkout.is_dir():
        return checkout
    raise RecorderError("the JSON Schemas are missing from this installation: reinstall it")


def register_schema_folder(name: str, folder: Traversable) -> None:
    """Schemas of profile ``name`` live in ``folder`` (not under the package's schemas/)."""
    if _FOLDERS.get(name) != folder:
        _FOLDERS[name] = folder
        load_schema.cache_clear()


def schema_folder(name: str) -> Traversable:
    """The folder holding the schemas of profile ``name``."""
    folder = _FOLDERS.get(name)
    return folder if folder is not None else schemas_root() / name


@cache
def load_schema(*parts: str) -> Any:
    """Load ``schemas/<parts...>`` as JSON (cached; do not mutate the result); the first part
    names a profile's schema folder when one was registered."""
    if parts and parts[0] in _FOLDERS:
        node, parts = _FOLDERS[parts[0]], parts[1:]
    else:
        node = schemas_root()
    for part in parts:
        node = node / part
    try:
        return json.loads(node.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecorderError(f"no schema {'/'.join(parts)} in this installation") from None
