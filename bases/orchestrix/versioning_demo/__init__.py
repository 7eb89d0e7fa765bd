"""Versioning demo: an event whose shape changed twice, read in today's shape through an
upcaster chain v1 → v2 → v3, on the SQLite store."""
