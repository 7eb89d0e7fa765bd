"""Erasing a data subject: delete its key for good, and record the erasure as an event.

The record is a `SubjectErased` event, alone in the stream `erasure_stream(subject_id)` and
saved with expected version 0: the store itself guarantees there is one record per subject,
however often (or however concurrently) the erasure runs. Running it again after a crash
between the two steps completes it; running it after it completed returns the first record.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orchestrix.core.common.exceptions import ConcurrencyError, PersonalDataError
from orchestrix.core.eventsourcing.personal_data import AsyncPersonalData, PersonalData
from orchestrix.core.eventsourcing.personal_keys import validate_subject_id
from orchestrix.core.messaging.message import Event

ERASURE_STREAM_PREFIX = "orchestrix.erasure:"


@dataclass(frozen=True, kw_only=True)
class SubjectErased(Event):
    """The audit record of an erasure: whose key was deleted, when, and which streams'
    personal fields now load as `REDACTED`."""

    subject_id: str
    erased_at: datetime
    streams: tuple[str, ...] = ()
    reason: str = ""


def erasure_stream(subject_id: str) -> str:
    """The stream holding the erasure record of `subject_id`."""
    return ERASURE_STREAM_PREFIX + subject_id


def erase_subject(
    store: Any, subject_id: str, *, reason: str = "", actor_id: str | None = None
) -> SubjectErased:
    """Erase `subject_id` in a sync store given `PersonalData`; returns the audit record.

    Raises `UnknownSubjectError` (writing nothing) for a subject that never had a key.
    """
    personal = _personal_data(store, PersonalData)
    validate_subject_id(subject_id)
    streams = personal.key_store.streams_of(subject_id)
    erased_at = personal.key_store.erase(subject_id)
    record = _record(subject_id, erased_at, streams, reason, actor_id)
    try:
        store.save(erasure_stream(subject_id), [record], expected_version=0)
    except ConcurrencyError:
        return _first(store.load(erasure_stream(subject_id)))
    return record


async def erase_subject_async(
    store: Any, subject_id: str, *, reason: str = "", actor_id: str | None = None
) -> SubjectErased:
    """`erase_subject` for async stores (PostgreSQL, and the async memory and SQLite stores,
    whose sync key stores run in a worker thread)."""
    personal = _personal_data(store, PersonalData | AsyncPersonalData)
    validate_subject_id(subject_id)
    key_store = personal.key_store
    erased_at: datetime
    if isinstance(personal, AsyncPersonalData):
        streams = await personal.key_store.streams_of(subject_id)
        erased_at = await personal.key_store.erase(subject_id)
    else:
        streams = await asyncio.to_thread(key_store.streams_of, subject_id)
        erased_at = await asyncio.to_thread(key_store.erase, subject_id)
    record = _record(subject_id, erased_at, streams, reason, actor_id)
    save = getattr(store, "save_async", store.save)
    try:
        await save(erasure_stream(subject_id), [record], expected_version=0)
    except ConcurrencyError:
        load = getattr(store, "load_async", store.load)
        loaded = load(erasure_stream(subject_id))
        return _first(await loaded if inspect.isawaitable(loaded) else loaded)
    return record


def _personal_data(store: Any, kind: Any) -> Any:
    personal = getattr(store, "personal_data", None)
    if not isinstance(personal, kind):
        raise PersonalDataError(
            f"{type(store).__name__} has no personal-data protection to erase with: open it "
            "with personal_data=PersonalData(key_store, cipher) (AsyncPersonalData on PostgreSQL)"
        )
    return personal


def _record(
    subject_id: str, erased_at: datetime, streams: list[str], reason: str, actor_id: str | None
) -> SubjectErased:
    return SubjectErased(
        subject_id=subject_id,
        erased_at=erased_at,
        streams=tuple(streams),
        reason=reason,
        actor_id=actor_id,
    )


def _first(events: list[Event]) -> SubjectErased:
    record = events[0]
    if not isinstance(record, SubjectErased):
        raise PersonalDataError(f"The erasure stream holds a {type(record).__name__}")
    return record


__all__ = [
    "ERASURE_STREAM_PREFIX",
    "SubjectErased",
    "erase_subject",
    "erase_subject_async",
    "erasure_stream",
]
