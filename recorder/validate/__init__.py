"""Events to findings: the streaming validator, schemas, lifecycles, folds and framing checks.

The entry points live in :mod:`recorder.validate.runner` and are re-exported here on first use
(PEP 562), so importing a submodule such as ``recorder.validate.findings`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recorder.validate.runner import (
        FileResult,
        RuleConfig,
        iter_findings,
        validate_cassette,
        validate_file,
        validate_paths,
    )

__all__ = [
    "FileResult",
    "RuleConfig",
    "iter_findings",
    "validate_cassette",
    "validate_file",
    "validate_paths",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'recorder.validate' has no attribute {name!r}")
    return getattr(importlib.import_module("recorder.validate.runner"), name)
