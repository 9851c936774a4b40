"""How a payload that fails its schema is explained: JSON paths, messages, undocumented fields.

Kept apart from ``recorder.validate.schemas`` (which loads profiles and runs the fast checks)
because none of this runs on the valid path. Everything here works on dereferenced schemas (no
``$ref`` left) and knows nothing of any profile.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema_rs

__all__ = ["FieldShape", "closed_schema", "describe_error"]

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_ONE = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
)
_OPEN_KEYWORDS = ("additionalProperties", "patternProperties", "unevaluatedProperties")


class FieldShape:
    """A subschema compiled for the search of undocumented fields.

    The search walks only containers (scalars hold no fields) and picks the branch of an
    ``anyOf``/``oneOf`` by the instance's JSON type and ``const`` discriminators, asking a
    validator only when that leaves more than one branch.
    """

    def __init__(self, schema: Any, memo: dict[int, FieldShape]) -> None:
        memo[id(schema)] = self
        self.schema = schema
        self.title: str | None = None
        self.properties: dict[str, FieldShape] | None = None
        self.closed = False
        self.items: FieldShape | None = None
        self.parts: list[FieldShape] = []
        self.unions: list[list[FieldShape]] = []
        self.types: frozenset[str] | None = None
        self.discriminators: dict[str, object] = {}
        self._validator: Any = None
        if not isinstance(schema, dict):
            return

        def sub(node: Any) -> FieldShape:
            return memo.get(id(node)) or FieldShape(node, memo)

        self.title = schema.get("title")
        if isinstance(schema.get("properties"), dict):
            self.properties = {k: sub(v) for k, v in schema["properties"].items()}
            self.closed = not any(k in schema for k in _OPEN_KEYWORDS)
            self.discriminators = {
                k: v["const"]
                for k, v in schema["properties"].items()
                if isinstance(v, dict) and "const" in v
            }
        if isinstance(schema.get("items"), dict):
            self.items = sub(schema["items"])
        self.parts = [sub(s) for s in schema.get("allOf", ())]
        self.unions = [[sub(s) for s in schema[k]] for k in ("anyOf", "oneOf") if k in schema]
        declared = schema.get("type")
        if isinstance(declared, str | list):
            self.types = frozenset([declared] if isinstance(declared, str) else declared)
        elif "const" in schema or "enum" in schema:
            values = [schema["const"]] if "const" in schema else schema["enum"]
            self.types = frozenset(_json_type(v) for v in values)

    def admits(self, instance: object) -> bool:
        """A quick, permissive test: could ``instance`` be meant for this branch?"""
        if self.types is not None:
            kind = _json_type(instance)
            if kind not in self.types and not (kind == "integer" and "number" in self.types):
                return False
        if self.discriminators and isinstance(instance, dict):
            return all(instance.get(k, v) == v for k, v in self.discriminators.items())
        return True

    def fits(self, instance: object) -> bool:
        if self._validator is None:
            self._validator = jsonschema_rs.validator_for(self.schema)
        return bool(self._validator.is_valid(instance))

    def extras(self, instance: object) -> list[tuple[str, str, str]]:
        """(json_path, key, object title) of every undocumented field in ``instance``."""
        found: list[tuple[str, str, str]] = []
        self._walk(instance, "$", self.title or "object", found)
        return found

    def _walk(self, instance: object, path: str, title: str, found: list[Any]) -> None:
        title = self.title or title
        for part in self.parts:
            part._walk(instance, path, title, found)
        for branches in self.unions:
            candidates = [b for b in branches if b.admits(instance)]
            if len(candidates) > 1:
                candidates = [b for b in candidates if b.fits(instance)]
            if candidates:
                candidates[0]._walk(instance, path, title, found)
        if isinstance(instance, dict) and self.properties is not None:
            for key, value in instance.items():
                shape = self.properties.get(key)
                if shape is None:
                    if self.closed:
                        found.append((_join(path, key), key, title))
                elif isinstance(value, dict | list):
                    shape._walk(value, _join(path, key), title, found)
        elif isinstance(instance, list) and self.items is not None:
            for index, item in enumerate(instance):
                if isinstance(item, dict | list):
                    self.items._walk(item, f"{path}[{index}]", title, found)


def closed_schema(schema: Any) -> Any:
    """A copy of ``schema`` where every object that lists its properties allows no others."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: closed_schema(sub) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [closed_schema(sub) for sub in value]
        elif key in _SCHEMA_ONE:
            out[key] = closed_schema(value)
        else:
            out[key] = value
    if "properties" in schema and not any(k in schema for k in _OPEN_KEYWORDS):
        out["additionalProperties"] = False
    return out


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def quoted(key: str) -> str:
    """A field name for a one-line message: ``'name'``, or JSON-escaped when not printable."""
    return f"'{key}'" if key.isprintable() and "'" not in key else json.dumps(key)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"


def _path_of(error: Any) -> str:
    path = "$"
    for part in error.absolute_path:
        path = _join(path, part)
    return path


def describe_error(error: Any) -> Iterator[tuple[str, str]]:
    """(json_path, one-line message) for the most telling leaves of ``error``."""
    if error.context:
        yield from _describe_branches(error)
        return
    path = _path_of(error)
    instance = error.instance
    if error.validator == "required":
        for key in error.validator_value:
            if isinstance(instance, dict) and key not in instance:
                yield _join(path, key), f"required field {quoted(key)} is missing"
        return
    if error.validator == "type":
        expected = error.validator_value
        wanted = " or ".join(expected) if isinstance(expected, list) else str(expected)
        yield path, f"expected {wanted}, found {_json_type(instance)} {_short(instance)}"
    elif error.validator == "const":
        yield path, f"expected {_short(error.validator_value)}, found {_short(instance)}"
    elif error.validator == "enum":
        choices = ", ".join(_short(v) for v in error.validator_value)
        yield path, f"expected one of {choices}, found {_short(instance)}"
    else:
        yield path, _one_line(error.message)


def _describe_branches(error: Any) -> Iterator[tuple[str, str]]:
    """Explain an anyOf/oneOf failure through the branch the payload most nearly matches."""
    branches: dict[Any, list[Any]] = {}
    for sub in error.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    mismatches = [
        next((e for e in errs if e.validator == "const"), None) for errs in branches.values()
    ]
    if mismatches and all(m is not None for m in mismatches):
        paths = {tuple(m.absolute_path) for m in mismatches if m is not None}
        if len(paths) == 1:  # every branch is told apart by one discriminator: name them all
            choices = ", ".join(_short(m.validator_value) for m in mismatches if m is not None)
            first = mismatches[0]
            assert first is not None
            yield _path_of(first), f"expected one of {choices}, found {_short(first.instance)}"
            return

    def closeness(branch: tuple[Any, list[Any]]) -> tuple[int, int, Any]:
        # A branch whose discriminator matched, then the one that got deepest, then the first.
        index, errs = branch
        discriminated = any(e.validator == "const" for e in errs)
        depth = max(len(e.absolute_path) for e in errs)
        return (int(discriminated), -depth, index)

    if not branches:
        yield _path_of(error), _one_line(error.message)
        return
    for sub in min(branches.items(), key=closeness)[1]:
        yield from describe_error(sub)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _short(value: object, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
