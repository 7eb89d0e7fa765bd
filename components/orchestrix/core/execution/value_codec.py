"""Untyped values (saga arguments and step results) as JSON-compatible data, losslessly.

A saga's arguments and results carry no type hints, so the event codec cannot be used: each
value that JSON would change is tagged instead, as a one-key object such as
`{"$decimal": "9.99"}`. Plain JSON values stay plain, so stored states remain readable. A dict
whose keys are not all strings, or that could be mistaken for a tag, is stored as
`{"$dict": [[key, value], ...]}`. Messages travel as their codec data with the identity event
stores keep beside a payload (type name, schema version, class hint: `codec.stored_type`), and
come back as the registered class that identity names, as a stored event does. Anything else
(arbitrary objects) is refused: rebuilding a class named by stored data would be a code-loading
hole, which is why there is no pickle either.

Why this is not the event codec's rule for untyped values: an event's `Any` field must hold
plain JSON, refused otherwise, because an event's payload is a published fact that other
programs and SQL read as ordinary JSON, and its annotated fields already say how every typed
value is stored. A saga's arguments and results have no annotations and are private to the
program that resumes the saga, which needs them back with their types (a `Decimal` amount to
refund, a tuple of ids): only tags can say what they were. The two rules share the event codec
for messages and the JSON text functions (`jsonio`); nothing else of theirs is the same.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from orchestrix.core.common.exceptions import EventDecodingError, EventEncodingError
from orchestrix.core.execution.errors import StateEncodingError
from orchestrix.core.messaging.codec import event_from_data, event_to_data, stored_type
from orchestrix.core.messaging.jsonio import dump_json, load_json
from orchestrix.core.messaging.message import Message

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_PLAIN = (str, bool, type(None))

SUPPORTED = (
    "None, bool, str, int, float, Decimal, datetime, date, time, UUID, bytes, list, tuple, "
    "set, frozenset, dict and messages (commands and events)"
)


def encode_value(value: Any) -> Any:
    """`value` as JSON-compatible data; a `StateEncodingError` names what cannot be kept."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is int:
        return value if _INT64_MIN <= value <= _INT64_MAX else {"$int": str(value)}
    if kind is float:
        return value if value - value == 0 else {"$float": repr(value)}
    if kind is list:
        return [encode_value(item) for item in value]
    if kind is dict:
        return _encode_dict(value)
    encode = _ENCODERS.get(kind)
    if encode is not None:
        return encode(value)
    if isinstance(value, Message):
        stored = stored_type(value)
        try:
            data = event_to_data(value)
        except EventEncodingError as error:
            raise StateEncodingError(f"Cannot keep {value!r}: {error}") from error
        return {"$message": [stored.schema_version, data, stored.type_name, stored.hint]}
    raise StateEncodingError(
        f"Cannot keep a value of type {kind.__qualname__} in a durable state ({value!r:.80}); "
        f"supported: {SUPPORTED}"
    )


def _encode_dict(value: dict[Any, Any]) -> dict[str, Any]:
    if all(type(key) is str and not key.startswith("$") for key in value):
        return {key: encode_value(item) for key, item in value.items()}
    return {"$dict": [[encode_value(key), encode_value(item)] for key, item in value.items()]}


_ENCODERS: dict[type, Callable[[Any], dict[str, Any]]] = {
    Decimal: lambda value: {"$decimal": str(value)},
    datetime: lambda value: {"$datetime": value.isoformat()},
    date: lambda value: {"$date": value.isoformat()},
    time: lambda value: {"$time": value.isoformat()},
    uuid.UUID: lambda value: {"$uuid": str(value)},
    bytes: lambda value: {"$bytes": base64.b64encode(value).decode("ascii")},
    tuple: lambda value: {"$tuple": [encode_value(item) for item in value]},
    set: lambda value: {"$set": [encode_value(item) for item in value]},
    frozenset: lambda value: {"$frozenset": [encode_value(item) for item in value]},
}


def decode_value(data: Any) -> Any:
    """The value `encode_value` turned into `data`."""
    kind = type(data)
    if kind is list:
        return [decode_value(item) for item in data]
    if kind is not dict:
        return data
    if len(data) == 1:
        ((key, payload),) = data.items()
        decode = _DECODERS.get(key)
        if decode is not None:
            try:
                return decode(payload)
            except (TypeError, ValueError, ArithmeticError) as error:
                raise EventDecodingError(f"Cannot decode stored {key} value {payload!r}") from error
    return {key: decode_value(item) for key, item in data.items()}


def _decode_message(payload: list[Any]) -> Message:
    if len(payload) == 2:  # written before the stored identity was kept: the `type` field
        schema_version, fields = payload
        return event_from_data(fields, schema_version)
    schema_version, fields, type_name, hint = payload
    return event_from_data(fields, schema_version, type_name=type_name, hint=hint)


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "$int": int,
    "$float": float,
    "$decimal": Decimal,
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$time": time.fromisoformat,
    "$uuid": uuid.UUID,
    "$bytes": lambda payload: base64.b64decode(payload, validate=True),
    "$tuple": lambda payload: tuple(decode_value(item) for item in payload),
    "$set": lambda payload: {decode_value(item) for item in payload},
    "$frozenset": lambda payload: frozenset(decode_value(item) for item in payload),
    "$dict": lambda payload: {decode_value(key): decode_value(item) for key, item in payload},
    "$message": _decode_message,
}


def dump_value(value: Any) -> bytes:
    """`value` encoded and serialized as UTF-8 JSON (what durable stores write)."""
    return dump_data(encode_value(value))


def dump_data(data: Any) -> bytes:
    """Already JSON-compatible `data` as UTF-8 JSON.

    Text that not every store can keep is a `StateEncodingError`: a lone surrogate (not
    UTF-8) or a NUL character (PostgreSQL refuses it in text and JSONB), so every store
    accepts and refuses the same values.
    """
    try:
        raw = dump_json(data)
    except EventEncodingError as error:
        raise StateEncodingError(f"Cannot keep {data!r:.80}: {error}") from error
    if _NUL_ESCAPE in raw and _has_nul(raw):
        raise StateEncodingError(f"Cannot keep a NUL character (in {data!r:.80})")
    return raw


_NUL_ESCAPE = b"\\u0000"


def _has_nul(raw: bytes) -> bool:
    """Whether an escape `\\u0000` in `raw` stands for NUL (and not for the text `\\u0000`)."""
    start = raw.find(_NUL_ESCAPE)
    while start != -1:
        backslashes = len(raw[:start]) - len(raw[:start].rstrip(b"\\"))
        if backslashes % 2 == 0:
            return True
        start = raw.find(_NUL_ESCAPE, start + 1)
    return False


def check_text(value: object, field: str) -> None:
    """Refuse an id or name that a store could not keep as text (see `dump_data`)."""
    if not isinstance(value, str):
        raise StateEncodingError(f"{field} must be a string, got {type(value).__qualname__}")
    if "\x00" in value:
        raise StateEncodingError(f"{field} cannot contain a NUL character: {value!r:.80}")


def load_value(raw: bytes | str) -> Any:
    """The value `dump_value` wrote."""
    return decode_value(load_json(raw))


__all__ = [
    "SUPPORTED",
    "check_text",
    "decode_value",
    "dump_data",
    "dump_value",
    "encode_value",
    "load_value",
]
