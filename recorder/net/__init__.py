"""HTTP plumbing shared by recording, replay and the tests: ASGI helpers and a background server."""
