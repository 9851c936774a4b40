"""Live bytes to a cassette: the recording core, httpx transports, recording proxy, redaction."""
