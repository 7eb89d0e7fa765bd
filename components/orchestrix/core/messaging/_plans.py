"""Per dataclass, the plan the codec follows: how to check, encode and rebuild its fields.

A plan is built once per class from its annotations (`_converters` gives each field's pair of
functions). Encoding copies the fields at C speed, checks the text fields inline and converts
the others; rebuilding sets the decoded values on an instance made without `__init__`.
Fields marked `Personal` are checked and converted like the others, accept `REDACTED`, and are
sealed or opened by `personal` around that.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from orchestrix.core.common.exceptions import (
    EventDecodingError,
    EventEncodingError,
    PersonalDataError,
)
from orchestrix.core.messaging._converters import (
    Convert,
    Pair,
    Refused,
    Unsupported,
    converters,
    is_immutable_hint,
)
from orchestrix.core.messaging.personal import (
    REDACTED,
    REDACTED_FIELDS,
    SUBJECT_TYPES,
    Opener,
    PersonalFields,
    open_fields,
    personal_marker,
)


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    """How to check, encode and rebuild one dataclass."""

    cls: type
    uses_dict: bool
    slot_fields: tuple[str, ...]  # fields kept in slots, not in the instance's __dict__
    fields_in_dict: bool  # every field is in the instance's __dict__ (see `to_data_of`)
    names: frozenset[str]
    ordered: tuple[str, ...]  # the field names in definition order
    values_of: Callable[[Any], tuple[Any, ...]]  # the field values, in that order
    strings: tuple[str, ...]  # fields that must hold exactly a str
    optional_strings: tuple[str, ...]  # fields that hold a str or None
    encoders: tuple[tuple[str, Convert], ...]  # every other field
    decoders: tuple[tuple[str, Convert], ...]
    defaults: tuple[tuple[str, Callable[[], Any]], ...]
    mutable: tuple[str, ...]  # fields whose values may be changed in place
    immutable: bool  # frozen, and no field can hold a mutable value
    personal: PersonalFields = ()  # the personal fields and their subject fields


_plans: dict[type, Plan] = {}


def plan(cls: type) -> Plan:
    """The plan of dataclass `cls`, built on first use."""
    found = _plans.get(cls)
    if found is None:
        found = _plans[cls] = _build_plan(cls)
    return found


def field_hints(cls: type) -> dict[str, Any]:
    """The annotated type of each field of dataclass `cls`; a field whose default is None also
    admits None (`note: str = None` means `str | None`, as the first release stored it)."""
    hints = typing.get_type_hints(cls, include_extras=True)
    for field in dataclasses.fields(cls):
        hint = hints.get(field.name, Any)
        if field.default is None and not _admits_none(hint):
            hints[field.name] = hint | None
    return hints


def _admits_none(hint: Any) -> bool:
    if hint is Any or hint is None or hint is type(None):
        return True
    if typing.get_origin(hint) is typing.Annotated:
        return _admits_none(typing.get_args(hint)[0])
    return type(None) in typing.get_args(hint) and typing.get_origin(hint) in (
        typing.Union,
        types.UnionType,
    )


def _build_plan(cls: type) -> Plan:
    where = cls.__qualname__
    if not dataclasses.is_dataclass(cls):
        raise EventEncodingError(f"{where} is not a dataclass the codec can encode")
    try:
        hints = field_hints(cls)
    except Exception as error:
        raise EventEncodingError(f"Cannot read the field types of {where}: {error}") from error
    strings, optional_strings, mutable = [], [], []
    encoders: list[tuple[str, Convert]] = []
    decoders: list[tuple[str, Convert]] = []
    defaults: list[tuple[str, Callable[[], Any]]] = []
    personal: list[tuple[str, str]] = []
    fields = dataclasses.fields(cls)
    for field in fields:
        hint = hints.get(field.name, Any)
        try:
            encode, decode = converters(hint, _nested_pair)
        except Unsupported as error:
            raise EventEncodingError(f"{where}.{field.name}: {error}") from None
        try:
            marker = personal_marker(hint)
        except TypeError as error:
            raise EventEncodingError(f"{where}.{field.name}: {error}") from None
        if marker is not None:
            personal.append((field.name, marker.subject))
            encoders.append((field.name, _or_redacted(encode)))
        elif hint is str:
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
    _check_subjects(where, personal, hints)
    frozen = cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    uses_dict = any("__slots__" not in klass.__dict__ for klass in cls.__mro__[:-1])
    slot_fields = tuple(field.name for field in fields if field.name in _slots(cls))
    # `__init__` leaves a field with `init=False` and a plain default to the class attribute
    class_defaults = any(
        not field.init and field.default is not dataclasses.MISSING for field in fields
    )
    return Plan(
        cls=cls,
        uses_dict=uses_dict,
        slot_fields=slot_fields,
        fields_in_dict=uses_dict and not slot_fields and not class_defaults,
        names=frozenset(field.name for field in fields),
        ordered=tuple(field.name for field in fields),
        values_of=_values_getter(tuple(field.name for field in fields)),
        strings=tuple(strings),
        optional_strings=tuple(optional_strings),
        encoders=tuple(encoders),
        decoders=tuple(decoders),
        defaults=tuple(defaults),
        mutable=tuple(mutable),
        immutable=frozen and not mutable,
        personal=tuple(personal),
    )


def _has_marker(hint: Any) -> bool:
    try:
        return personal_marker(hint) is not None
    except TypeError:
        return True


def _unwrap(hint: Any) -> Any:
    while isinstance(hint, typing.TypeAliasType):
        hint = hint.__value__
    if typing.get_origin(hint) is typing.Annotated:
        return typing.get_args(hint)[0]
    return hint


def _or_redacted(encode: Convert) -> Convert:
    """A personal field's encoder: it also takes `REDACTED`, and its errors never quote the
    value (error texts end up in logs)."""

    def encode_personal(value: Any) -> Any:
        if value is REDACTED:
            return value
        try:
            return encode(value)
        except Refused:
            kind = type(value).__name__
            raise Refused(
                f"got a {kind} that its annotation does not allow (value not shown: personal data)"
            ) from None

    return encode_personal


def _check_subjects(where: str, personal: list[tuple[str, str]], hints: dict[str, Any]) -> None:
    """Each subject field must exist, hold an id (str, int or UUID) and not be personal."""
    marked = {name for name, _ in personal}
    for name, subject in personal:
        hint = _unwrap(hints.get(subject))
        kinds = [hint, *(_unwrap(arg) for arg in typing.get_args(hint))] if subject in hints else []
        if subject in marked or not any(kind in SUBJECT_TYPES for kind in kinds):
            raise EventEncodingError(
                f"{where}.{name}: Personal(subject={subject!r}) must name a str, int or UUID "
                f"field of {where} that is not personal itself"
            )


def _slots(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        declared = klass.__dict__.get("__slots__", ())
        names.update((declared,) if isinstance(declared, str) else declared)
    return names


def _identity(value: Any) -> Any:
    return value


def _values_getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """Reads every field in one C call. Unlike `obj.__dict__` it leaves the object as it is:
    CPython keeps attributes inline until `__dict__` is asked for, which costs ~100 bytes."""
    if len(names) == 1:
        get = operator.attrgetter(names[0])
        return lambda obj: (get(obj),)
    if not names:
        return lambda obj: ()
    return operator.attrgetter(*names)


def _nested_pair(cls: type) -> Pair:
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception:  # the nested class's own plan reports it
        hints = {}
    if any(_has_marker(hint) for hint in hints.values()):
        raise Unsupported(
            f"{cls.__qualname__} has personal fields, which only an event's own fields may "
            "have; mark the field holding it personal instead"
        )

    def encode(value: Any) -> dict[str, Any]:
        if type(value) is not cls:
            raise Refused(f"expected {cls.__qualname__}, got {type(value).__qualname__}")
        return to_data_of(value, plan(cls))

    return encode, functools.partial(rebuild, cls)


def _is_immutable_class(cls: type) -> bool:
    return plan(cls).immutable


def to_data_of(obj: Any, the_plan: Plan, compact: bool = False) -> dict[str, Any]:
    """The object's fields as JSON data; raises `Refused` naming the field that does not fit.

    Every field is copied at C speed, the text fields checked inline, the others converted.
    The copy comes from the instance's `__dict__`, which CPython creates on first request
    (about 100 bytes); `compact=True` reads the fields one by one instead, for objects that
    will be kept (the in-memory store's), at about twice the cost, as do classes whose fields
    are not all in `__dict__` (slots, or an `init=False` field left to its class default).
    """
    if compact or not the_plan.fields_in_dict:
        data = dict(zip(the_plan.ordered, the_plan.values_of(obj)))  # noqa: B905 - same length
    else:
        data = dict(obj.__dict__)
        if len(data) != len(the_plan.ordered):  # attributes beyond the fields: keep the fields
            data = {name: data[name] for name in the_plan.ordered}
    name = ""
    try:
        for name in the_plan.strings:
            if type(data[name]) is not str:
                raise Refused(f"expected str, got {type(data[name]).__name__}")
        for name in the_plan.optional_strings:
            value = data[name]
            if value is not None and type(value) is not str:
                raise Refused(f"expected str or None, got {type(value).__name__}")
        for name, encode in the_plan.encoders:
            data[name] = encode(data[name])
    except Refused as error:
        raise Refused(f"{the_plan.cls.__qualname__}.{name}: {error}") from None
    if the_plan.personal:
        redacted = [name for name, _ in the_plan.personal if data[name] is REDACTED]
        if redacted:
            for name in redacted:
                del data[name]
            data[REDACTED_FIELDS] = redacted
    return data


def rebuild(
    cls: type, data: Mapping[str, Any], owned: bool = False, opener: Opener | None = None
) -> Any:
    """Recreate an instance of `cls` from decoded data without running `__init__`.

    `owned` means the caller hands `data` over (fresh from the JSON parser), so it is used as
    the instance's attributes instead of being copied. Sealed personal fields are opened with
    `opener`; without one, or without their key, they are `REDACTED`.
    """
    the_plan = plan(cls)
    redacted: list[str] | tuple[()] = ()
    try:
        values = data if owned and type(data) is dict else dict(data)
        if the_plan.personal:
            redacted = open_fields(values, opener, cls.__qualname__)
        for name, convert in the_plan.decoders:
            value = values.get(name)
            if value is not None:
                values[name] = convert(value)
    except (EventDecodingError, PersonalDataError):
        raise
    except Exception as error:  # whatever a decoder meets in damaged data
        raise EventDecodingError(f"Cannot decode {cls.__qualname__}: {error!r}") from error
    for name in redacted:
        values[name] = REDACTED
    if values.keys() != the_plan.names:
        complete(values, the_plan)
    return instance(cls, the_plan, values)


def instance(cls: type, the_plan: Plan, values: dict[str, Any]) -> Any:
    """An instance of `cls` holding `values`, made without `__init__`."""
    obj: Any = object.__new__(cls)
    if the_plan.uses_dict:
        for name in the_plan.slot_fields:  # a slots subclass of a class with a __dict__
            object.__setattr__(obj, name, values.pop(name))
        object.__setattr__(obj, "__dict__", values)
    else:
        for name, value in values.items():
            object.__setattr__(obj, name, value)
    return obj


def complete(values: dict[str, Any], the_plan: Plan) -> None:
    """Fill fields added to the class since the data was written; drop removed ones."""
    for name in values.keys() - the_plan.names:
        del values[name]
    for name, default in the_plan.defaults:
        if name not in values:
            values[name] = default()
    missing = the_plan.names - values.keys()
    if missing:
        raise EventDecodingError(
            f"Cannot decode {the_plan.cls.__qualname__}: missing field(s) {sorted(missing)}"
        )


__all__ = ["Plan", "complete", "field_hints", "instance", "plan", "rebuild", "to_data_of"]
