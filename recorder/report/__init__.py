"""Findings and streams for people: text, JSON, JUnit, timeline, HTML, diff, normalisation."""
