"""Personal-data protection for an event store: seal on save, open on load, erase for good.

An event store given `PersonalData(key_store, cipher)` (sync stores) or
`AsyncPersonalData(key_store, cipher)` (PostgreSQL) encrypts every personal field with its
subject's data key before writing (one key-store call per save that holds personal data), and
opens them after reading (one call per batch read, for the subjects in it). A field whose key
is gone loads as `REDACTED`. Snapshots of a stream that holds personal data are sealed with
the keys of all its subjects, so erasing any one of them makes the snapshot unreadable and the
repository rebuilds the aggregate from its (redacted) events. The logic is written once here;
the two classes differ only in awaiting their key store.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from orchestrix.core.common.exceptions import (
    EventDecodingError,
    SubjectErasedError,
    TamperedDataError,
)
from orchestrix.core.eventsourcing.personal_keys import (
    AsyncKeyStore,
    Cipher,
    DataKey,
    KeyStore,
    StoredKeys,
)
from orchestrix.core.messaging._plans import plan
from orchestrix.core.messaging.codec import decode_columns
from orchestrix.core.messaging.jsonio import dump_json, load_json
from orchestrix.core.messaging.message import Event
from orchestrix.core.messaging.personal import (
    REDACTED,
    SEALED,
    Opener,
    Sealer,
    sealed_subjects,
    subject_id,
)

_STATE_PREFIXES = ('{"$sealed":', b'{"$sealed":')


def _context(subject: str, field: str) -> bytes:
    return f"{subject}\x00{field}".encode()


def _state_context(subject: str, stream_id: str) -> bytes:
    return _context(subject, f"$snapshot:{stream_id}")


@dataclass(frozen=True)
class _Protection:
    """What both twins share: the cipher and every step that needs no key-store call."""

    cipher: Cipher

    def writing_subjects(self, events: Sequence[Event]) -> set[str]:
        """The subjects whose keys a save of `events` needs."""
        found: set[str] = set()
        for event in events:
            for name, subject_field in plan(type(event)).personal:
                if getattr(event, name) is not REDACTED:
                    value = getattr(event, subject_field)
                    if isinstance(value, uuid.UUID):
                        value = str(value)  # as the codec stores it
                    found.add(subject_id(value, f"{type(event).__qualname__}.{subject_field}"))
        return found

    def fresh_keys(self, subjects: Collection[str], stored: StoredKeys) -> dict[str, bytes]:
        """New wrapped keys for the subjects without one; `SubjectErasedError` for erased."""
        self.refuse_erased(subjects, stored)
        return {
            subject: self.cipher.wrap_key(subject, self.cipher.new_key())
            for subject in sorted(set(subjects) - stored.keys())
        }

    @staticmethod
    def refuse_erased(subjects: Collection[str], stored: StoredKeys) -> None:
        for subject in sorted(subjects):
            if subject in stored and stored[subject] is None:
                raise SubjectErasedError(subject)

    def sealer(self, stored: StoredKeys) -> Sealer:
        unwrapped = _Unwrapped(self.cipher, stored)

        def seal(subject: str, field: str, plaintext: bytes) -> str:
            key = unwrapped.key(subject)
            if key is None:
                raise SubjectErasedError(subject)
            return base64.b64encode(key.encrypt(plaintext, _context(subject, field))).decode()

        return seal

    def opener(self, stored: StoredKeys) -> Opener:
        unwrapped = _Unwrapped(self.cipher, stored)

        def open_token(subject: str, field: str, token: str) -> bytes | None:
            key = unwrapped.key(subject)
            if key is None:
                return None
            return key.decrypt(_token_bytes(token), _context(subject, field))

        return open_token

    def seal_state(self, stream_id: str, state: bytes, stored: StoredKeys) -> bytes:
        """The snapshot state sealed with the key of every subject of the stream, one layer
        each, or as it is when the stream holds no personal data."""
        if not stored:
            return state
        subjects = sorted(stored)
        self.refuse_erased(subjects, stored)
        unwrapped = _Unwrapped(self.cipher, stored)
        blob = state
        for subject in subjects:
            key = unwrapped.key(subject)
            assert key is not None  # erased subjects were refused above
            blob = key.encrypt(blob, _state_context(subject, stream_id))
        sealed = {"subjects": subjects, "state": base64.b64encode(blob).decode()}
        return dump_json({SEALED: sealed})

    def open_state(self, stream_id: str, raw: Any, stored: StoredKeys) -> bytes:
        """A sealed snapshot state opened; `EventDecodingError` when a subject's key is gone
        (the repository then replays the events)."""
        subjects, blob = _sealed_state(raw)
        unwrapped = _Unwrapped(self.cipher, stored)
        for subject in reversed(subjects):
            key = unwrapped.key(subject)
            if key is None:
                raise EventDecodingError(
                    f"The snapshot of {stream_id!r} holds personal data of an erased subject"
                )
            blob = key.decrypt(blob, _state_context(subject, stream_id))
        return blob


def state_subjects(raw: Any) -> list[str] | None:
    """The subjects a stored snapshot state is sealed for; None if it is not sealed."""
    if not raw.startswith(_STATE_PREFIXES[type(raw) is bytes]):
        return None
    return _sealed_state(raw)[0]


def _sealed_state(raw: Any) -> tuple[list[str], bytes]:
    entry = load_json(raw).get(SEALED)
    try:
        subjects, state = entry["subjects"], entry["state"]
        if not all(type(subject) is str for subject in subjects):
            raise TypeError(subjects)
        return list(subjects), _token_bytes(state)
    except (TypeError, KeyError) as error:
        raise EventDecodingError(f"Damaged sealed snapshot state: {error!r}") from None


class _Unwrapped:
    """The data keys of one batch, unwrapped on first use."""

    def __init__(self, cipher: Cipher, stored: StoredKeys) -> None:
        self._cipher, self._stored, self._keys = cipher, stored, dict[str, DataKey]()

    def key(self, subject: str) -> DataKey | None:
        key = self._keys.get(subject)
        if key is None:
            wrapped = self._stored.get(subject)
            if wrapped is None:
                return None
            key = self._keys[subject] = self._cipher.unwrap_key(subject, wrapped)
        return key


def _token_bytes(token: object) -> bytes:
    try:
        return base64.b64decode(token, validate=True)  # type: ignore[arg-type]
    except (binascii.Error, TypeError, ValueError) as error:
        raise TamperedDataError(f"A sealed value is not valid base64: {error}") from None


def _payload_subjects(payloads: Sequence[Any]) -> set[str]:
    return {subject for raw in payloads for subject in sealed_subjects(raw)}


@dataclass(frozen=True)
class PersonalData(_Protection):
    """Personal-data protection for sync stores (memory, SQLite): a key store and a cipher."""

    key_store: KeyStore

    def __init__(self, key_store: KeyStore, cipher: Cipher) -> None:
        object.__setattr__(self, "cipher", cipher)
        object.__setattr__(self, "key_store", key_store)

    def sealer_for(self, stream_id: str, events: Sequence[Event]) -> Sealer:
        """The sealer of a save of `events` to `stream_id`: creates the keys it needs."""
        subjects = self.writing_subjects(events)
        if not subjects:
            return self.sealer({})
        stored = self.key_store.claim(stream_id, subjects)
        fresh = self.fresh_keys(subjects, stored)
        if fresh:
            stored = self.key_store.add(fresh)
            self.refuse_erased(subjects, stored)  # erased meanwhile
        return self.sealer(stored)

    def decode_columns(
        self,
        payloads: Sequence[Any],
        schema_versions: Sequence[int],
        type_names: Sequence[str],
        hints: Sequence[str | None],
    ) -> list[Event]:
        """`codec.decode_columns` with the batch's sealed fields opened."""
        subjects = _payload_subjects(payloads)
        opener = self.opener(self.key_store.find(subjects)) if subjects else None
        return decode_columns(payloads, schema_versions, type_names, hints, opener)

    def seal_snapshot(self, stream_id: str, state: bytes) -> bytes:
        return self.seal_state(stream_id, state, self.key_store.subjects_of(stream_id))

    def open_snapshot(self, stream_id: str, raw: Any) -> Any:
        subjects = state_subjects(raw)
        if subjects is None:
            return raw
        return self.open_state(stream_id, raw, self.key_store.find(subjects))


@dataclass(frozen=True)
class AsyncPersonalData(_Protection):
    """Personal-data protection for async stores (PostgreSQL): an async key store and a cipher."""

    key_store: AsyncKeyStore

    def __init__(self, key_store: AsyncKeyStore, cipher: Cipher) -> None:
        object.__setattr__(self, "cipher", cipher)
        object.__setattr__(self, "key_store", key_store)

    async def sealer_for(self, stream_id: str, events: Sequence[Event]) -> Sealer:
        subjects = self.writing_subjects(events)
        if not subjects:
            return self.sealer({})
        stored = await self.key_store.claim(stream_id, subjects)
        fresh = self.fresh_keys(subjects, stored)
        if fresh:
            stored = await self.key_store.add(fresh)
            self.refuse_erased(subjects, stored)
        return self.sealer(stored)

    async def opener_for(self, payloads: Sequence[Any]) -> Opener | None:
        """The opener of a batch of stored payloads (None when none has sealed fields)."""
        subjects = _payload_subjects(payloads)
        return self.opener(await self.key_store.find(subjects)) if subjects else None

    async def seal_snapshot(self, stream_id: str, state: bytes) -> bytes:
        return self.seal_state(stream_id, state, await self.key_store.subjects_of(stream_id))

    async def open_snapshot(self, stream_id: str, raw: Any) -> Any:
        subjects = state_subjects(raw)
        if subjects is None:
            return raw
        return self.open_state(stream_id, raw, await self.key_store.find(subjects))


__all__ = ["AsyncPersonalData", "PersonalData", "state_subjects"]
