"""The ports of personal-data protection: where data keys are kept, and what encrypts with them.

A key store keeps one data key per data subject, wrapped (encrypted) by the cipher's master
key, and notes which streams hold each subject's data (so snapshots of those streams can be
sealed for them). Erasing a subject deletes its key for good and keeps only the fact and time
of the erasure, so no new key is ever made for it. The memory, SQLite and PostgreSQL key
stores implement `KeyStore` or `AsyncKeyStore`; the cipher is `orchestrix.infrastructure.crypto`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Protocol

from orchestrix.core.common.validation import ValidationError

type StoredKeys = dict[str, bytes | None]
"""Known subjects and their wrapped data keys; None for a subject that was erased."""
type Rewrap = Callable[[str, bytes], bytes | None]
"""(subject id, wrapped key) -> the key wrapped by the current master key, or None if it is."""


class DataKey(Protocol):
    """One subject's data key, ready to use. `context` binds a value to its subject and field."""

    def encrypt(self, plaintext: bytes, context: bytes) -> bytes: ...

    def decrypt(self, ciphertext: bytes, context: bytes) -> bytes:
        """The plaintext; `TamperedDataError` if the ciphertext or its context was changed."""
        ...


class Cipher(Protocol):
    """Makes data keys, wraps them with the master key for storing, and unwraps them."""

    def new_key(self) -> bytes:
        """A fresh random data key."""
        ...

    def wrap_key(self, subject_id: str, key: bytes) -> bytes:
        """`key` encrypted with the master key, for storing."""
        ...

    def unwrap_key(self, subject_id: str, wrapped: bytes) -> DataKey:
        """The data key `wrap_key` wrapped; `MasterKeyError` if no master key of this cipher
        wrapped it, `TamperedDataError` if it was changed."""
        ...


class KeyStore(Protocol):
    """One wrapped data key per data subject (sync stores: memory, SQLite)."""

    def find(self, subjects: Collection[str]) -> StoredKeys:
        """The keys of those subjects it knows (None for erased ones)."""
        ...

    def claim(self, stream_id: str, subjects: Collection[str]) -> StoredKeys:
        """Note that `stream_id` holds data of `subjects`; then `find(subjects)`."""
        ...

    def add(self, keys: Mapping[str, bytes]) -> StoredKeys:
        """Keep each new key unless its subject has one or was erased; then `find`."""
        ...

    def subjects_of(self, stream_id: str) -> StoredKeys:
        """The subjects whose data the stream holds, and their keys."""
        ...

    def streams_of(self, subject_id: str) -> list[str]:
        """The streams holding data of the subject, in name order."""
        ...

    def erase(self, subject_id: str) -> datetime:
        """Delete the subject's key for good; returns when it was first erased (the same on
        every later call). `UnknownSubjectError` if the subject never had a key."""
        ...

    def rewrap(self, rewrap: Rewrap) -> int:
        """Replace every live key by `rewrap(subject, wrapped)` where that returns one
        (rotating the master key: `cipher.rewrap_key`); returns how many were replaced."""
        ...


class AsyncKeyStore(Protocol):
    """`KeyStore` for async stores (PostgreSQL)."""

    async def find(self, subjects: Collection[str]) -> StoredKeys: ...

    async def claim(self, stream_id: str, subjects: Collection[str]) -> StoredKeys: ...

    async def add(self, keys: Mapping[str, bytes]) -> StoredKeys: ...

    async def subjects_of(self, stream_id: str) -> StoredKeys: ...

    async def streams_of(self, subject_id: str) -> list[str]: ...

    async def erase(self, subject_id: str) -> datetime: ...

    async def rewrap(self, rewrap: Rewrap) -> int: ...


def validate_subject_id(subject_id: object) -> str:
    """A subject id must be non-empty text without NUL characters."""
    if type(subject_id) is not str or not subject_id or "\x00" in subject_id:
        raise ValidationError("must be non-empty text without NUL", "subject_id", subject_id)
    return subject_id


__all__ = [
    "AsyncKeyStore",
    "Cipher",
    "DataKey",
    "KeyStore",
    "Rewrap",
    "StoredKeys",
    "validate_subject_id",
]
