"""Per type hint: the function that checks and converts a value to JSON data, and its inverse.

Encoders are strict: a value that does not match its annotation (an `int` field given `2.5` or
`True`, a `date` field given a `datetime`, a `str` field given a UUID) raises `Refused`, since
storing it would change it or make it fail to load later. Decoders are lenient, so that data
written by earlier versions keeps loading. Untyped values (`Any`, `object`, bare `list`/`dict`)
must be JSON values: `None`, `bool`, `int`, finite `float`, `str`, `list` and `dict` with `str`
keys, nested at most `MAX_DEPTH` deep; they are copied, so the data never aliases the object.

Stored shapes: Decimal, UUID and dates as text; ints as JSON numbers of any size (data written
before kept those beyond 64 bits as text, which still decodes); non-finite floats as "nan",
"inf" and "-inf"; sets and tuples as lists; dicts with non-string keys as `[key, value]`
pairs; unions other than `X | None` as a `[member tag, value]` pair, so `Decimal | str`
decodes to the right type.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

try:
    from msgspec import to_builtins
except ImportError:  # pragma: no cover - exercised when the extra is not installed
    to_builtins = None  # type: ignore[assignment]

type Convert = Callable[[Any], Any]
type Pair = tuple[Convert, Convert | None]

MAX_DEPTH = 100
"""How deeply untyped values may nest; deeper ones are refused rather than overflow the stack."""

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Refused(Exception):
    """A value that cannot be stored as its annotation says; the codec adds where it was."""


class Unsupported(Exception):
    """A type hint the codec cannot store (the class itself is at fault, not a value)."""


def _refuse(expected: str, value: object) -> typing.NoReturn:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise Refused(f"expected {expected}, got {type(value).__name__} {shown}")


def _exact(kind: type) -> Convert:
    def check(value: Any) -> Any:
        if type(value) is kind:
            return value
        _refuse(kind.__name__, value)

    return check


def _encode_int(value: Any) -> int:
    if type(value) is not int:
        _refuse("int", value)
    return value


def _decode_int(data: Any) -> int:
    return data if type(data) is int else int(data)


def _encode_float(value: Any) -> float | str:
    # An int is a valid float (PEP 484) and is stored as one; NaN and the infinities are not
    # JSON: they travel as their repr.
    if type(value) is not float:
        if type(value) is not int:
            _refuse("float", value)
        try:
            value = float(value)
        except OverflowError:
            _refuse("float in range", value)
    return value if value - value == 0 else repr(value)


def _decode_float(data: Any) -> float:
    return data if type(data) is float else float(data)


def _encoder_of(kind: type, convert: Callable[[Any], Any]) -> Convert:
    def encode(value: Any) -> Any:
        if type(value) is kind:
            return convert(value)
        _refuse(kind.__name__, value)

    return encode


def _datetime_text(value: datetime) -> str:
    """`value.isoformat()`. Most stored times are in UTC, which msgspec writes in C about
    four times faster, as the same text with a `Z` for the offset."""
    if value.tzinfo is UTC and to_builtins is not None:
        return f"{to_builtins(value)[:-1]}+00:00"
    return value.isoformat()


def _decode_decimal(data: Any) -> Decimal:
    return Decimal(data if type(data) is str else str(data))


_SCALARS: dict[Any, Pair] = {
    str: (_exact(str), None),
    bool: (_exact(bool), None),
    int: (_encode_int, _decode_int),
    float: (_encode_float, _decode_float),
    Decimal: (_encoder_of(Decimal, str), _decode_decimal),
    datetime: (_encoder_of(datetime, _datetime_text), datetime.fromisoformat),
    date: (_encoder_of(date, date.isoformat), date.fromisoformat),
    time: (_encoder_of(time, time.isoformat), time.fromisoformat),
    uuid.UUID: (_encoder_of(uuid.UUID, str), uuid.UUID),
}


def json_value(value: Any, depth: int = 0) -> Any:
    """A copy of an untyped value, which must be JSON data (see the module docstring)."""
    kind = type(value)
    if kind is str or kind is bool or kind is int or value is None:
        return value
    if kind is float:
        if value - value == 0:
            return value
        _refuse("a finite float (untyped values carry no NaN or infinity)", value)
    if depth >= MAX_DEPTH:
        raise Refused(f"untyped value nested more than {MAX_DEPTH} levels deep")
    if kind is list:
        return [json_value(item, depth + 1) for item in value]
    if kind is dict:
        copy = {}
        for key, item in value.items():
            if type(key) is not str:
                _refuse("str keys in an untyped dict", key)
            copy[key] = json_value(item, depth + 1)
        return copy
    _refuse("a JSON value (None, bool, int, float, str, list, dict with str keys)", value)


def _check_none(value: Any) -> None:
    if value is not None:
        _refuse("None", value)


def _with_none(encode: Convert) -> Convert:
    def encode_optional(value: Any) -> Any:
        return None if value is None else encode(value)

    return encode_optional


def converters(hint: Any, nested: Callable[[type], Pair]) -> Pair:
    """The (encode, decode) pair for a field's hint; decode None means "JSON carries it".

    Every encoder checks the exact type, so it refuses None unless the hint allows it;
    decoders pass None through.
    `nested(cls)` gives the pair of a nested dataclass (the codec's own plans).
    """
    return _pair(hint, nested)


def _unwrap(hint: Any) -> Any:
    """The type behind `Annotated[...]`, a `NewType` or a `type` alias."""
    while True:
        if typing.get_origin(hint) is typing.Annotated:
            hint = typing.get_args(hint)[0]
        elif isinstance(hint, typing.NewType):
            hint = hint.__supertype__
        elif isinstance(hint, typing.TypeAliasType):
            hint = hint.__value__
        else:
            return hint


def _pair(hint: Any, nested: Callable[[type], Pair]) -> Pair:
    hint = _unwrap(hint)
    if hint in _SCALARS:
        encode, decode = _SCALARS[hint]
        return encode, decode
    if hint is Any or hint is object:
        return json_value, None
    if hint is None or hint is type(None):
        return _check_none, None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return _literal(args)
    if origin in (typing.Union, types.UnionType):
        return _union(args, nested)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _enum(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        encode, decode = nested(hint)
        return encode, decode
    if hint is dict or origin is dict:
        key, value = args if args else (str, Any)
        return _dict(key, value, nested)
    if hint in (list, tuple, set, frozenset) or origin in (list, tuple, set, frozenset):
        return _collection(origin or hint, args, nested)
    raise Unsupported(f"type {hint!r} is not supported by the event codec")


def _literal(values: tuple[Any, ...]) -> Pair:
    for value in values:
        if type(value) not in (str, int, bool, type(None)):
            raise Unsupported(f"Literal value {value!r} is not a str, int, bool or None")
    allowed = {(type(value), value) for value in values}

    def encode(value: Any) -> Any:
        if (type(value), value) in allowed:
            return value
        _refuse(f"one of {list(values)!r}", value)

    return encode, None


def _enum(enum_type: type[enum.Enum]) -> Pair:
    for member in enum_type:
        if type(member.value) not in (str, int):
            raise Unsupported(
                f"{enum_type.__qualname__}.{member.name} has a {type(member.value).__name__} "
                "value; stored enums need str or int values"
            )

    def encode(value: Any) -> Any:
        if type(value) is enum_type:
            return value.value
        _refuse(enum_type.__qualname__, value)

    return encode, enum_type


def _collection(kind: type, args: tuple[Any, ...], nested: Callable[[type], Pair]) -> Pair:
    if kind is tuple and args and args[-1] is not Ellipsis:
        pairs = [converters(arg, nested) for arg in args]

        def encode_fixed(value: Any) -> list[Any]:
            if type(value) is not tuple or len(value) != len(pairs):
                _refuse(f"tuple of {len(pairs)}", value)
            return [enc(item) for (enc, _), item in zip(pairs, value, strict=True)]

        def decode_fixed(data: Any) -> tuple[Any, ...]:
            return tuple(
                item if dec is None or item is None else dec(item)
                for (_, dec), item in zip(pairs, data, strict=True)
            )

        return encode_fixed, decode_fixed
    item_encode, item_decode = converters(args[0] if args else Any, nested)
    name = kind.__name__

    def encode(value: Any) -> list[Any]:
        if type(value) is not kind:
            _refuse(name, value)
        items: Any = value
        return [item_encode(item) for item in items]

    if item_decode is None:
        return encode, None if kind is list else typing.cast(Convert, kind)

    def decode(data: Any) -> Any:
        items = (None if item is None else item_decode(item) for item in data)
        return kind(items)

    return encode, decode


def _dict(key_type: Any, value_type: Any, nested: Callable[[type], Pair]) -> Pair:
    value_encode, value_decode = converters(value_type, nested)
    if key_type is str:

        def encode(value: Any) -> dict[str, Any]:
            if type(value) is not dict:
                _refuse("dict", value)
            data = {}
            for key, item in value.items():
                if type(key) is not str:
                    _refuse("str key", key)
                data[key] = value_encode(item)
            return data

        if value_decode is None:
            return encode, None
        decode_item = value_decode

        def decode(data: Any) -> dict[str, Any]:
            return {k: None if v is None else decode_item(v) for k, v in data.items()}

        return encode, decode
    # Non-string keys cannot be JSON object keys: store the items as [key, value] pairs.
    key_encode, key_decode = converters(key_type, nested)

    def encode_pairs(value: Any) -> list[list[Any]]:
        if type(value) is not dict:
            _refuse("dict", value)
        return [[key_encode(k), value_encode(v)] for k, v in value.items()]

    def decode_pairs(data: Any) -> dict[Any, Any]:
        return {
            k if key_decode is None or k is None else key_decode(k): (
                v if value_decode is None or v is None else value_decode(v)
            )
            for k, v in data
        }

    return encode_pairs, decode_pairs


def _union(args: tuple[Any, ...], nested: Callable[[type], Pair]) -> Pair:
    members = [arg for arg in args if arg is not type(None)]
    optional = len(members) < len(args)
    if len(members) == 1:
        encode, decode = _pair(members[0], nested)
        return (_with_none(encode) if optional else encode), decode
    by_tag: dict[str, tuple[Any, Convert, Convert | None]] = {}
    for member in members:
        tag = _tag(member)
        if tag in by_tag:
            raise Unsupported(
                f"union members {by_tag[tag][0]!r} and {member!r} cannot be told apart in "
                "storage; use one of them, or wrap each in a dataclass of its own"
            )
        by_tag[tag] = (member, *converters(member, nested))

    def encode_tagged(value: Any) -> list[Any]:
        for tag, (member, member_encode, _) in by_tag.items():
            if _matches(value, member):
                return [tag, member_encode(value)]
        _refuse(" | ".join(by_tag), value)

    def decode_tagged(data: Any) -> Any:
        tag, value = data
        member_decode = by_tag[tag][2]
        return value if member_decode is None or value is None else member_decode(value)

    return (_with_none(encode_tagged) if optional else encode_tagged), decode_tagged


def _tag(hint: Any) -> str:
    hint = _unwrap(hint)
    kind = typing.get_origin(hint) or hint
    if kind is typing.Literal:
        return "Literal"
    return str(getattr(kind, "__qualname__", repr(kind)))


def _matches(value: Any, hint: Any) -> bool:
    """Whether `value` belongs to union member `hint` (exact types: `True` is no `int`)."""
    hint = _unwrap(hint)
    kind = typing.get_origin(hint) or hint
    if kind is typing.Literal:
        return (type(value), value) in {(type(arg), arg) for arg in typing.get_args(hint)}
    if kind is Any or kind is object:
        return True
    if kind is float:
        return type(value) is float or type(value) is int
    if isinstance(kind, type):
        return type(value) is kind
    return True


def is_immutable_hint(hint: Any, nested_immutable: Callable[[type], bool]) -> bool:
    """Whether values of `hint` can never be changed in place (no list, dict, set or Any)."""
    hint = _unwrap(hint)
    if hint in _SCALARS or hint is None or hint is type(None):
        return True
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal or (isinstance(hint, type) and issubclass(hint, enum.Enum)):
        return True
    if origin in (typing.Union, types.UnionType, tuple, frozenset):
        return all(arg is Ellipsis or is_immutable_hint(arg, nested_immutable) for arg in args)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return nested_immutable(hint)
    return False


__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "MAX_DEPTH",
    "Convert",
    "Pair",
    "Refused",
    "Unsupported",
    "converters",
    "is_immutable_hint",
    "json_value",
]
