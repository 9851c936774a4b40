"""Subcommands of ``sse-recorder``, one module each (see ``recorder.cli``).

A module here must stay cheap to import: heavy dependencies (uvicorn, jsonschema) are
imported inside ``run``.
"""
