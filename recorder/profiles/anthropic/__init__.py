"""The ``anthropic`` profile: Anthropic Messages streams (``POST /v1/messages``)."""
