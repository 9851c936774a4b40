"""A cassette back on the wire: the pure replay plan, faults, matching, server, transport."""
