"""Where real servers differ from the documented schemas: the data behind each ``deviations.json``.

Read by ``tools/build_schemas.py``. Each entry relaxes the generated schema so that the default
strength accepts the real shape, and is written to ``deviations.json`` with the ``documented``
schema (over the event's whole data) that the strict strength adds back.

``relax`` lists edits, each ``(operation, target, path, *args)``; ``target`` is a component
(``objects/<name>.json``) or an event, ``path`` a field in it (``a.b[].c``):

- ``"nullable"``: the field may also be null;
- ``"optional"``: the field is no longer required;
- ``"also"``: the field (with ``[]``: each item) may also match the given schema;
- ``"add"``: an undocumented field, named so that its message says why.

- ``"without"``: the field's schema without the given keyword (a request-side limit such as
  ``maxItems`` or ``minimum`` that responses break);
- ``"also"`` with the path ``"$"``: the whole target may also match the given schema.

``documented``, and a schema argument of ``"also"`` or ``"add"``, may be a function of the
component pool when it must repeat a component. ``events: [ALL]`` means every event whose schema
requires the relaxed field; ``data_of(Component)`` every event whose data is that component.

Sources: /work/shared/CONTRACTS-LIVE.md ("Spec vs wire", "Seen on the wire"), the known gaps in
fixtures/reference/README.md, and the SCHEMA errors of the real captures in
fixtures/real-streams/{responses,chat,anthropic}/ (see tests/test_build_schemas.py); for
Assistants, /work/shared/CONTRACT.md ("Schema traps", "Wire reality") and the real captures in
fixtures/real-streams/assistants/ (see tests/test_schemas.py).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ALL", "DEVIATIONS", "data_of"]

Schema = dict[str, Any]


_RESPONSE_EVENTS = (
    "response.created",
    "response.in_progress",
    "response.completed",
    "response.failed",
    "response.incomplete",
    "response.queued",
)


def _in_response(schema: Schema) -> Schema:
    return {"properties": {"response": schema}}


_STRING = {"type": "string"}
ALL = "*"  # every event whose schema requires the property (resolved when building)


def data_of(component: str) -> str:
    """Stands for every event whose data is ``component`` (resolved when building)."""
    return f"<{component}>"


_RUN = data_of("RunObject")
_STEP = data_of("RunStepObject")
_MESSAGE = data_of("MessageObject")

DEVIATIONS: dict[str, list[dict[str, Any]]] = {
    "responses": [
        {
            "id": "response-user-null",
            "events": list(_RESPONSE_EVENTS),
            "path": "$.response.user",
            "message": "response 'user' is null, but the docs type it as a string; real servers"
            " send null when the request set none",
            "documented": _in_response({"properties": {"user": _STRING}}),
            "relax": [("nullable", "Response", "user")],
        },
        {
            "id": "response-usage-null",
            "events": list(_RESPONSE_EVENTS),
            "path": "$.response.usage",
            "message": "response 'usage' is null, but the docs type it as an object; real servers"
            " send null until the response ends",
            "documented": _in_response({"properties": {"usage": {"type": "object"}}}),
            "relax": [("nullable", "Response", "usage")],
        },
        {
            "id": "usage-cache-write-tokens-missing",
            "events": list(_RESPONSE_EVENTS),
            "path": "$.response.usage.input_tokens_details.cache_write_tokens",
            "message": "usage has no 'input_tokens_details.cache_write_tokens', which newer docs"
            " require; servers before it existed leave it out",
            "documented": _in_response(
                {
                    "properties": {
                        "usage": {
                            "properties": {
                                "input_tokens_details": {"required": ["cache_write_tokens"]}
                            }
                        }
                    }
                }
            ),
            "relax": [("optional", "ResponseUsage", "input_tokens_details.cache_write_tokens")],
        },
        {
            "id": "sequence-number-missing",
            "events": [ALL],
            "path": "$.sequence_number",
            "message": "event has no 'sequence_number', which the docs require; recordings from"
            " before it existed (2025-03) lack it",
            "documented": {"required": ["sequence_number"]},
            "relax": [("optional", ALL, "sequence_number")],
        },
        {
            "id": "text-delta-logprobs-missing",
            "events": ["response.output_text.delta", "response.output_text.done"],
            "path": "$.logprobs",
            "message": "text event has no 'logprobs', which newer docs require; older servers"
            " leave it out",
            "documented": {"required": ["logprobs"]},
            "relax": [
                ("optional", "response.output_text.delta", "logprobs"),
                ("optional", "response.output_text.done", "logprobs"),
            ],
        },
        {
            "id": "output-text-logprobs-missing",
            "events": [
                "response.content_part.added",
                "response.content_part.done",
                "response.output_item.done",
                *_RESPONSE_EVENTS,
            ],
            "path": "$.part.logprobs",
            "message": "an output_text part has no 'logprobs', which newer docs require; older"
            " servers leave it out",
            "documented": {
                "$comment": "wherever an output_text part appears",
                "properties": {
                    "part": {"$ref": "#/$defs/text"},
                    "item": {"$ref": "#/$defs/message"},
                    "response": {"properties": {"output": {"items": {"$ref": "#/$defs/message"}}}},
                },
                "$defs": {
                    "text": {
                        "if": {"properties": {"type": {"const": "output_text"}}},
                        "then": {"required": ["logprobs"]},
                    },
                    "message": {"properties": {"content": {"items": {"$ref": "#/$defs/text"}}}},
                },
            },
            "relax": [("optional", "OutputTextContent", "logprobs")],
        },
        {
            "id": "function-call-arguments-done-name-missing",
            "events": ["response.function_call_arguments.done"],
            "path": "$.name",
            "message": "function_call_arguments.done has no 'name', which newer docs require;"
            " older OpenAI and Azure servers leave it out",
            "documented": {"required": ["name"]},
            "relax": [("optional", "response.function_call_arguments.done", "name")],
        },
        {
            "id": "json-schema-format-description-null",
            "events": list(_RESPONSE_EVENTS),
            "path": "$.response.text.format.description",
            "message": "json_schema text format 'description' is null, but the docs type it as a"
            " string; real servers echo null when the request set none",
            "documented": _in_response(
                {"properties": {"text": {"properties": {"format": {"$ref": "#/$defs/format"}}}}}
            )
            | {
                "$defs": {
                    "format": {
                        "if": {"properties": {"type": {"const": "json_schema"}}},
                        "then": {"properties": {"description": _STRING}},
                    }
                }
            },
            "relax": [("nullable", "TextResponseFormatJsonSchema", "description")],
        },
        {
            "id": "mcp-tool-server-description-null",
            "events": list(_RESPONSE_EVENTS),
            "path": "$.response.tools[].server_description",
            "message": "mcp tool 'server_description' is null, but the docs type it as a string;"
            " real servers echo null when the request set none",
            "documented": _in_response(
                {
                    "properties": {
                        "tools": {
                            "items": {
                                "if": {"properties": {"type": {"const": "mcp"}}},
                                "then": {"properties": {"server_description": _STRING}},
                            }
                        }
                    }
                }
            ),
            "relax": [("nullable", "MCPTool", "server_description")],
        },
        {
            "id": "web-search-source-api",
            "events": ["response.output_item.done", *_RESPONSE_EVENTS],
            "path": "$.item.action.sources[]",
            "message": "a web search source has type 'api' (e.g. oai-weather) and no 'url'; the"
            " docs list only url sources",
            "documented": {
                "$comment": "wherever a web_search_call's sources appear",
                "properties": {
                    "item": {"$ref": "#/$defs/call"},
                    "response": {"properties": {"output": {"items": {"$ref": "#/$defs/call"}}}},
                },
                "$defs": {
                    "call": {
                        "properties": {
                            "action": {
                                "properties": {
                                    "sources": {"items": {"properties": {"type": {"const": "url"}}}}
                                }
                            }
                        }
                    }
                },
            },
            "relax": [
                (
                    "also",
                    "WebSearchActionSearch",
                    "sources[]",
                    {
                        "type": "object",
                        "title": "Web search API source",
                        "properties": {"type": {"const": "api"}, "name": _STRING},
                        "required": ["type"],
                    },
                )
            ],
        },
        {
            "id": "web-search-call-action-missing",
            "events": ["response.output_item.added"],
            "path": "$.item.action",
            "message": "a web_search_call item has no 'action' when it is added, which the docs"
            " require; real servers send it with output_item.done",
            "documented": {
                "properties": {
                    "item": {
                        "if": {"properties": {"type": {"const": "web_search_call"}}},
                        "then": {"required": ["action"]},
                    }
                }
            },
            "relax": [("optional", "WebSearchToolCall", "action")],
        },
        {
            "id": "image-generation-call-result-missing",
            "events": ["response.output_item.added"],
            "path": "$.item.result",
            "message": "an image_generation_call item has no 'result' when it is added, which the"
            " docs require (null until done); real servers leave it out",
            "documented": {
                "properties": {
                    "item": {
                        "if": {"properties": {"type": {"const": "image_generation_call"}}},
                        "then": {"required": ["result"]},
                    }
                }
            },
            "relax": [("optional", "ImageGenToolCall", "result")],
        },
        {
            "id": "shell-call-environment-missing",
            "events": [
                "response.output_item.added",
                "response.output_item.done",
                *_RESPONSE_EVENTS,
            ],
            "path": "$.item.environment",
            "message": "a shell_call item has no 'environment', which newer docs require; older"
            " servers leave it out",
            "documented": {
                "properties": {
                    "item": {"$ref": "#/$defs/call"},
                    "response": {"properties": {"output": {"items": {"$ref": "#/$defs/call"}}}},
                },
                "$defs": {
                    "call": {
                        "if": {"properties": {"type": {"const": "shell_call"}}},
                        "then": {"required": ["environment"]},
                    }
                },
            },
            "relax": [("optional", "FunctionShellCall", "environment")],
        },
        {
            "id": "error-event-wrapped",
            "events": ["error"],
            "path": "$.error",
            "message": "the error event wraps code, message and param in an 'error' object; the"
            " docs put them at the top level",
            "documented": {
                "required": ["code", "message", "param"],
                "properties": {"error": False},
            },
            "relax": [
                ("optional", "error", "code"),
                ("optional", "error", "message"),
                ("optional", "error", "param"),
                (
                    "add",
                    "error",
                    "error",
                    {
                        "type": "object",
                        "title": "wrapped error",
                        "properties": {
                            "type": _STRING,
                            "code": {"type": ["string", "null"]},
                            "message": _STRING,
                            "param": {"type": ["string", "null"]},
                        },
                        "required": ["message"],
                    },
                ),
            ],
        },
        {
            "id": "response-error-code-unlisted",
            "events": list(_RESPONSE_EVENTS),
            "path": "$.response.error.code",
            "message": "response error 'code' is not one the docs list (real: insufficient_quota)",
            "documented": lambda pool: _in_response(
                {
                    "properties": {
                        "error": {
                            "anyOf": [
                                {"type": "null"},
                                {"properties": {"code": pool["ResponseErrorCode"]}},
                            ]
                        }
                    }
                }
            ),
            "relax": [("also", "ResponseError", "code", _STRING)],
        },
    ],
    "chat": [
        {
            "id": "system-fingerprint-null",
            "events": ["chat.completion.chunk"],
            "path": "$.system_fingerprint",
            "message": "'system_fingerprint' is null, but the docs type it as a string; Azure and"
            " some models send null",
            "documented": {"properties": {"system_fingerprint": _STRING}},
            "relax": [("nullable", "chat.completion.chunk", "system_fingerprint")],
        },
        {
            "id": "azure-prompt-filter-chunk",
            "events": ["chat.completion.chunk"],
            "path": "$.object",
            "message": "Azure OpenAI's first chunk has an empty 'object' (and an empty 'id', no"
            " choices, and 'prompt_filter_results'); the docs require 'chat.completion.chunk'",
            "documented": {"properties": {"object": {"const": "chat.completion.chunk"}}},
            "relax": [("also", "chat.completion.chunk", "object", {"const": ""})],
        },
        {
            "id": "choices-missing",
            "events": ["chat.completion.chunk"],
            "path": "$.choices",
            "message": "chunk has no 'choices', which the docs require; gpt-audio chunks come"
            " without it",
            "documented": {"required": ["choices"]},
            "relax": [("optional", "chat.completion.chunk", "choices")],
        },
        {
            "id": "choice-finish-reason-missing",
            "events": ["chat.completion.chunk"],
            "path": "$.choices[].finish_reason",
            "message": "a choice has no 'finish_reason', which the docs require (null until the"
            " end); gpt-audio chunks and compatible servers leave it out",
            "documented": {"properties": {"choices": {"items": {"required": ["finish_reason"]}}}},
            "relax": [("optional", "chat.completion.chunk", "choices[].finish_reason")],
        },
        {
            "id": "delta-fields-null",
            "events": ["chat.completion.chunk"],
            "path": "$.choices[].delta",
            "message": "delta 'role', 'tool_calls' or 'function_call' is null, which the docs do"
            " not allow (leave them out); Azure OpenAI sends null",
            "documented": {
                "properties": {
                    "choices": {
                        "items": {
                            "properties": {
                                "delta": {
                                    "properties": {
                                        "role": {"not": {"type": "null"}},
                                        "tool_calls": {"not": {"type": "null"}},
                                        "function_call": {"not": {"type": "null"}},
                                    }
                                }
                            }
                        }
                    }
                }
            },
            "relax": [
                ("nullable", "ChatCompletionStreamResponseDelta", "role"),
                ("nullable", "ChatCompletionStreamResponseDelta", "tool_calls"),
                ("nullable", "ChatCompletionStreamResponseDelta", "function_call"),
            ],
        },
        {
            "id": "usage-details-null",
            "events": ["chat.completion.chunk"],
            "path": "$.usage",
            "message": "usage 'prompt_tokens_details', 'completion_tokens_details' or"
            " 'prompt_tokens_details.audio_tokens' is null, which the docs do not allow; Azure"
            " sends null",
            "documented": {
                "properties": {
                    "usage": {
                        "anyOf": [
                            {"type": "null"},
                            {
                                "properties": {
                                    "prompt_tokens_details": {
                                        "type": "object",
                                        "properties": {"audio_tokens": {"type": "integer"}},
                                    },
                                    "completion_tokens_details": {"type": "object"},
                                }
                            },
                        ]
                    }
                }
            },
            "relax": [
                ("nullable", "CompletionUsage", "prompt_tokens_details"),
                ("nullable", "CompletionUsage", "completion_tokens_details"),
                ("nullable", "CompletionUsage", "prompt_tokens_details.audio_tokens"),
            ],
        },
    ],
    "anthropic": [
        {
            "id": "server-tool-use-web-fetch-requests-missing",
            "events": ["message_start", "message_delta"],
            "path": "$.usage.server_tool_use.web_fetch_requests",
            "message": "usage.server_tool_use has no 'web_fetch_requests', which the SDK types"
            " require; streams from before web fetch existed leave it out",
            "documented": {
                "properties": {
                    "usage": {"$ref": "#/$defs/usage"},
                    "message": {"properties": {"usage": {"$ref": "#/$defs/usage"}}},
                },
                "$defs": {
                    "usage": {
                        "properties": {
                            "server_tool_use": {
                                "anyOf": [
                                    {"type": "null"},
                                    {"required": ["web_fetch_requests"]},
                                ]
                            }
                        }
                    }
                },
            },
            "relax": [
                ("optional", "ServerToolUsage", "web_fetch_requests"),
                ("optional", "BetaServerToolUsage", "web_fetch_requests"),
            ],
        },
        {
            "id": "fallback-block-trigger-missing",
            "events": ["content_block_start"],
            "path": "$.content_block.trigger",
            "message": "a fallback block has no 'trigger', which the SDK types require; the"
            " recorded server leaves it out",
            "documented": {
                "properties": {
                    "content_block": {
                        "if": {"properties": {"type": {"const": "fallback"}}},
                        "then": {"required": ["trigger"]},
                    }
                }
            },
            "relax": [("optional", "BetaFallbackBlock", "trigger")],
        },
    ],
    # Assistants v2; v1 (tools/assistants_v1.py) keeps the entries whose fields v1 has.
    "assistants": [
        {
            "id": "run-step-expired-at-missing",
            "events": [_STEP],
            "path": "$.expired_at",
            "message": "run step has no 'expired_at', which the docs require (null until it"
            " expires); real servers leave it out",
            "documented": {"required": ["expired_at"]},
            "relax": [("optional", "RunStepObject", "expired_at")],
        },
        {
            "id": "run-step-metadata-missing",
            "events": [_STEP],
            "path": "$.metadata",
            "message": "run step has no 'metadata', which the docs require; real servers leave"
            " it out",
            "documented": {"required": ["metadata"]},
            "relax": [("optional", "RunStepObject", "metadata")],
        },
        {
            "id": "run-step-expires-at",
            "extra": True,
            "events": [_STEP],
            "path": "$.expires_at",
            "message": "run step carries 'expires_at', which the docs do not list (real servers"
            " send it instead of 'expired_at')",
            "documented": {"properties": {"expires_at": False}},
            "relax": [("add", "RunStepObject", "expires_at", {"type": ["integer", "null"]})],
        },
        {
            "id": "run-instructions-null",
            "events": [_RUN],
            "path": "$.instructions",
            "message": "run 'instructions' is null, but the docs type it as a string; real"
            " servers send null when the run has no instructions",
            "documented": {"properties": {"instructions": _STRING}},
            "relax": [("nullable", "RunObject", "instructions")],
        },
        {
            "id": "run-parallel-tool-calls-missing",
            "events": [_RUN],
            "path": "$.parallel_tool_calls",
            "message": "run has no 'parallel_tool_calls', which the docs require; recordings"
            " from before June 2024 lack it",
            "documented": {"required": ["parallel_tool_calls"]},
            "relax": [("optional", "RunObject", "parallel_tool_calls")],
        },
        {
            "id": "run-tool-resources",
            "extra": True,
            "events": [_RUN],
            "path": "$.tool_resources",
            "message": "run carries 'tool_resources', which the docs list for threads and"
            " assistants, not runs (every real v2 run has it)",
            "documented": {"properties": {"tool_resources": False}},
            # the shape the docs give a thread's tool_resources
            "relax": [
                (
                    "add",
                    "RunObject",
                    "tool_resources",
                    lambda pool: pool["ThreadObject"]["properties"]["tool_resources"],
                )
            ],
        },
        {
            "id": "run-reasoning-effort",
            "extra": True,
            "events": [_RUN],
            "path": "$.reasoning_effort",
            "message": "run carries 'reasoning_effort', which the docs for the run object do not"
            " list (real runs since 2025 have it)",
            "documented": {"properties": {"reasoning_effort": False}},
            "relax": [("add", "RunObject", "reasoning_effort", {"type": ["string", "null"]})],
        },
        {
            "id": "run-max-completion-tokens-below-256",
            "events": [_RUN],
            "path": "$.max_completion_tokens",
            "message": "run 'max_completion_tokens' is below the documented minimum of 256 (a"
            " request-side rule; real runs echo smaller limits)",
            "documented": {"properties": {"max_completion_tokens": {"minimum": 256}}},
            "relax": [("without", "RunObject", "max_completion_tokens", "minimum")],
        },
        {
            "id": "run-max-prompt-tokens-below-256",
            "events": [_RUN],
            "path": "$.max_prompt_tokens",
            "message": "run 'max_prompt_tokens' is below the documented minimum of 256 (a"
            " request-side rule; real runs echo smaller limits)",
            "documented": {"properties": {"max_prompt_tokens": {"minimum": 256}}},
            "relax": [("without", "RunObject", "max_prompt_tokens", "minimum")],
        },
        {
            "id": "run-tools-over-20",
            "events": [_RUN],
            "path": "$.tools",
            "message": "run lists more than 20 tools, the spec's maxItems (a request-side limit)",
            "documented": {"properties": {"tools": {"maxItems": 20}}},
            "relax": [("without", "RunObject", "tools", "maxItems")],
        },
        {
            "id": "message-attachments-missing",
            "events": [_MESSAGE],
            "path": "$.attachments",
            "message": "message has no 'attachments', which the docs require (null or a list);"
            " the official examples leave it out",
            "documented": {"required": ["attachments"]},
            "relax": [("optional", "MessageObject", "attachments")],
        },
        {
            "id": "thread-tool-resources-missing",
            "events": [data_of("ThreadObject")],
            "path": "$.tool_resources",
            "message": "thread has no 'tool_resources', which the docs require (null or an"
            " object); the official examples leave it out",
            "documented": {"required": ["tool_resources"]},
            "relax": [("optional", "ThreadObject", "tool_resources")],
        },
        {
            "id": "error-wrapped",
            "events": ["error"],
            "path": "$.error",
            "message": 'error data is wrapped as {"error": {...}}; the docs give the error'
            " object itself",
            "documented": {"properties": {"error": False}},
            "relax": [
                (
                    "also",
                    "error",
                    "$",
                    {
                        "type": "object",
                        "title": "wrapped error",
                        "properties": {"error": {"$ref": "Error.json"}},
                        "required": ["error"],
                    },
                )
            ],
        },
    ],
    # MCP's schema is the protocol's own source of truth; no real capture shows a deviation yet.
    "mcp": [],
}
