"""The syrupy snapshot extensions, under their documented name (they live in
:mod:`recorder.testing.snapshot`)."""

from recorder.testing.snapshot import *  # noqa: F403
from recorder.testing.snapshot import __all__ as __all__
