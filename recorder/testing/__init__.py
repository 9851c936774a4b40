"""pytest and syrupy integration: record modes, cassette test items, snapshot extensions."""
