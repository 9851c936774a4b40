"""The final fold of an Anthropic Messages stream: its events to the Message object.

It follows the anthropic library (v2.13), whose ``client.messages.stream(...)
.get_final_message()`` (and ``client.beta.messages.stream(...)``) users compare against
(``anthropic/lib/streaming/_messages.py`` and ``_beta_messages.py``, ``accumulate_event``), and
the streaming docs ("Each content block will have an `index` that corresponds to its index in
the final Message `content` array"; "The token counts shown in the `usage` field of the
`message_delta` event are cumulative"):

- ``message_start`` gives the message; events before it are ignored, a second one too;
- ``content_block_start`` appends its block as started (any type, beta ones included);
  a beta ``fallback`` block renames the message's ``model`` to the block's ``to.model``;
- ``content_block_delta`` on the block at ``index``: ``text_delta`` appends to a text block,
  ``citations_delta`` appends to its ``citations``, ``thinking_delta`` to a thinking block,
  ``signature_delta`` replaces its ``signature``, ``input_json_delta`` joins ``partial_json``
  for ``tool_use``/``server_tool_use``/``mcp_tool_use`` blocks whose ``input`` is the joined
  JSON parsed in partial mode (jiter's, through ``pydantic_core.from_json(allow_partial=True)``;
  an empty join keeps the started ``input``, ``{}``), beta ``compaction_delta`` sets a
  compaction block's ``content`` and ``encrypted_content``;
- ``message_delta`` sets ``stop_reason``, ``stop_sequence``, ``stop_details`` (null when
  absent) and ``usage.output_tokens``; ``container``, ``context_management``,
  ``input_transformations`` and the other usage counts only when not null;
- ``ping``, ``error``, ``message_stop`` and unknown events change nothing.

Text pieces are kept in lists and joined, and tool input parsed once, in
:meth:`AnthropicFold.result`. Where the library raises (invalid tool JSON, a delta for a block
that was never started) the fold skips what does not fit; it never raises.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pydantic_core

__all__ = ["AnthropicFold"]

_TOOL_INPUT_BLOCKS = ("tool_use", "server_tool_use", "mcp_tool_use")
_USAGE_COUNTS = (
    "input_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "server_tool_use",
    "output_tokens_details",
    "iterations",
    "fallback_credit",
)


class _Block:
    """A content block being streamed: the started block plus its pieces."""

    __slots__ = ("block", "json", "text", "thinking")

    def __init__(self, block: dict[str, Any]) -> None:
        self.block = dict(block)
        self.text: list[str] = []
        self.thinking: list[str] = []
        self.json: list[str] = []

    def delta(self, delta: dict[str, Any]) -> None:
        kind, block_type = delta.get("type"), self.block.get("type")
        if kind == "text_delta" and block_type == "text":
            text = delta.get("text")  # (inline: the most frequent delta of all)
            if isinstance(text, str):
                self.text.append(text)
        elif kind == "input_json_delta" and block_type in _TOOL_INPUT_BLOCKS:
            self._append(self.json, delta.get("partial_json"))
        elif kind == "citations_delta" and block_type == "text":
            citations = self.block.get("citations")
            if citations and isinstance(citations, list):
                self.block["citations"] = [*citations, delta.get("citation")]
            else:
                self.block["citations"] = [delta.get("citation")]
        elif kind == "thinking_delta" and block_type == "thinking":
            self._append(self.thinking, delta.get("thinking"))
        elif kind == "signature_delta" and block_type == "thinking":
            self.block["signature"] = delta.get("signature")
        elif kind == "compaction_delta" and block_type == "compaction":
            self.block["content"] = delta.get("content")
            self.block["encrypted_content"] = delta.get("encrypted_content")

    @staticmethod
    def _append(pieces: list[str], value: Any) -> None:
        if isinstance(value, str):
            pieces.append(value)

    def result(self) -> dict[str, Any]:
        block = dict(self.block)
        if self.text and isinstance(block.get("text"), str):
            block["text"] = block["text"] + "".join(self.text)
        if self.thinking and isinstance(block.get("thinking"), str):
            block["thinking"] = block["thinking"] + "".join(self.thinking)
        joined = "".join(self.json)
        if joined:
            # Invalid JSON: the library raises "Unable to parse tool parameter JSON"; we keep
            # the started input.
            with contextlib.suppress(ValueError):
                block["input"] = pydantic_core.from_json(joined, allow_partial=True)
        return block


class AnthropicFold:
    """Fold Anthropic Messages stream events into the Message they amount to.

    ``feed(kind, payload)`` takes each event (``payload`` is the parsed JSON data, None when
    the data is not JSON); ``result()`` is the Message as plain JSON, None before
    ``message_start``. See the module docstring for the library behaviour it follows.
    """

    __slots__ = ("_blocks", "_message", "_usage")

    def __init__(self) -> None:
        self._message: dict[str, Any] | None = None
        self._usage: dict[str, Any] = {}
        self._blocks: list[_Block] = []

    def feed(self, kind: str, payload: Any) -> None:
        """Fold one event (told apart by its JSON ``type``, else ``kind``)."""
        if (
            kind == "content_block_delta"
            and self._message is not None
            and isinstance(payload, dict)
            and payload.get("type") == kind
        ):  # the bulk of a stream, first: the same steps as below, fewer of them
            index, delta = payload.get("index"), payload.get("delta")
            blocks = self._blocks
            if (
                isinstance(index, int)
                and -len(blocks) <= index < len(blocks)
                and isinstance(delta, dict)
            ):
                blocks[index].delta(delta)
            return
        if kind in ("ping", "error") or not isinstance(payload, dict):
            return
        event_type = payload.get("type")
        if not isinstance(event_type, str):
            event_type = kind
        if self._message is None:
            message = payload.get("message")
            if event_type == "message_start" and isinstance(message, dict):
                self._message = dict(message)
                usage = message.get("usage")
                self._usage = dict(usage) if isinstance(usage, dict) else {}
            return
        if event_type == "content_block_start":
            block = payload.get("content_block")
            if isinstance(block, dict):
                self._blocks.append(_Block(block))
                if block.get("type") == "fallback" and isinstance(block.get("to"), dict):
                    self._message["model"] = block["to"].get("model")
        elif event_type == "content_block_delta":
            index, delta = payload.get("index"), payload.get("delta")
            if (
                isinstance(index, int)
                and -len(self._blocks) <= index < len(self._blocks)
                and isinstance(delta, dict)
            ):
                self._blocks[index].delta(delta)
        elif event_type == "message_delta":
            self._message_delta(self._message, payload)

    def _message_delta(self, message: dict[str, Any], payload: dict[str, Any]) -> None:
        delta = payload.get("delta")
        usage = payload.get("usage")
        if not isinstance(delta, dict) or not isinstance(usage, dict):
            return  # the library cannot read it
        for name in ("stop_reason", "stop_sequence", "stop_details"):
            message[name] = delta.get(name)
        if delta.get("container") is not None:
            message["container"] = delta["container"]
        for name in ("context_management", "input_transformations"):
            if payload.get(name) is not None:
                message[name] = payload[name]
        self._usage["output_tokens"] = usage.get("output_tokens")
        for name in _USAGE_COUNTS:
            if usage.get(name) is not None:
                self._usage[name] = usage[name]

    def part(self, keys: tuple[Any, ...]) -> Any:
        """``("partial_json", index)``: the input JSON pieces of block ``index`` joined so far
        (None when it has none), which the profile's rules read at the block's stop."""
        index = keys[1] if len(keys) == 2 and keys[0] == "partial_json" else None
        if type(index) is not int or not 0 <= index < len(self._blocks):
            return None
        pieces = self._blocks[index].json
        return "".join(pieces) if pieces else None

    def result(self) -> dict[str, Any] | None:
        """The Message so far as plain JSON, None before ``message_start``."""
        if self._message is None:
            return None
        message = dict(self._message)
        content = message.get("content")
        started = list(content) if isinstance(content, list) else []
        message["content"] = started + [block.result() for block in self._blocks]
        if "usage" in message or self._usage:
            message["usage"] = dict(self._usage)
        return message
