"""JSON text in and out, with msgspec when it is installed and the standard library otherwise.

msgspec is the optional `orchestrix[fast]` extra (the core installs with no dependency); it also
powers the typed decoding fast path (`_fast`), which is why it replaced orjson here: one C
library instead of two, and it reads and writes integers of any size as the standard library
does. The two paths store the same thing: the codec hands them JSON data only (it refuses NaN,
non-string keys, tuples, Decimals and the like in untyped values before they get here, where
the libraries would disagree), both refuse lone surrogates, and reading refuses the `NaN` and
`Infinity` tokens the standard library would otherwise accept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from orchestrix.core.common.exceptions import EventDecodingError, EventEncodingError

try:
    import msgspec
except ImportError:  # pragma: no cover - exercised when the extra is not installed
    msgspec = None  # type: ignore[assignment]


def _dump_stdlib(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def _no_constants(token: str) -> Any:
    raise ValueError(f"{token} is not JSON")


def _load_stdlib(raw: bytes | str) -> Any:
    return json.loads(raw, parse_constant=_no_constants)


_dump: Callable[[Any], bytes] = _dump_stdlib
_load: Callable[[bytes | str], Any] = _load_stdlib
JSON_LIBRARY = "json"
if msgspec is not None:
    _dump, _load, JSON_LIBRARY = msgspec.json.Encoder().encode, msgspec.json.decode, "msgspec"


def dump_json(data: Any) -> bytes:
    """Serialize JSON data to UTF-8 bytes; anything else is an EventEncodingError."""
    try:
        return _dump(data)
    except (TypeError, ValueError, OverflowError) as error:
        raise EventEncodingError(f"Cannot encode as JSON: {error}") from error
    except RecursionError:
        raise EventEncodingError("Cannot encode as JSON: nested too deeply") from None


def load_json(raw: bytes | str) -> Any:
    """Parse JSON text (bytes or str); malformed input is an EventDecodingError."""
    try:
        return _load(raw)
    except ValueError as error:
        raise EventDecodingError(f"Stored payload is not valid JSON: {error}") from error
    except RecursionError:
        raise EventDecodingError("Stored payload is nested too deeply") from None


__all__ = ["JSON_LIBRARY", "dump_json", "load_json"]
