"""The ``generic`` profile: any SSE stream, checked for framing, UTF-8 and JSON only."""
