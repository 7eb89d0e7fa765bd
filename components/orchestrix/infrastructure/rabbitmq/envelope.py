"""Messages as CloudEvents JSON in structured mode, and back.

The body is one JSON object: the CloudEvents attributes (`specversion`, `id`, `source`,
`type`, `time`, `subject`, `datacontenttype`, `dataschema`), Orchestrix's extension attributes
(`typename`, `schemaversion`, `classhint`, `correlationid`, `causationid`, `actorid`,
`traceid`) and `data`: the kernel codec's encoding of the whole message. The extensions carry
the class identity a store keeps beside a payload (never the message's own `type` field), so
the receiving process rebuilds the exact class with the codec, and the message it handles
equals the one published.
Correlation, causation and actor also travel as AMQP headers, where brokers, tools and other
languages look for them without parsing the body; the bus adds the W3C trace context there
when it sends.

The codec is reached only through `_to_data` and `_from_data` here, so a change of its
public functions is one edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchestrix.core.common.exceptions import EventDecodingError, EventEncodingError
from orchestrix.core.messaging.codec import event_from_data, stored_type, to_data
from orchestrix.core.messaging.jsonio import dump_json, load_json
from orchestrix.core.messaging.message import Command, Event, Message

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
_BASES = frozenset({Message, Command, Event})


class UnknownMessageTypeError(EventDecodingError):
    """The body names a message type no class in this process is registered for."""


def _to_data(message: Message) -> dict[str, Any]:
    return to_data(message)


def _from_data(
    data: dict[str, Any], schema_version: int | None, type_name: str | None, hint: str | None
) -> Message:
    message: Message = event_from_data(
        data, schema_version, type_name=type_name, hint=hint, owned=True
    )
    if type(message) is Event and (type_name or data.get("type")) != "Event":
        raise UnknownMessageTypeError(
            f"No class is registered for message type {type_name or data.get('type')!r} "
            "in this process"
        )
    return message


@dataclass(frozen=True, slots=True)
class Encoded:
    """A message ready to publish: the body and the AMQP headers."""

    body: bytes
    headers: dict[str, Any]


def encode(message: Message) -> Encoded:
    """The CloudEvents body and headers of `message`.

    A bare `Message`/`Event`/`Command` whose type names another class (what a store decodes
    when the class is missing) is refused: its receiver could not rebuild the real class.
    """
    cls = type(message)
    if cls in _BASES and message.type != cls.__type_name__:
        raise EventEncodingError(
            f"Cannot publish a bare {cls.__name__} of type {message.type!r}: import the class "
            "that defines the type in the publishing process"
        )
    data = _to_data(message)
    identity = stored_type(message)
    envelope = {
        "specversion": "1.0",
        "id": message.id,
        "source": message.source,
        "type": message.type,
        "time": data["timestamp"],
        "subject": message.subject,
        "datacontenttype": "application/json",
        "dataschema": message.dataschema,
        "typename": identity.type_name,
        "schemaversion": identity.schema_version,
        "classhint": identity.hint,
        "correlationid": message.correlation_id,
        "causationid": message.causation_id,
        "actorid": message.actor_id,
        "traceid": message.trace_id,
        "data": data,
    }
    headers: dict[str, Any] = {
        name: value
        for name, value in (
            ("correlation_id", message.correlation_id),
            ("causation_id", message.causation_id),
            ("actor_id", message.actor_id),
        )
        if value is not None
    }
    return Encoded(dump_json({k: v for k, v in envelope.items() if v is not None}), headers)


def decode(body: bytes) -> Message:
    """The message in a CloudEvents body; `EventDecodingError` (or its subclass
    `UnknownMessageTypeError`) says why it cannot be rebuilt."""
    envelope = load_json(body)
    if not isinstance(envelope, dict):
        raise EventDecodingError("The body is not a JSON object")
    data, schema_version = envelope.get("data"), envelope.get("schemaversion")
    if not isinstance(data, dict) or not isinstance(envelope.get("type"), str):
        raise EventDecodingError("The body has no CloudEvents `type` and object `data`")
    if data.get("type") != envelope["type"] or data.get("id") != envelope.get("id"):
        raise EventDecodingError("The body's `data` does not match its `type` and `id`")
    if not (schema_version is None or type(schema_version) is int):
        raise EventDecodingError(f"Bad schemaversion {schema_version!r}")
    type_name, hint = envelope.get("typename"), envelope.get("classhint")
    if not (type_name is None or isinstance(type_name, str)) or not (
        hint is None or isinstance(hint, str)
    ):
        raise EventDecodingError("The body's `typename` and `classhint` must be text")
    try:
        return _from_data(data, schema_version, type_name, hint)
    except EventDecodingError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        raise EventDecodingError(f"Cannot rebuild {envelope['type']}: {error!r}") from error


def header_text(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """A text header as `str` (AMQP may hand it over as bytes)."""
    value = (headers or {}).get(name)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else None


__all__ = [
    "CONTENT_TYPE",
    "Encoded",
    "UnknownMessageTypeError",
    "decode",
    "encode",
    "header_text",
]
