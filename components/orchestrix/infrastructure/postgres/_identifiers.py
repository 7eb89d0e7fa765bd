"""Schema names go into SQL text (identifiers cannot be query parameters), so they are checked.

Only plain lower-case identifiers pass: no quoting tricks, no case folding surprises, and the
name fits PostgreSQL's 63-byte limit. The result is returned double-quoted, ready to splice.
"""

from __future__ import annotations

import re

from orchestrix.core.common.validation import ValidationError

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def quote_schema(name: object) -> str:
    """`name` as a quoted SQL identifier; anything but `[a-z_][a-z0-9_]*` is a ValidationError."""
    if not isinstance(name, str) or _IDENTIFIER.fullmatch(name) is None or name.startswith("pg_"):
        raise ValidationError(
            "must be a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters, "
            "not starting with pg_)",
            "schema",
            name,
        )
    return f'"{name}"'


__all__ = ["quote_schema"]
