"""Bytes to events and back: the sans-I/O SSE parser and payload decoding (no I/O, no httpx)."""
