"""Lossless conversion of events to JSON-compatible data and back, driven by type hints.

Each class gets a plan, built once from its field annotations: for every field, the function
that checks its value and turns it into JSON-compatible data, and (where JSON does not carry
the type) the one that turns it back; `_converters` lists the supported types and the stored
shapes. A value that does not match its annotation is refused with `EventEncodingError`, so a
save either stores what loads back equal or stores nothing.

Decoding rebuilds the object without calling `__init__` or `__post_init__`: a stored event is a
fact, and a validation rule added later must not make history unreadable. The class comes from
the stored type name, schema version and class hint (`registry`), never from the event's own
`type` field, which is restored as it was. An unknown type name gives a plain `Event` whose
`data` holds the domain fields and which remembers where it came from, so saving it again
writes the same type name, schema version and payload. Bytes come from `jsonio`.

Personal fields (`personal`) are sealed when a store passes a `Sealer` and opened when it
passes an `Opener`; events of classes without personal fields never meet either.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from orchestrix.core.common.exceptions import (
    EventDecodingError,
    EventEncodingError,
    PersonalDataError,
)
from orchestrix.core.messaging import _fast
from orchestrix.core.messaging._converters import Refused
from orchestrix.core.messaging._plans import Plan, plan, rebuild, to_data_of
from orchestrix.core.messaging.jsonio import dump_json, load_json
from orchestrix.core.messaging.message import Event, Message
from orchestrix.core.messaging.personal import Opener, Sealer, seal_fields
from orchestrix.core.messaging.registry import class_hint, message_class, registry_generation

_ORIGIN = "__orchestrix_origin__"


def _checked_data(obj: Any, compact: bool, the_plan: Plan | None = None) -> dict[str, Any]:
    try:
        return to_data_of(obj, the_plan or plan(type(obj)), compact)
    except Refused as error:
        raise EventEncodingError(str(error)) from None
    except RecursionError:
        raise EventEncodingError("Cannot encode: the value is nested too deeply") from None


def to_data(obj: Any) -> dict[str, Any]:
    """Any supported dataclass instance (an event, an aggregate's state) as JSON-compatible data.

    The result shares no mutable object with `obj`. Raises `EventEncodingError` for a value
    that does not match its annotation.
    """
    return _checked_data(obj, compact=False)


def from_data[T](cls: type[T], data: Mapping[str, Any]) -> T:
    """An instance of dataclass `cls` rebuilt from `to_data` output, without `__init__`."""
    return typing.cast(T, rebuild(cls, data))


@dataclasses.dataclass(frozen=True, slots=True)
class StoredType:
    """What a store keeps beside an event's payload to find its class again."""

    type_name: str
    schema_version: int
    hint: str
    spread: bool = False  # an unknown event's domain fields sit in `data`, spread on save


def stored_type(event: Message) -> StoredType:
    """The type name, schema version and class hint to store with `event` (or any message).

    They come from the message's class (never from its `type` field), or for an event loaded
    without its class, from where it was loaded.
    """
    cls = type(event)
    if cls is Event:
        origin = event.__dict__.get(_ORIGIN)
        if origin is not None:
            return typing.cast(StoredType, origin)
    return _class_types.get(cls) or _class_type(cls)


_class_types: dict[type, StoredType] = {}


def _class_type(cls: type[Message]) -> StoredType:
    found = _class_types[cls] = StoredType(
        cls.__type_name__, cls.__schema_version__, class_hint(cls)
    )
    return found


def event_to_data(
    event: Message, *, compact: bool = False, sealer: Sealer | None = None
) -> dict[str, Any]:
    """All fields of an event (or any message), metadata included, as JSON-compatible data.

    An event loaded without its class gets back the payload it was loaded from. `compact=True`
    leaves the event's memory layout as it is, for events a store keeps (see `to_data_of`).
    With a `sealer`, personal fields are sealed (see `personal`); without, they stay plain.
    """
    the_plan = plan(type(event))
    data = _checked_data(event, compact, the_plan)
    if type(event) is Event and stored_type(event).spread:
        domain = data.pop("data")
        if type(domain) is not dict:
            raise EventEncodingError("An unknown event's `data` must stay a dict of its fields")
        data.update(domain)
    if sealer is not None and the_plan.personal:
        seal_fields(data, the_plan.personal, sealer, type(event).__qualname__)
    return data


def refuse_personal(subject: str, field: str, plain: bytes) -> str:
    """The `Sealer` of a durable store without personal-data protection: it refuses."""
    raise PersonalDataError(
        f"Field {field!r} holds personal data, and this store has no personal-data protection "
        "to encrypt it: open the store with personal_data=PersonalData(key_store, cipher)"
    )


def event_from_data(
    data: Mapping[str, Any],
    schema_version: int | None = None,
    *,
    type_name: str | None = None,
    hint: str | None = None,
    owned: bool = False,
    opener: Opener | None = None,
) -> Event:
    """Rebuild the event class registered for the stored type name (and schema version).

    `type_name` is the stored class identity; without it (data written before stores kept one)
    the payload's `type` field names the class. An unknown type name gives a plain `Event`
    whose `data` holds the domain fields, so nothing stored is ever dropped. Several classes
    claiming the name without `hint` naming one raise `MessageTypeError`. With `owned=True`
    the dict is reused for the event (no copy). Sealed personal fields are opened with
    `opener`, or are `REDACTED` without one.
    """
    if type_name is None:
        type_name = data.get("type")
        if not isinstance(type_name, str):
            raise EventDecodingError(f"Stored event has no type name: {dict(data)!r}"[:200])
    cls = resolve_class(type_name, schema_version, hint)
    if cls is None:
        version = 1 if schema_version is None else schema_version
        return _unknown_event(data, StoredType(type_name, version, hint or ""))
    return typing.cast(Event, rebuild(cls, data, owned, opener))


def resolve_class(
    type_name: str, schema_version: int | None, hint: str | None
) -> type[Event] | None:
    """The live class for a stored identity: that schema version, else the newest one."""
    cls = message_class(type_name, schema_version, hint)
    if cls is None and schema_version is not None:
        cls = message_class(type_name, None, hint)
    return typing.cast(type[Event] | None, cls)


_EVENT_FIELDS = frozenset(field.name for field in dataclasses.fields(Event))


def _unknown_event(data: Mapping[str, Any], origin: StoredType) -> Event:
    metadata = {name: data[name] for name in _EVENT_FIELDS if name in data}
    domain = {name: value for name, value in data.items() if name not in _EVENT_FIELDS}
    if domain:
        if "data" in data:
            domain["data"] = data["data"]
        metadata["data"] = domain
        origin = dataclasses.replace(origin, spread=True)
    event = typing.cast(Event, rebuild(Event, metadata))
    event.__dict__[_ORIGIN] = origin
    return event


def encode_event(event: Event, *, compact: bool = False, sealer: Sealer | None = None) -> bytes:
    """An event as UTF-8 JSON bytes; `EventEncodingError` if a value cannot be stored."""
    return dump_json(event_to_data(event, compact=compact, sealer=sealer))


_readers: dict[tuple[str, int | None, str | None], Callable[[bytes | str], Event]] = {}
_readers_generation = [-1]


def _reader(
    type_name: str, schema_version: int | None, hint: str | None
) -> Callable[[bytes | str], Event]:
    """The decoder of one stored identity: typed in C where it can, else the pure path."""
    key = (type_name, schema_version, hint)
    found = _readers.get(key)
    if found is not None:
        return found
    cls = resolve_class(type_name, schema_version, hint)  # may raise MessageTypeError

    def pure(raw: bytes | str) -> Event:
        return _decode_pure(raw, schema_version, type_name, hint)

    fast = _fast.fast_reader(cls) if cls is not None else None
    if fast is None:
        found = pure
    else:
        fast_read = fast

        def read(raw: bytes | str) -> Event:
            event = fast_read(raw)
            return pure(raw) if event is None else typing.cast(Event, event)

        found = read
    _readers[key] = found
    return found


type _Key = tuple[str, int | None, str | None]
_batch_readers: dict[_Key, Callable[[Sequence[Any]], list[Any] | None] | None] = {}


def decode_columns(
    payloads: Sequence[Any],
    schema_versions: Sequence[int],
    type_names: Sequence[str],
    hints: Sequence[str | None],
    opener: Opener | None = None,
) -> list[Event]:
    """The events of a batch of stored rows, given as columns: payloads of one stored identity
    are decoded together in C where they can be, the others one by one; sealed personal
    fields are opened with `opener` (`REDACTED` without one)."""
    read = event_reader()  # also drops cached decoders when the registry changed
    if not payloads:
        return []
    size = len(payloads)
    if _uniform(type_names, size) and _uniform(schema_versions, size) and _uniform(hints, size):
        return _decode_group((type_names[0], schema_versions[0], hints[0]), payloads, read, opener)
    keys: list[_Key] = list(zip(type_names, schema_versions, hints, strict=True))
    groups: dict[_Key, list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault(key, []).append(index)
    events: list[Any] = [None] * len(keys)
    for key, indices in groups.items():
        decoded = _decode_group(key, [payloads[index] for index in indices], read, opener)
        for index, event in zip(indices, decoded, strict=True):
            events[index] = event
    return events


def _uniform(column: Sequence[Any], size: int) -> bool:
    """Whether `column` holds `size` equal values: a batch usually has one stored identity,
    which this finds without building a key per row."""
    return len(column) == size and column.count(column[0]) == size


def _decode_group(
    key: _Key,
    raws: Sequence[Any],
    read: Callable[[bytes | str, int | None, str, str | None], Event],
    opener: Opener | None,
) -> list[Event]:
    if key in _batch_readers:
        batch = _batch_readers[key]
    else:
        cls = resolve_class(key[0], key[1], key[2])
        batch = _batch_readers[key] = _fast.batch_reader(cls) if cls is not None else None
    if batch is not None and len(raws) > 1:
        events = batch(raws)
        if events is not None:
            return events
    name, version, hint = key
    if opener is not None and _has_personal_fields(key):
        return [_decode_pure(raw, version, name, hint, opener) for raw in raws]
    return [read(raw, version, name, hint) for raw in raws]


def _has_personal_fields(key: _Key) -> bool:
    cls = resolve_class(key[0], key[1], key[2])
    return cls is not None and has_personal_fields(cls)


def has_personal_fields(cls: type) -> bool:
    """Whether the dataclass `cls` has fields marked `Personal`."""
    return bool(plan(cls).personal)


def event_reader() -> Callable[[bytes | str, int | None, str, str | None], Event]:
    """A function that decodes stored rows (payload, schema version, type name, class hint),
    for stores reading a batch: it looks each stored identity's decoder up once."""
    generation = registry_generation()
    if generation != _readers_generation[0]:
        _readers.clear()  # classes were defined or forgotten since: resolve names again
        _batch_readers.clear()
        _readers_generation[0] = generation
    cache, build = _readers, _reader

    def read(
        raw: bytes | str, schema_version: int | None, type_name: str, hint: str | None
    ) -> Event:
        decode = cache.get((type_name, schema_version, hint)) or build(
            type_name, schema_version, hint
        )
        return decode(raw)

    return read


def decode_event(
    raw: bytes | str,
    schema_version: int | None = None,
    *,
    type_name: str | None = None,
    hint: str | None = None,
) -> Event:
    """The event encoded in `raw` (see `event_from_data`); typed decoding in C when msgspec is
    installed and the stored type name is given, with the same result as the pure path."""
    if type_name is not None:
        return event_reader()(raw, schema_version, type_name, hint)
    return _decode_pure(raw, schema_version, None, hint)


def _decode_pure(
    raw: bytes | str,
    schema_version: int | None,
    type_name: str | None,
    hint: str | None,
    opener: Opener | None = None,
) -> Event:
    data = load_json(raw)
    if not isinstance(data, dict):
        raise EventDecodingError(f"Stored payload is not a JSON object: {raw[:80]!r}")
    return event_from_data(
        data, schema_version, type_name=type_name, hint=hint, owned=True, opener=opener
    )


def needs_copy(event: Event) -> bool:
    """Whether part of the event can be changed in place (a list, dict or set inside it), so a
    store that keeps objects must keep a copy and hand out copies."""
    the_plan = plan(type(event))
    if the_plan.immutable:
        return False
    for name in the_plan.mutable:
        value = getattr(event, name)
        if value is not None and type(value) not in (str, int, float, bool):
            return True
    return False


@dataclasses.dataclass(frozen=True, slots=True)
class EncodedEvent:
    """An event kept as its encoding; `event()` decodes a fresh copy of it every time."""

    cls: type[Event]
    origin: StoredType | None
    raw: bytes

    def event(self) -> Event:
        if self.origin is None:
            fast = _copy_readers[self.cls] if self.cls in _copy_readers else _copy_reader(self.cls)
            copy = fast(self.raw) if fast is not None else None
            if copy is not None:
                return typing.cast(Event, copy)
        data = load_json(self.raw)
        if self.origin is not None:
            return _unknown_event(data, self.origin)
        return typing.cast(Event, rebuild(self.cls, data, owned=True))


_copy_readers: dict[type, Callable[[bytes | str], Any] | None] = {}


def _copy_reader(cls: type) -> Callable[[bytes | str], Any] | None:
    found = _copy_readers[cls] = _fast.fast_reader(cls)
    return found


def encoded(event: Event, raw: bytes) -> EncodedEvent:
    """Keep `event` as `raw`, its `encode_event` output."""
    origin = event.__dict__.get(_ORIGIN) if type(event) is Event else None
    return EncodedEvent(type(event), origin, raw)


__all__ = [
    "EncodedEvent",
    "StoredType",
    "decode_columns",
    "decode_event",
    "encode_event",
    "encoded",
    "event_from_data",
    "event_to_data",
    "from_data",
    "has_personal_fields",
    "needs_copy",
    "refuse_personal",
    "resolve_class",
    "stored_type",
    "to_data",
]
