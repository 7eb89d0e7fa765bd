"""Data keys of personal-data protection in process memory, with the durable stores' rules."""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from datetime import UTC, datetime

from orchestrix.core.common.exceptions import UnknownSubjectError
from orchestrix.core.eventsourcing.personal_keys import Rewrap, StoredKeys, validate_subject_id


class InMemoryKeyStore:
    """`KeyStore` in dicts behind a lock; an erased key is dropped from memory at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, bytes] = {}
        self._erased: dict[str, datetime] = {}
        self._streams: dict[str, set[str]] = {}  # subject -> streams

    def find(self, subjects: Collection[str]) -> StoredKeys:
        with self._lock:
            return self._find(subjects)

    def _find(self, subjects: Collection[str]) -> StoredKeys:
        found: StoredKeys = {s: self._keys[s] for s in subjects if s in self._keys}
        found.update((s, None) for s in subjects if s in self._erased)
        return found

    def claim(self, stream_id: str, subjects: Collection[str]) -> StoredKeys:
        with self._lock:
            for subject in subjects:
                self._streams.setdefault(validate_subject_id(subject), set()).add(stream_id)
            return self._find(subjects)

    def add(self, keys: Mapping[str, bytes]) -> StoredKeys:
        with self._lock:
            for subject, wrapped in keys.items():
                if subject not in self._erased:
                    self._keys.setdefault(validate_subject_id(subject), bytes(wrapped))
            return self._find(keys)

    def subjects_of(self, stream_id: str) -> StoredKeys:
        with self._lock:
            subjects = [s for s, streams in self._streams.items() if stream_id in streams]
            return self._find(subjects)

    def streams_of(self, subject_id: str) -> list[str]:
        with self._lock:
            return sorted(self._streams.get(subject_id, ()))

    def erase(self, subject_id: str) -> datetime:
        validate_subject_id(subject_id)
        with self._lock:
            if subject_id not in self._erased:
                if self._keys.pop(subject_id, None) is None:
                    raise UnknownSubjectError(subject_id)
                self._erased[subject_id] = datetime.now(UTC)
            return self._erased[subject_id]

    def rewrap(self, rewrap: Rewrap) -> int:
        with self._lock:
            fresh = {s: rewrap(s, wrapped) for s, wrapped in self._keys.items()}
            changed = {s: wrapped for s, wrapped in fresh.items() if wrapped is not None}
            self._keys.update(changed)
            return len(changed)


__all__ = ["InMemoryKeyStore"]
