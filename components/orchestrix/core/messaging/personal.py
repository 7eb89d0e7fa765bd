"""Personal fields: how an event marks them, how they are stored sealed, and how they read back.

A field annotated `Annotated[T, Personal("customer_id")]` holds personal data of the data
subject whose id is in the event's `customer_id` field. A store given personal-data protection
stores such a field sealed: the field leaves the payload and its encrypted JSON value goes into
`"$sealed": {subject id: {field: token}}` (the subject id stays readable, so the key can be
found; `$` keeps the entry clear of field names). A field whose key was erased, or that was
`REDACTED` when saved, loads as `REDACTED`; a payload lists such fields in `"$redacted"`.

This module is pure: the codec calls `seal_fields` with a `Sealer` and `open_fields` with an
`Opener`, which the personal-data protection (`orchestrix.core.eventsourcing.personal_data`)
builds from a key store and a cipher.
"""

from __future__ import annotations

import typing
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from orchestrix.core.common.exceptions import EventDecodingError, MissingSubjectError
from orchestrix.core.messaging.jsonio import dump_json, load_json

SEALED: Final = "$sealed"
REDACTED_FIELDS: Final = "$redacted"

type Sealer = Callable[[str, str, bytes], str]
"""(subject id, field name, the field's JSON) -> the stored token."""
type Opener = Callable[[str, str, str], bytes | None]
"""(subject id, field name, token) -> the field's JSON, or None when the subject's key is gone."""
type PersonalFields = tuple[tuple[str, str], ...]
"""A class's personal fields, each with the name of the field holding its subject id."""


@dataclass(frozen=True, slots=True, order=True)
class Personal:
    """Marks a field as personal data of the subject whose id is in the field `subject`.

    `email: Annotated[str, Personal("customer_id")]`; any annotation the codec supports may be
    marked, and the subject's field must be a `str`, `int` or `UUID` field of the same event.
    """

    subject: str


@typing.final
class Redacted:
    """The type of `REDACTED`, the value of a personal field whose key was erased."""

    _instance: typing.ClassVar[Redacted | None] = None

    def __new__(cls) -> Redacted:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "REDACTED"

    def __str__(self) -> str:
        return "[redacted]"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "REDACTED"


REDACTED: Final = Redacted()
"""What an erased personal field loads as, whatever its annotation."""


def is_redacted(value: object) -> bool:
    """Whether `value` is an erased personal field's value."""
    return value is REDACTED


def personal_marker(hint: Any) -> Personal | None:
    """The `Personal` marker of a field's annotation. A marker anywhere in it (`Annotated[str,
    Personal(...)] | None`, `list[Annotated[...]]`, a `type` alias) makes the whole field
    personal; two markers naming different subjects are refused (`TypeError`)."""
    found = set(_markers(hint, 0))
    if len(found) > 1:
        raise TypeError(f"one field cannot belong to several data subjects: {sorted(found)}")
    return next(iter(found), None)


def _markers(hint: Any, depth: int) -> Iterator[Personal]:
    if depth > 20:  # a recursive alias: the codec itself refuses it
        return
    if isinstance(hint, typing.TypeAliasType):
        yield from _markers(hint.__value__, depth + 1)
        return
    if typing.get_origin(hint) is typing.Annotated:
        yield from (extra for extra in hint.__metadata__ if isinstance(extra, Personal))
    for arg in typing.get_args(hint):
        yield from _markers(arg, depth + 1)


SUBJECT_TYPES: Final = (str, int, uuid.UUID)


def subject_id(value: Any, where: str) -> str:
    """The subject id text of a subject field's stored value; `MissingSubjectError` if none."""
    if type(value) is int:
        value = str(value)
    if type(value) is not str or not value or "\x00" in value:
        raise MissingSubjectError(
            f"{where}: personal data needs its data subject's id, got {value!r}"
        )
    return value


def seal_fields(data: dict[str, Any], fields: PersonalFields, sealer: Sealer, where: str) -> None:
    """Move each personal field of encoded `data` into its sealed entry (see the module doc)."""
    sealed: dict[str, dict[str, str]] = {}
    for name, subject_field in fields:
        if name in data:  # absent: REDACTED, listed already
            subject = subject_id(data.get(subject_field), f"{where}.{subject_field}")
            token = sealer(subject, name, dump_json(data.pop(name)))
            sealed.setdefault(subject, {})[name] = token
    if sealed:
        data[SEALED] = sealed


def open_fields(data: dict[str, Any], opener: Opener | None, where: str) -> list[str]:
    """Put the sealed fields of stored `data` back as their JSON values, through `opener`;
    returns the fields that load as `REDACTED` (set to None in `data` meanwhile)."""
    redacted = data.pop(REDACTED_FIELDS, [])
    sealed = data.pop(SEALED, None)
    if type(redacted) is not list or not all(type(name) is str for name in redacted):
        raise EventDecodingError(f"Cannot decode {where}: damaged {REDACTED_FIELDS!r} entry")
    if sealed is not None:
        if type(sealed) is not dict:
            raise EventDecodingError(f"Cannot decode {where}: damaged {SEALED!r} entry")
        for subject, tokens in sealed.items():
            if type(tokens) is not dict:
                raise EventDecodingError(f"Cannot decode {where}: damaged {SEALED!r} entry")
            for name, token in tokens.items():
                plain = None if opener is None else opener(subject, name, token)
                if plain is None:
                    redacted.append(name)
                else:
                    data[name] = load_json(plain)
    for name in redacted:
        data[name] = None
    return redacted


def sealed_subjects(raw: bytes | str) -> list[str]:
    """The subject ids a stored payload has sealed fields of (the payload parsed only when it
    may have some), so a batch's keys can be fetched in one go before decoding."""
    marker = b'"$sealed"' if type(raw) is bytes else '"$sealed"'
    if marker not in raw:  # type: ignore[operator]
        return []
    data = load_json(raw)
    sealed = data.get(SEALED) if type(data) is dict else None
    return list(sealed) if type(sealed) is dict else []


__all__ = [
    "REDACTED",
    "REDACTED_FIELDS",
    "SEALED",
    "SUBJECT_TYPES",
    "Opener",
    "Personal",
    "PersonalFields",
    "Redacted",
    "Sealer",
    "is_redacted",
    "open_fields",
    "personal_marker",
    "seal_fields",
    "sealed_subjects",
    "subject_id",
]
