"""Assistants v1 as its differences from v2: the data ``tools/build_schemas.py`` builds
``schemas/assistants/v1/`` from.

The vendored OpenAPI file (``fixtures/reference/openai/openapi.yaml``) describes v2 only. v1
(``OpenAI-Beta: assistants=v1``, retired 2024-12-18) is the v2 build with the edits below
applied to its components before the real-world deviations are; the descriptions stay v2's.

Sources of the facts: /work/shared/CONTRACT.md ("v1 vs v2": v1 has a ``retrieval`` tool and
tool call, ``file_ids`` on runs and messages, a required ``quote`` in file citations, no
``image_url``/``refusal`` content and no ``incomplete`` status), the v1 run and run step docs
(/work/shared/docs/openai-runs-v1-legacy-reference.txt), and the hand-kept v1 schemas these
replace; checked against the last v1 spec, openai/openai-openapi 3dc095b (2024-04-10;
/work/shared/reference/openai-openapi-assistants-v1-2024-04-10.subset.json).

``EDITS`` lists ``(operation, component, path, *args)``; ``path`` is a field (``a.b``) of the
component, ``"$"`` the component itself:

- ``"remove"``: the field goes (and from ``required``);
- ``"add"``: a field v2 does not have, with its schema;
- ``"require"`` / ``"optional"``: the field is (no longer) required;
- ``"enum"``: in every ``enum`` under the field, the value ``args[0]`` becomes ``args[1]``
  (``None``: it goes);
- ``"ref"``: every reference under the field to component ``args[0]`` points at ``args[1]``
  instead (``None``: that branch of its ``oneOf`` goes);
- ``"without"``: the field's schema without the keyword ``args[0]``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["COMPONENTS", "EDITS", "EVENTS_DROPPED", "V2_ONLY_DEVIATIONS", "VERSION_SHAPES"]

Schema = dict[str, Any]

_FILE_IDS = {"type": "array", "items": {"type": "string"}}

#: Components only v1 has (from the v1 spec), in the converted form of the others.
COMPONENTS: dict[str, Schema] = {
    "AssistantToolsRetrieval": {
        "type": "object",
        "title": "Retrieval tool",
        "required": ["type"],
        "properties": {
            "type": {
                "type": "string",
                "description": "The type of tool being defined: `retrieval`",
                "const": "retrieval",
            }
        },
    },
    "RunStepDetailsToolCallsRetrievalObject": {
        "title": "Retrieval tool call",
        "type": "object",
        "required": ["id", "type", "retrieval"],
        "properties": {
            "id": {"type": "string", "description": "The ID of the tool call object."},
            "type": {
                "type": "string",
                "description": "The type of tool call. This is always going to be `retrieval`"
                " for this type of tool call.",
                "const": "retrieval",
            },
            "retrieval": {
                "type": "object",
                "description": "For now, this is always going to be an empty object.",
            },
        },
    },
    "RunStepDeltaStepDetailsToolCallsRetrievalObject": {
        "title": "Retrieval tool call",
        "type": "object",
        "required": ["index", "type"],
        "properties": {
            "index": {
                "type": "integer",
                "description": "The index of the tool call in the tool calls array.",
            },
            "id": {"type": "string", "description": "The ID of the tool call object."},
            "type": {
                "type": "string",
                "description": "The type of tool call. This is always going to be `retrieval`"
                " for this type of tool call.",
                "const": "retrieval",
            },
            "retrieval": {
                "type": "object",
                "description": "For now, this is always going to be an empty object.",
            },
        },
    },
}

EDITS: list[tuple[Any, ...]] = [
    # Runs: no `incomplete` status (it came in May 2024), `file_ids`, a `retrieval` tool, no
    # `parallel_tool_calls` (June 2024, v2 only).
    ("enum", "RunObject", "status", "incomplete", None),
    ("remove", "RunObject", "parallel_tool_calls"),
    (
        "add",
        "RunObject",
        "file_ids",
        dict(_FILE_IDS, description="The list of File IDs the assistant used for this run."),
    ),
    ("require", "RunObject", "file_ids"),
    ("ref", "RunObject", "tools", "AssistantToolsFileSearch", "AssistantToolsRetrieval"),
    # The fields the v1 docs added in April 2024 are not in the v1 spec's required list:
    # recordings from before then lack them.
    ("optional", "RunObject", "incomplete_details"),
    ("optional", "RunObject", "max_prompt_tokens"),
    ("optional", "RunObject", "max_completion_tokens"),
    ("optional", "RunObject", "truncation_strategy"),
    ("optional", "RunObject", "tool_choice"),
    ("optional", "RunObject", "response_format"),
    # The v1 run object gives the token limits no minimum (v2's 256 is a request-side rule).
    ("without", "RunObject", "max_prompt_tokens", "minimum"),
    ("without", "RunObject", "max_completion_tokens", "minimum"),
    # Tool choice: `none` or `auto` (no `required`), or a named code_interpreter, retrieval or
    # function tool; response format: `auto`, text or json_object (no json_schema); functions
    # have no `strict` (all three came with v2).
    ("enum", "AssistantsApiToolChoiceOption", "$", "required", None),
    ("enum", "AssistantsNamedToolChoice", "type", "file_search", "retrieval"),
    ("ref", "AssistantsApiResponseFormatOption", "$", "ResponseFormatJsonSchema", None),
    ("remove", "FunctionObject", "strict"),
    # Run steps: a retrieval tool call instead of file_search.
    (
        "ref",
        "RunStepDetailsToolCallsObject",
        "tool_calls",
        "RunStepDetailsToolCallsFileSearchObject",
        "RunStepDetailsToolCallsRetrievalObject",
    ),
    (
        "ref",
        "RunStepDeltaStepDetailsToolCallsObject",
        "tool_calls",
        "RunStepDeltaStepDetailsToolCallsFileSearchObject",
        "RunStepDeltaStepDetailsToolCallsRetrievalObject",
    ),
    # Messages: `file_ids` (at most 10) instead of `attachments`; image_file and text content
    # only (no image_url, refusal, or image `detail`); file citations quote the file.
    ("remove", "MessageObject", "attachments"),
    (
        "add",
        "MessageObject",
        "file_ids",
        dict(_FILE_IDS, maxItems=10, description="The file IDs attached to the message."),
    ),
    ("require", "MessageObject", "file_ids"),
    ("ref", "MessageObject", "content", "MessageContentImageUrlObject", None),
    ("ref", "MessageObject", "content", "MessageContentRefusalObject", None),
    ("remove", "MessageContentImageFileObject", "image_file.detail"),
    (
        "add",
        "MessageContentTextAnnotationsFileCitationObject",
        "file_citation.quote",
        {"type": "string", "description": "The specific quote in the file."},
    ),
    ("require", "MessageContentTextAnnotationsFileCitationObject", "file_citation.quote"),
    # Message deltas: the same content, and `file_ids` in the delta.
    (
        "add",
        "MessageDeltaObject",
        "delta.file_ids",
        dict(_FILE_IDS, maxItems=10, description="The file IDs attached to the message."),
    ),
    ("ref", "MessageDeltaObject", "delta", "MessageDeltaContentImageUrlObject", None),
    ("ref", "MessageDeltaObject", "delta", "MessageDeltaContentRefusalObject", None),
    ("remove", "MessageDeltaContentImageFileObject", "image_file.detail"),
    # Threads: no `tool_resources` (v1 attached files to assistants and messages).
    ("remove", "ThreadObject", "tool_resources"),
]

#: Events v2 has and v1 does not.
EVENTS_DROPPED = {
    "thread.run.incomplete": "v1 runs have no incomplete status",
}

#: v2 deviations (tools/schema_deviations.py) that v1 has no use for, and why.
V2_ONLY_DEVIATIONS = {
    "run-parallel-tool-calls-missing": "v1 runs have no parallel_tool_calls",
    "run-tool-resources": "v1 runs never carried tool_resources (an extra field)",
    "run-reasoning-effort": "v1 runs never carried reasoning_effort (an extra field)",
    "run-max-completion-tokens-below-256": "the v1 run object gives no minimum",
    "run-max-prompt-tokens-below-256": "the v1 run object gives no minimum",
    "message-attachments-missing": "v1 messages have file_ids, not attachments",
    "thread-tool-resources-missing": "v1 threads have no tool_resources",
}

#: Payload shapes only v1 has (``profile.json``'s ``version_shapes``, which
#: ``recorder.validate.schemas.infer_version`` reads when the request does not say the version).
VERSION_SHAPES: list[Schema] = [
    {
        "version": "v1",
        "description": "Only v1 objects have `file_ids` on runs, messages and message deltas,"
        " and a `retrieval` tool (v2 renamed it file_search).",
        "schema": {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {"object": {"enum": ["thread.run", "thread.message"]}},
                    "required": ["object", "file_ids"],
                },
                {
                    "type": "object",
                    "properties": {
                        "object": {"const": "thread.message.delta"},
                        "delta": {"type": "object", "required": ["file_ids"]},
                    },
                    "required": ["object", "delta"],
                },
                {
                    "type": "object",
                    "properties": {
                        "tools": {"type": "array", "contains": {"$ref": "#/$defs/retrieval"}}
                    },
                    "required": ["tools"],
                },
                {
                    "type": "object",
                    "properties": {
                        "step_details": {
                            "type": "object",
                            "properties": {
                                "tool_calls": {
                                    "type": "array",
                                    "contains": {"$ref": "#/$defs/retrieval"},
                                }
                            },
                            "required": ["tool_calls"],
                        }
                    },
                    "required": ["step_details"],
                },
                {
                    "type": "object",
                    "properties": {
                        "delta": {
                            "type": "object",
                            "properties": {
                                "step_details": {
                                    "type": "object",
                                    "properties": {
                                        "tool_calls": {
                                            "type": "array",
                                            "contains": {"$ref": "#/$defs/retrieval"},
                                        }
                                    },
                                    "required": ["tool_calls"],
                                }
                            },
                            "required": ["step_details"],
                        }
                    },
                    "required": ["delta"],
                },
            ],
            "$defs": {
                "retrieval": {
                    "type": "object",
                    "properties": {"type": {"const": "retrieval"}},
                    "required": ["type"],
                }
            },
        },
    }
]
