"""Typed decoding in C: stored payloads straight into an event's field values, with msgspec.

Why msgspec: it is the one well-kept library that parses JSON *and* converts the values to the
annotated types (Decimal, datetime, UUID, Enum, tuples, sets) in the same pass in C, several
times faster than parsing with orjson and converting in Python. orjson only parses; pydantic
(v2, in Rust) validates into its own models and costs a model layer per class; cattrs and
dacite convert in Python. msgspec's own dataclass support calls `__post_init__`, which a
stored fact must never run, so each class is decoded into a `TypedDict` built from its hints,
and the instance made with `object.__new__` and its `__dict__` set, as the pure path does.

Fields msgspec cannot decode as the pure path does (unions stored as tagged pairs, dicts with
non-string keys, anything unusual) are decoded as raw JSON and converted by the pure path's own
decoder. A nested dataclass msgspec reads exactly as we do, and without a `__post_init__`, is
decoded by msgspec itself; any other decodes as a nested TypedDict and is built the same way.

Whenever msgspec refuses a payload (a value the annotation does not allow, such as an integer
beyond 64 bits that the format stores as text, NaN in a float field, or data written by an
older shape of the class), the caller falls back to the pure path, which is the definition of
what a payload means: the fast path only ever returns what the pure path would.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from itertools import repeat
from typing import Any

from orchestrix.core.common.exceptions import EventEncodingError
from orchestrix.core.messaging._plans import complete, field_hints, instance, plan

try:
    import msgspec
except ImportError:  # pragma: no cover - exercised when the extra is not installed
    msgspec = None  # type: ignore[assignment]

AVAILABLE = msgspec is not None

type Post = Callable[[Any], Any]
type Build = Callable[[type, dict[str, Any]], Any]

_NATIVE: frozenset[Any] = frozenset(
    {str, bool, float, Decimal, datetime, date, time, uuid.UUID, type(None)}
)


@dataclasses.dataclass(frozen=True, slots=True)
class FastPlan:
    """A class's msgspec decoder and the Python steps left after it."""

    decoder: Any  # msgspec.json.Decoder of the class's TypedDict
    post: tuple[tuple[str, Post], ...]


def fast_type(
    hint: Any, nested: Callable[[type], tuple[Any, Post | None]]
) -> tuple[Any, Post | None]:
    """The msgspec type for a field hint and the Python step still needed (None: none).

    Raises TypeError for hints msgspec should not decode itself; the caller then decodes the
    field as raw JSON and converts it with the pure path's decoder.
    """
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint in _NATIVE:
        return hint, None
    if hint is int:
        return int, None
    if hint is Any or hint is object:
        return Any, None
    if origin is typing.Annotated:
        return fast_type(args[0], nested)
    if isinstance(hint, typing.NewType):
        return fast_type(hint.__supertype__, nested)
    if isinstance(hint, typing.TypeAliasType):
        return fast_type(hint.__value__, nested)
    if origin is typing.Literal and all(type(a) in (str, int) for a in args):
        return hint, None
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint, None
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return nested(hint)
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        member, post = fast_type(next(a for a in args if a is not type(None)), nested)
        if post is None:
            return member | None, None
        return member | None, lambda value: None if value is None else post(value)
    if origin in (list, set, frozenset) and args:
        item, post = fast_type(args[0], nested)
        return _collection(origin, origin[item], post)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item, post = fast_type(args[0], nested)
        return _collection(tuple, tuple[item, ...], post)  # type: ignore[valid-type]
    if origin is tuple and args and Ellipsis not in args:
        members = [fast_type(arg, nested) for arg in args]
        if any(post is not None for _, post in members):
            raise TypeError(f"decoded in Python: {hint!r}")
        return tuple[tuple(shape for shape, _ in members)], None  # type: ignore[misc]
    if origin is dict and len(args) == 2 and args[0] is str:
        value, post = fast_type(args[1], nested)
        if post is None:
            return dict[str, value], None  # type: ignore[valid-type]
        convert = post
        return dict[str, value], lambda data: {  # type: ignore[valid-type]
            k: convert(v) for k, v in data.items()
        }
    if origin is dict and len(args) == 2:  # non-string keys: stored as [key, value] pairs
        (key, key_post), (value, value_post) = (
            fast_type(args[0], nested),
            fast_type(args[1], nested),
        )
        if key_post is not None or value_post is not None:
            raise TypeError(f"decoded in Python: {hint!r}")
        return list[tuple[key, value]], dict  # type: ignore[valid-type]
    raise TypeError(f"decoded in Python: {hint!r}")


def _collection(kind: type, typed: Any, post: Post | None) -> tuple[Any, Post | None]:
    """A collection whose items need a Python step; msgspec has refused a null item unless
    the item's type admits None, whose step then handles it."""
    if post is None:
        return typed, None
    convert = post
    return typed, lambda items: kind(map(convert, items))


def typed_dict(name: str, fields: dict[str, Any]) -> Any:
    """A TypedDict of `fields`, all optional: fields added later fill from their defaults."""
    return typing.TypedDict(name, fields, total=False)  # type: ignore[operator]


def decoder(shape: Any) -> Any:
    """A reusable JSON decoder of `shape`."""
    return msgspec.json.Decoder(shape)


def probe(shape: Any) -> bool:
    """Whether msgspec can decode `shape` at all."""
    try:
        msgspec.json.Decoder(shape)
    except (TypeError, ValueError):
        return False
    return True


REFUSED: tuple[type[Exception], ...] = (
    (msgspec.ValidationError, msgspec.DecodeError) if msgspec is not None else ()
)


_fast_plans: dict[type, FastPlan | None] = {}
_building: set[type] = set()


def _fast_plan(cls: type) -> FastPlan | None:
    """The msgspec decoder of `cls` (None without msgspec, or if the class has none)."""
    if cls in _fast_plans:
        return _fast_plans[cls]
    fast: FastPlan | None = None
    if AVAILABLE:
        try:
            if plan(cls).personal:
                raise TypeError("sealed and redacted fields are decoded in Python")
            shape, post = _fast_shape(cls)
            fast = FastPlan(decoder(shape), post)
        except (TypeError, ValueError, EventEncodingError):
            fast = None
    _fast_plans[cls] = fast
    return fast


def _fast_shape(cls: type) -> tuple[Any, tuple[tuple[str, Post], ...]]:
    """The TypedDict msgspec decodes `cls` into, and the Python steps for its other fields."""
    if cls in _building:
        raise TypeError(f"{cls.__qualname__} contains itself")
    _building.add(cls)
    try:
        pure = dict(plan(cls).decoders)
        hints = field_hints(cls)
        fields: dict[str, Any] = {}
        steps: list[tuple[str, Post]] = []
        for field in dataclasses.fields(cls):
            try:
                shape, step = fast_type(hints.get(field.name, Any), _nested_fast)
                if not probe(shape):
                    raise TypeError(shape)
            except TypeError:
                shape, step = Any, pure.get(field.name)
            fields[field.name] = shape
            if step is not None:
                steps.append((field.name, step))
        return typed_dict(f"{cls.__qualname__}Fields", fields), tuple(steps)
    finally:
        _building.discard(cls)


def _nested_fast(cls: type) -> tuple[Any, Post | None]:
    """A nested dataclass: decoded by msgspec itself where that gives what the pure path
    would (about twice as fast, and no Python step is left), else as a TypedDict finished in
    Python."""
    shape, steps = _fast_shape(cls)
    if not steps and _decodes_natively(cls, shape):
        return cls, None
    return shape, _finisher(cls, steps)


def _decodes_natively(cls: type, shape: Any) -> bool:
    """Whether msgspec's own decoding of dataclass `cls` gives what the pure path would: it
    makes instances without `__init__`, fills defaults and ignores removed fields as the pure
    path does, but runs `__post_init__`, so there must be none; every field must be set by
    `__init__`, none personal, and msgspec must read each annotation as our TypedDict does."""
    if hasattr(cls, "__post_init__") or plan(cls).personal:
        return False
    if not all(field.init for field in dataclasses.fields(cls)):
        return False
    declared = typing.get_type_hints(cls, include_extras=True)
    return bool(shape.__annotations__ == declared) and probe(cls)


def _finisher(cls: type, steps: tuple[tuple[str, Post], ...]) -> Post:
    """A function making an instance of `cls` from msgspec's field values: the Python steps,
    then defaults; the class's plan is looked up once, not per value."""
    the_plan = plan(cls)
    count = len(the_plan.names)

    def finish(values: dict[str, Any]) -> Any:
        for name, step in steps:
            value = values.get(name)
            if value is not None:
                values[name] = step(value)
        if len(values) != count:
            complete(values, the_plan)
        return instance(cls, the_plan, values)

    return finish


def fast_reader(cls: type) -> Callable[[bytes | str], Any] | None:
    """A function that decodes a payload of `cls` in C and returns None wherever the pure
    path must decide instead (a value msgspec refuses, a failing step); None if `cls` has no
    fast decoder."""
    fast = _fast_plan(cls)
    if fast is None:
        return None
    decode, steps, the_plan, new = fast.decoder.decode, fast.post, plan(cls), object.__new__
    count = len(the_plan.names)
    refused: tuple[type[BaseException], ...] = (*REFUSED, RecursionError)
    build: Callable[[type], Any] = new
    if steps or not the_plan.uses_dict or the_plan.slot_fields:
        finish = _finisher(cls, steps)

        def read_with_steps(raw: bytes | str) -> Any:
            try:
                return finish(decode(raw))
            except Exception:
                return None

        return read_with_steps

    def read(raw: bytes | str) -> Any:
        try:
            values = decode(raw)
        except refused:
            return None
        if len(values) != count:  # written by another shape of the class
            return None
        obj = build(cls)
        obj.__dict__.update(values)
        return obj

    return read


def batch_reader(cls: type) -> Callable[[Sequence[Any]], list[Any] | None] | None:
    """A function that decodes many payloads of `cls` (msgspec's decoder mapped over them,
    the instances made and filled by `map`: no Python frame per payload unless the class has
    steps left to Python), or returns None when any of them needs the pure path; None if `cls`
    has no fast decoder."""
    fast = _fast_plan(cls)
    if fast is None:
        return None
    the_plan = plan(cls)
    decode, count = fast.decoder.decode, len(the_plan.names)
    if fast.post or not the_plan.uses_dict or the_plan.slot_fields:
        finish = _finisher(cls, fast.post)

        def read_many_with_steps(raws: Sequence[Any]) -> list[Any] | None:
            try:
                return list(map(finish, map(decode, raws)))
            except Exception:
                return None

        return read_many_with_steps
    new, fill = object.__new__, object.__setattr__
    refused: tuple[type[BaseException], ...] = (*REFUSED, RecursionError, TypeError)

    def read_many(raws: Sequence[Any]) -> list[Any] | None:
        try:
            values = list(map(decode, raws))
        except refused:
            return None
        if set(map(len, values)) != {count}:
            return None  # a payload of another shape of the class
        objects: list[Any] = list(map(new, repeat(cls, len(values))))
        deque(map(fill, objects, repeat("__dict__"), values), maxlen=0)
        return objects

    return read_many


__all__ = ["AVAILABLE", "REFUSED", "FastPlan", "batch_reader", "fast_reader", "fast_type"]
