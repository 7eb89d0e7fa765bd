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
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Callable, Mapping
from typing import Any

from orchestrix.core.common.exceptions import EventDecodingError, EventEncodingError
from orchestrix.core.messaging._converters import (
    Convert,
    Pair,
    Refused,
    Unsupported,
    converters,
    is_immutable_hint,
)
from orchestrix.core.messaging.jsonio import dump_json, load_json
from orchestrix.core.messaging.message import Event
from orchestrix.core.messaging.registry import class_hint, message_class

_ORIGIN = "__orchestrix_origin__"


@dataclasses.dataclass(frozen=True, slots=True)
class _Plan:
    """How to check, encode and rebuild one dataclass."""

    cls: type
    uses_dict: bool
    names: frozenset[str]
    strings: tuple[str, ...]  # fields that must hold exactly a str
    optional_strings: tuple[str, ...]  # fields that hold a str or None
    encoders: tuple[tuple[str, Convert], ...]  # every other field
    decoders: tuple[tuple[str, Convert], ...]
    defaults: tuple[tuple[str, Callable[[], Any]], ...]
    mutable: tuple[str, ...]  # fields whose values may be changed in place
    immutable: bool  # frozen, and no field can hold a mutable value


_plans: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    plan = _plans.get(cls)
    if plan is None:
        plan = _plans[cls] = _build_plan(cls)
    return plan


def _build_plan(cls: type) -> _Plan:
    where = cls.__qualname__
    if not dataclasses.is_dataclass(cls):
        raise EventEncodingError(f"{where} is not a dataclass the codec can encode")
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception as error:
        raise EventEncodingError(f"Cannot read the field types of {where}: {error}") from error
    strings, optional_strings, mutable = [], [], []
    encoders: list[tuple[str, Convert]] = []
    decoders: list[tuple[str, Convert]] = []
    defaults: list[tuple[str, Callable[[], Any]]] = []
    fields = dataclasses.fields(cls)
    for field in fields:
        hint = hints.get(field.name, Any)
        try:
            encode, decode = converters(hint, _nested_pair)
        except Unsupported as error:
            raise EventEncodingError(f"{where}.{field.name}: {error}") from None
        if hint is str:
            strings.append(field.name)
        elif hint == str | None:
            optional_strings.append(field.name)
        else:
            encoders.append((field.name, encode))
        if decode is not None:
            decoders.append((field.name, decode))
        if not is_immutable_hint(hint, _is_immutable_class):
            mutable.append(field.name)
        if field.default is not dataclasses.MISSING:
            defaults.append((field.name, functools.partial(_identity, field.default)))
        elif field.default_factory is not dataclasses.MISSING:
            defaults.append((field.name, field.default_factory))
    frozen = cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    return _Plan(
        cls=cls,
        uses_dict=any("__slots__" not in klass.__dict__ for klass in cls.__mro__[:-1]),
        names=frozenset(field.name for field in fields),
        strings=tuple(strings),
        optional_strings=tuple(optional_strings),
        encoders=tuple(encoders),
        decoders=tuple(decoders),
        defaults=tuple(defaults),
        mutable=tuple(mutable),
        immutable=frozen and not mutable,
    )


def _identity(value: Any) -> Any:
    return value


def _nested_pair(cls: type) -> Pair:
    def encode(value: Any) -> dict[str, Any]:
        if type(value) is not cls:
            raise Refused(f"expected {cls.__qualname__}, got {type(value).__qualname__}")
        return _to_data(value, _plan(cls))

    return encode, functools.partial(_rebuild, cls)


def _is_immutable_class(cls: type) -> bool:
    return _plan(cls).immutable


def _to_data(obj: Any, plan: _Plan) -> dict[str, Any]:
    """The object's fields as JSON data; raises `Refused` naming the field that does not fit.

    Every field is copied at C speed, the text fields checked inline, the others converted.
    """
    if plan.uses_dict:
        data = dict(obj.__dict__)
        if len(data) != len(plan.names):  # attributes beyond the fields: keep the fields
            data = {name: data[name] for name in plan.names}
    else:
        data = {name: getattr(obj, name) for name in plan.names}
    name = ""
    try:
        for name in plan.strings:
            if type(data[name]) is not str:
                raise Refused(f"expected str, got {type(data[name]).__name__}")
        for name in plan.optional_strings:
            value = data[name]
            if value is not None and type(value) is not str:
                raise Refused(f"expected str or None, got {type(value).__name__}")
        for name, encode in plan.encoders:
            data[name] = encode(data[name])
    except Refused as error:
        raise Refused(f"{plan.cls.__qualname__}.{name}: {error}") from None
    return data


def _rebuild(cls: type, data: Mapping[str, Any], owned: bool = False) -> Any:
    """Recreate an instance of `cls` from decoded data without running `__init__`.

    `owned` means the caller hands `data` over (fresh from the JSON parser), so it is used as
    the instance's attributes instead of being copied.
    """
    plan = _plan(cls)
    try:
        values = data if owned and type(data) is dict else dict(data)
        for name, convert in plan.decoders:
            value = values.get(name)
            if value is not None:
                values[name] = convert(value)
    except EventDecodingError:
        raise
    except (TypeError, ValueError, ArithmeticError, KeyError, IndexError, RecursionError) as error:
        raise EventDecodingError(f"Cannot decode {cls.__qualname__}: {error!r}") from error
    if values.keys() != plan.names:
        _complete(values, plan)
    return _instance(cls, plan, values)


def _instance(cls: type, plan: _Plan, values: dict[str, Any]) -> Any:
    obj: Any = object.__new__(cls)
    if plan.uses_dict:
        object.__setattr__(obj, "__dict__", values)
    else:
        for name, value in values.items():
            object.__setattr__(obj, name, value)
    return obj


def _complete(values: dict[str, Any], plan: _Plan) -> None:
    """Fill fields added to the class since the data was written; drop removed ones."""
    for name in values.keys() - plan.names:
        del values[name]
    for name, default in plan.defaults:
        if name not in values:
            values[name] = default()
    missing = plan.names - values.keys()
    if missing:
        raise EventDecodingError(
            f"Cannot decode {plan.cls.__qualname__}: missing field(s) {sorted(missing)}"
        )


def _encoding(convert: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return convert()
    except Refused as error:
        raise EventEncodingError(str(error)) from None
    except RecursionError:
        raise EventEncodingError("Cannot encode: the value is nested too deeply") from None


def to_data(obj: Any) -> dict[str, Any]:
    """Any supported dataclass instance (an event, an aggregate's state) as JSON-compatible data.

    The result shares no mutable object with `obj`. Raises `EventEncodingError` for a value
    that does not match its annotation.
    """
    return _encoding(lambda: _to_data(obj, _plan(type(obj))))


def from_data[T](cls: type[T], data: Mapping[str, Any]) -> T:
    """An instance of dataclass `cls` rebuilt from `to_data` output, without `__init__`."""
    return typing.cast(T, _rebuild(cls, data))


@dataclasses.dataclass(frozen=True, slots=True)
class StoredType:
    """What a store keeps beside an event's payload to find its class again."""

    type_name: str
    schema_version: int
    hint: str
    spread: bool = False  # an unknown event's domain fields sit in `data`, spread on save


def stored_type(event: Event) -> StoredType:
    """The type name, schema version and class hint to store with `event`.

    They come from the event's class (never from its `type` field), or for an event loaded
    without its class, from where it was loaded.
    """
    cls = type(event)
    if cls is Event:
        origin = event.__dict__.get(_ORIGIN)
        if origin is not None:
            return typing.cast(StoredType, origin)
    return _class_types.get(cls) or _class_type(cls)


_class_types: dict[type, StoredType] = {}


def _class_type(cls: type[Event]) -> StoredType:
    found = _class_types[cls] = StoredType(
        cls.__type_name__, cls.__schema_version__, class_hint(cls)
    )
    return found


def event_to_data(event: Event) -> dict[str, Any]:
    """All fields of an event, metadata included, as JSON-compatible data.

    An event loaded without its class gets back the payload it was loaded from.
    """
    data = _encoding(lambda: _to_data(event, _plan(type(event))))
    if type(event) is Event and stored_type(event).spread:
        domain = data.pop("data")
        if type(domain) is not dict:
            raise EventEncodingError("An unknown event's `data` must stay a dict of its fields")
        data.update(domain)
    return data


def event_from_data(
    data: Mapping[str, Any],
    schema_version: int | None = None,
    *,
    type_name: str | None = None,
    hint: str | None = None,
    owned: bool = False,
) -> Event:
    """Rebuild the event class registered for the stored type name (and schema version).

    `type_name` is the stored class identity; without it (data written before stores kept one)
    the payload's `type` field names the class. An unknown type name gives a plain `Event`
    whose `data` holds the domain fields, so nothing stored is ever dropped. Several classes
    claiming the name without `hint` naming one raise `MessageTypeError`. With `owned=True`
    the dict is reused for the event (no copy).
    """
    if type_name is None:
        type_name = data.get("type")
        if not isinstance(type_name, str):
            raise EventDecodingError(f"Stored event has no type name: {dict(data)!r}"[:200])
    cls = resolve_class(type_name, schema_version, hint)
    if cls is None:
        version = 1 if schema_version is None else schema_version
        return _unknown_event(data, StoredType(type_name, version, hint or ""))
    return typing.cast(Event, _rebuild(cls, data, owned))


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
    event = typing.cast(Event, _rebuild(Event, metadata))
    event.__dict__[_ORIGIN] = origin
    return event


def encode_event(event: Event) -> bytes:
    """An event as UTF-8 JSON bytes; `EventEncodingError` if a value cannot be stored."""
    return dump_json(event_to_data(event))


def decode_event(
    raw: bytes | str,
    schema_version: int | None = None,
    *,
    type_name: str | None = None,
    hint: str | None = None,
) -> Event:
    """The event encoded in `raw` (see `event_from_data`)."""
    data = load_json(raw)
    if not isinstance(data, dict):
        raise EventDecodingError(f"Stored payload is not a JSON object: {raw[:80]!r}")
    return event_from_data(data, schema_version, type_name=type_name, hint=hint, owned=True)


def needs_copy(event: Event) -> bool:
    """Whether part of the event can be changed in place (a list, dict or set inside it), so a
    store that keeps objects must keep a copy and hand out copies."""
    plan = _plan(type(event))
    if plan.immutable:
        return False
    values = event.__dict__ if plan.uses_dict else None
    for name in plan.mutable:
        value = values[name] if values is not None else getattr(event, name)
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
        data = load_json(self.raw)
        if self.origin is not None:
            return _unknown_event(data, self.origin)
        return typing.cast(Event, _rebuild(self.cls, data, owned=True))


def encoded(event: Event, raw: bytes) -> EncodedEvent:
    """Keep `event` as `raw`, its `encode_event` output."""
    origin = event.__dict__.get(_ORIGIN) if type(event) is Event else None
    return EncodedEvent(type(event), origin, raw)


__all__ = [
    "EncodedEvent",
    "StoredType",
    "decode_event",
    "encode_event",
    "encoded",
    "event_from_data",
    "event_to_data",
    "from_data",
    "needs_copy",
    "resolve_class",
    "stored_type",
    "to_data",
]
