"""Plain JSON responses of the endpoints a profile lists (``[[json_endpoints]]``).

A recorded non-stream response (retrieve, list, modify, cancel) of an endpoint the profile
names is checked against the JSON Schema of its object (``schemas/<dir>/<version>/objects/``);
a list page (``"object": "list"``) item by item, with ``first_id``/``last_id`` (when given)
naming its first and last item and ``has_more`` a boolean. An object recorded after a stream
in the same cassette must agree with the stream's final object (the profile's fold) at
``final_path``: same id, and every field both have holds the same value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from recorder.cassette import Interaction
from recorder.profiles import Profile
from recorder.validate.context import Carried, get_path, parse_path
from recorder.validate.findings import Finding

__all__ = ["check_json_response", "json_endpoint_for"]

#: Fields that may change between a stream's last event and a later retrieve.
_MAY_CHANGE = frozenset({"expires_at", "usage", "metadata"})


def json_endpoint_for(profile: Profile, interaction: Interaction) -> Any:
    """The profile's ``[[json_endpoints]]`` entry the recorded request hits, else None."""
    spec = profile.spec
    request = interaction.request
    if spec is None or request is None:
        return None
    for endpoint in spec.json_endpoints:
        if request.method.upper() == endpoint.method.upper() and re.search(
            endpoint.path, request.path
        ):
            return endpoint
    return None


def _finding(
    profile: Profile, rule: str, message: str, interaction: int, path: str | None
) -> Finding:
    info = profile.rules[rule]
    return Finding(
        rule, info.severity, message, interaction, None, None, None, path, None, info.source
    )


def check_json_response(
    profile: Profile, endpoint: Any, interaction: Interaction, number: int, previous: object
) -> Iterator[Finding]:
    """Findings of one plain JSON response (nothing for an error status: not the object)."""
    response = interaction.response
    if response is None or not 200 <= response.status < 300 or profile.spec is None:
        return
    try:
        body = json.loads(b"".join(chunk.data for chunk in interaction.chunks))
    except (ValueError, RecursionError) as error:
        yield _finding(profile, endpoint.rule, f"the response is not JSON ({error})", number, None)
        return
    schemas = profile.spec.schemas
    if schemas is not None:
        from recorder.validate.schemas import infer_version, object_validator

        version = infer_version(schemas.dir, interaction.request, [body])
        validator = object_validator(schemas.dir, version, endpoint.schema_file)
        if isinstance(body, dict) and body.get("object") == "list":
            yield from _page(profile, endpoint, body, validator, number)
        else:
            for issue in list(validator.iter_errors(body))[:3]:
                where = "$" + "".join(
                    f"[{p}]" if isinstance(p, int) else f".{p}" for p in issue.instance_path
                )
                yield _finding(
                    profile,
                    endpoint.rule,
                    f"{endpoint.schema_file}: {issue.message}",
                    number,
                    where,
                )
    if endpoint.final_path and isinstance(previous, Carried) and isinstance(body, dict):
        streamed = get_path(previous.final, parse_path(endpoint.final_path))
        if isinstance(streamed, dict) and streamed.get("id") == body.get("id"):
            differ = sorted(
                key
                for key in streamed.keys() & body.keys()
                if key not in _MAY_CHANGE and streamed[key] != body[key]
            )
            if differ:
                shown = ", ".join(f"{key} {streamed[key]!r} -> {body[key]!r}" for key in differ[:3])
                yield _finding(
                    profile,
                    endpoint.final_rule or endpoint.rule,
                    f"the retrieved {body.get('object', 'object')} disagrees with the stream "
                    f"before it: {shown}",
                    number,
                    f"$.{differ[0]}",
                )


def _page(
    profile: Profile, endpoint: Any, body: dict[str, Any], validator: Any, number: int
) -> Iterator[Finding]:
    """A list page: its items, first_id/last_id and has_more."""
    data = body.get("data")
    if not isinstance(data, list):
        yield _finding(profile, endpoint.rule, "a list page without a data list", number, "$.data")
        return
    for position, item in enumerate(data):
        for error in list(validator.iter_errors(item))[:1]:
            yield _finding(
                profile,
                endpoint.rule,
                f"{endpoint.schema_file}: {error.message}",
                number,
                f"$.data[{position}]",
            )
    ids = [item.get("id") if isinstance(item, dict) else None for item in data]
    for key, expected in (
        ("first_id", ids[0] if ids else None),
        ("last_id", ids[-1] if ids else None),
    ):
        if key in body and body[key] != expected:
            yield _finding(
                profile,
                endpoint.rule,
                f"{key} is {body.get(key)!r}, but the page's "
                f"{key.removesuffix('_id')} item is {expected!r}",
                number,
                f"$.{key}",
            )
    if "has_more" in body and not isinstance(body["has_more"], bool):
        yield _finding(profile, endpoint.rule, "has_more is not a boolean", number, "$.has_more")
