"""The one rule of the generic profile that data cannot say: which profiles were tried."""

from __future__ import annotations

from collections.abc import Iterator

from recorder.validate.context import StreamView, Violation, at_end

__all__ = ["no_profile_claimed"]


@at_end("G0")
def no_profile_claimed(stream: StreamView) -> Iterator[Violation]:
    """A note naming the profiles tried, so a user sees why no contract was applied."""
    from recorder.profiles import tried

    names = ", ".join(tried())
    yield Violation(f"no profile recognised this stream (tried: {names}); checked as SSE only")
