"""Versioned SQL files that build the PostgreSQL schema, applied in order by `schema.migrate`.

Files are named `NNNN_description.sql` and never change once released: a new version adds a
file. They use unqualified names; the runner sets the target schema as the search path.
"""
