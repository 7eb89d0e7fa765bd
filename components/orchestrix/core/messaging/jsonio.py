"""JSON text in and out, with orjson when it is installed and the standard library otherwise.

orjson is the faster of the two well-kept options (orjson, msgspec) for what stores need here:
turning already JSON-compatible dicts into UTF-8 bytes and back, several times faster than
`json`. msgspec's speed comes from typed decoding into its own Struct classes, which our
dataclass events cannot use, so its advantage does not apply. The core stays free of
third-party dependencies: orjson is the optional `orchestrix[fast]` extra, and both paths
reject what PostgreSQL and SQLite would reject (lone surrogates, NaN) in the same way.
"""

from __future__ import annotations

import json
from typing import Any

from orchestrix.core.common.exceptions import EventDecodingError, EventEncodingError

try:
    import orjson
except ImportError:  # pragma: no cover - exercised when the extra is not installed
    orjson = None  # type: ignore[assignment]


def _dump_stdlib(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def _load_stdlib(raw: bytes | str) -> Any:
    return json.loads(raw)


_dump = orjson.dumps if orjson is not None else _dump_stdlib
_load = orjson.loads if orjson is not None else _load_stdlib
JSON_LIBRARY = "orjson" if orjson is not None else "json"


def dump_json(data: Any) -> bytes:
    """Serialize JSON-compatible data to UTF-8 bytes; anything else is an EventEncodingError."""
    try:
        return _dump(data)
    except (TypeError, ValueError) as error:
        raise EventEncodingError(f"Cannot encode as JSON: {error}") from error


def load_json(raw: bytes | str) -> Any:
    """Parse JSON text (bytes or str); malformed input is an EventDecodingError."""
    try:
        return _load(raw)
    except ValueError as error:
        raise EventDecodingError(f"Stored payload is not valid JSON: {error}") from error


__all__ = ["JSON_LIBRARY", "dump_json", "load_json"]
