"""sse-recorder: record Server-Sent Event streams, check them against a contract, replay them.

The public API is what ``__all__`` lists; everything else may change.
"""

from recorder._version import __version__
from recorder.cassette import (
    Cassette,
    CassetteWriter,
    Chunk,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    load_cassette,
)
from recorder.errors import (
    CassetteError,
    CassetteFormatError,
    CassetteNotFoundError,
    ContractError,
    ProfileError,
    RecorderError,
    SSEError,
    UsageError,
)
from recorder.sse import SSEComment, SSEParser, ServerSentEvent, encode_event, parse_bytes
from recorder.stream import ParsedStream, parse_interaction

__all__ = [
    "Cassette",
    "CassetteError",
    "CassetteFormatError",
    "CassetteNotFoundError",
    "CassetteWriter",
    "Chunk",
    "ContractError",
    "Interaction",
    "ParsedStream",
    "ProfileError",
    "RecordedRequest",
    "RecordedResponse",
    "RecorderError",
    "SSEComment",
    "SSEError",
    "SSEParser",
    "ServerSentEvent",
    "UsageError",
    "__version__",
    "encode_event",
    "load_cassette",
    "parse_bytes",
    "parse_interaction",
]
