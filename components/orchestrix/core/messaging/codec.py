"""Lossless conversion of events to JSON-compatible data and back, driven by type hints.

Each class gets a plan, built once from its field annotations: for every field, the function
that turns its value into JSON-compatible data and the one that turns it back (none for values
JSON already carries: str, bool, plain ints and floats). Supported: str, int, float, bool,
None, Decimal, datetime, date, time, UUID, Enum, tuple, list, set, frozenset, dict, nested
dataclasses, Literal, and unions of these. `None` is always carried as JSON null.

Unions other than `X | None` are stored as a `[type name, value]` pair so that, say,
`Decimal | str` still decodes to the right type. Untyped (`Any`) fields carry plain JSON values.
Decoding rebuilds the object without calling `__init__`: a stored event is a fact, and a
validation rule added later must not make history unreadable. Bytes come from `jsonio`, which
explains the JSON library choice.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from orchestrix.core.common.exceptions import EventDecodingError, EventEncodingError
from orchestrix.core.messaging.jsonio import dump_json, load_json
from orchestrix.core.messaging.message import Event
from orchestrix.core.messaging.registry import message_class

type Convert = Callable[[Any], Any]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _encode_int(value: int) -> int | str:
    # JSON readers (orjson, JavaScript) lose integers beyond 64 bits: carry those as text.
    return value if _INT64_MIN <= value <= _INT64_MAX else str(value)


def _decode_int(data: int | str) -> int:
    return data if type(data) is int else int(data)


def _encode_float(value: float) -> float | str:
    # NaN and the infinities are not JSON: carry them as their repr ("nan", "inf", "-inf").
    return value if value - value == 0 else repr(value)


def _decode_float(data: float | str) -> float:
    return data if type(data) is float else float(data)


_SCALARS: dict[Any, tuple[Convert | None, Convert | None]] = {
    str: (None, None),
    bool: (None, None),
    int: (_encode_int, _decode_int),
    float: (_encode_float, _decode_float),
    Decimal: (str, Decimal),
    datetime: (datetime.isoformat, datetime.fromisoformat),
    date: (date.isoformat, date.fromisoformat),
    time: (time.isoformat, time.fromisoformat),
    uuid.UUID: (str, uuid.UUID),
    Any: (None, None),
    object: (None, None),
    type(None): (None, None),
}


@dataclasses.dataclass(frozen=True, slots=True)
class _Plan:
    """How to encode and rebuild one dataclass."""

    cls: type
    uses_dict: bool
    names: frozenset[str]
    encoders: tuple[tuple[str, Convert], ...]
    decoders: tuple[tuple[str, Convert], ...]
    defaults: tuple[tuple[str, Callable[[], Any]], ...]


_plans: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    plan = _plans.get(cls)
    if plan is None:
        plan = _plans[cls] = _build_plan(cls)
    return plan


def _build_plan(cls: type) -> _Plan:
    if not dataclasses.is_dataclass(cls):
        raise EventEncodingError(f"{cls.__qualname__} is not a dataclass the codec can encode")
    try:
        hints = typing.get_type_hints(cls)
    except Exception as error:
        message = f"Cannot read the field types of {cls.__qualname__}: {error}"
        raise EventEncodingError(message) from error
    encoders: list[tuple[str, Convert]] = []
    decoders: list[tuple[str, Convert]] = []
    defaults: list[tuple[str, Callable[[], Any]]] = []
    fields = dataclasses.fields(cls)
    for field in fields:
        encode, decode = _converters(hints.get(field.name, Any), f"{cls.__qualname__}.{field.name}")
        if encode is not None:
            encoders.append((field.name, encode))
        if decode is not None:
            decoders.append((field.name, decode))
        if field.default is not dataclasses.MISSING:
            defaults.append((field.name, functools.partial(_identity, field.default)))
        elif field.default_factory is not dataclasses.MISSING:
            defaults.append((field.name, field.default_factory))
    return _Plan(
        cls=cls,
        uses_dict=any("__slots__" not in klass.__dict__ for klass in cls.__mro__[:-1]),
        names=frozenset(field.name for field in fields),
        encoders=tuple(encoders),
        decoders=tuple(decoders),
        defaults=tuple(defaults),
    )


def _identity(value: Any) -> Any:
    return value


def _converters(hint: Any, where: str) -> tuple[Convert | None, Convert | None]:
    """The (encode, decode) pair for a type hint; None means "JSON carries it as it is"."""
    if hint in _SCALARS:
        return _SCALARS[hint]
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        return _converters(args[0], where)
    if origin is typing.Literal:
        return None, None
    if isinstance(hint, typing.NewType):
        return _converters(hint.__supertype__, where)
    if isinstance(hint, typing.TypeAliasType):
        return _converters(hint.__value__, where)
    if origin in (typing.Union, types.UnionType):
        return _union_converters(args, where)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _enum_converters(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return (
            lambda value: _to_data(value, _plan(type(value))),
            lambda data: _rebuild(hint, data),
        )
    if hint in (list, tuple, set, frozenset, dict) or origin in (list, tuple, set, frozenset):
        return _collection_converters(origin or hint, args, where)
    if origin is dict:
        return _dict_converters(args, where)
    raise EventEncodingError(f"{where}: type {hint!r} is not supported by the event codec")


def _enum_converters(enum_type: type[enum.Enum]) -> tuple[Convert, Convert]:
    return (lambda member: member.value), enum_type


def _collection_converters(
    kind: type, args: tuple[Any, ...], where: str
) -> tuple[Convert, Convert]:
    if kind is tuple and args and args[-1] is not Ellipsis:
        pairs = [_converters(arg, where) for arg in args]

        def encode_fixed(value: tuple[Any, ...]) -> list[Any]:
            return [_apply(enc, item) for (enc, _), item in zip(pairs, value, strict=True)]

        def decode_fixed(data: list[Any]) -> tuple[Any, ...]:
            return tuple(_apply(dec, item) for (_, dec), item in zip(pairs, data, strict=True))

        return encode_fixed, decode_fixed
    item_encode, item_decode = _converters(args[0] if args else Any, where)
    build: Callable[[Any], Any] = list if kind is dict else kind
    if item_encode is None and item_decode is None:
        return list, build
    return (
        lambda value: [_apply(item_encode, item) for item in value],
        lambda data: build(_apply(item_decode, item) for item in data),
    )


def _dict_converters(args: tuple[Any, ...], where: str) -> tuple[Convert, Convert]:
    key_type, value_type = args if args else (Any, Any)
    value_encode, value_decode = _converters(value_type, where)
    if key_type is str:
        return (
            lambda value: {key: _apply(value_encode, item) for key, item in value.items()},
            lambda data: {key: _apply(value_decode, item) for key, item in data.items()},
        )
    # Non-string keys cannot be JSON object keys: store the items as [key, value] pairs.
    key_encode, key_decode = _converters(key_type, where)
    return (
        lambda value: [[_apply(key_encode, k), _apply(value_encode, v)] for k, v in value.items()],
        lambda data: {_apply(key_decode, k): _apply(value_decode, v) for k, v in data},
    )


def _union_converters(args: tuple[Any, ...], where: str) -> tuple[Convert | None, Convert | None]:
    members = [arg for arg in args if arg is not type(None)]
    if len(members) == 1:
        return _converters(members[0], where)
    by_name = {_type_name(member): (member, *_converters(member, where)) for member in members}

    def encode(value: Any) -> list[Any]:
        for name, (member, member_encode, _) in by_name.items():
            if _is_instance(value, member):
                return [name, _apply(member_encode, value)]
        raise EventEncodingError(f"{where}: {value!r} matches none of {list(by_name)}")

    def decode(data: list[Any]) -> Any:
        name, value = data
        return _apply(by_name[name][2], value)

    return encode, decode


def _type_name(hint: Any) -> str:
    return getattr(typing.get_origin(hint) or hint, "__qualname__", repr(hint))


def _is_instance(value: Any, hint: Any) -> bool:
    kind = typing.get_origin(hint) or hint
    if kind is typing.Literal:
        return value in typing.get_args(hint)
    if not isinstance(kind, type):
        return True
    if kind is int and isinstance(value, bool):
        return False
    if kind is float:
        return type(value) is float
    return isinstance(value, kind)


def _apply(convert: Convert | None, value: Any) -> Any:
    return value if convert is None or value is None else convert(value)


def _to_data(obj: Any, plan: _Plan) -> dict[str, Any]:
    # Copy every field at C speed, then convert only the fields that need it.
    try:
        if plan.uses_dict:
            data = dict(obj.__dict__)
            if len(data) != len(plan.names):  # attributes beyond the fields: keep the fields
                data = {name: data[name] for name in plan.names}
        else:
            data = {name: getattr(obj, name) for name in plan.names}
        for name, convert in plan.encoders:
            value = data[name]
            if value is not None:
                data[name] = convert(value)
    except EventEncodingError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError) as error:
        raise EventEncodingError(f"Cannot encode {plan.cls.__qualname__}: {error!r}") from error
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
    except (TypeError, ValueError, ArithmeticError, KeyError, IndexError) as error:
        raise EventDecodingError(f"Cannot decode {cls.__qualname__}: {error!r}") from error
    if values.keys() != plan.names:
        _complete(values, plan)
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


def to_data(obj: Any) -> dict[str, Any]:
    """Any supported dataclass instance (an event, an aggregate's state) as JSON-compatible data."""
    return _to_data(obj, _plan(type(obj)))


def from_data[T](cls: type[T], data: Mapping[str, Any]) -> T:
    """An instance of dataclass `cls` rebuilt from `to_data` output, without `__init__`."""
    return typing.cast(T, _rebuild(cls, data))


def event_to_data(event: Event) -> dict[str, Any]:
    """All fields of an event, metadata included, as JSON-compatible data."""
    return _to_data(event, _plan(type(event)))


def event_from_data(
    data: Mapping[str, Any], schema_version: int | None = None, *, owned: bool = False
) -> Event:
    """Rebuild the event class registered for `data["type"]` (and the schema version).

    An unknown type name gives a plain `Event` whose `data` holds the domain fields, so nothing
    stored is ever dropped. With `owned=True` the dict is reused for the event (no copy).
    """
    type_name = data.get("type")
    if not isinstance(type_name, str):
        raise EventDecodingError(f"Stored event has no type name: {dict(data)!r}")
    cls = message_class(type_name, schema_version) or message_class(type_name)
    if cls is None:
        return _unknown_event(data)
    return typing.cast(Event, _rebuild(cls, data, owned))


_EVENT_FIELDS = frozenset(field.name for field in dataclasses.fields(Event))


def _unknown_event(data: Mapping[str, Any]) -> Event:
    metadata = {name: data[name] for name in _EVENT_FIELDS if name in data}
    domain = {name: value for name, value in data.items() if name not in _EVENT_FIELDS}
    if domain:
        metadata["data"] = (
            domain if metadata.get("data") is None else {**domain, "data": data["data"]}
        )
    return typing.cast(Event, _rebuild(Event, metadata))


def encode_event(event: Event) -> bytes:
    """An event as UTF-8 JSON bytes."""
    return dump_json(event_to_data(event))


def decode_event(raw: bytes | str, schema_version: int | None = None) -> Event:
    """The event encoded in `raw` (see `event_from_data`)."""
    data = load_json(raw)
    if not isinstance(data, dict):
        raise EventDecodingError(f"Stored payload is not a JSON object: {raw[:80]!r}")
    return event_from_data(data, schema_version, owned=True)


__all__ = [
    "decode_event",
    "encode_event",
    "event_from_data",
    "event_to_data",
    "from_data",
    "to_data",
]
