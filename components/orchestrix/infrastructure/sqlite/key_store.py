"""Data keys of personal-data protection in a SQLite file, erased beyond recovery from it.

The keys live in the feature `personal_data`'s tables, usually in the event store's file. An
erasure sets the key's column to NULL through a connection with `secure_delete` on, so SQLite
overwrites the freed bytes with zeros, then checkpoints the write-ahead log with TRUNCATE, so
no earlier page image holding the key is left in the `-wal` file either. What the file system
or a backup kept of older copies of the file is beyond the database's reach (see the guide).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from orchestrix.core.common.exceptions import UnknownSubjectError
from orchestrix.core.common.logging import get_logger
from orchestrix.core.eventsourcing.personal_keys import Rewrap, StoredKeys, validate_subject_id
from orchestrix.core.messaging.jsonio import dump_json
from orchestrix.infrastructure.sqlite._driver import (
    DriverErrors,
    Synchronous,
    connect,
    immediate_transaction,
)
from orchestrix.infrastructure.sqlite._feature_schema import FeatureSchema
from orchestrix.infrastructure.sqlite._times import parse_time, utc_text
from orchestrix.infrastructure.sqlite.schema import Migration

MIGRATIONS: Sequence[Migration] = (
    (  # 1: one wrapped key per subject (NULL once erased), and the streams holding their data
        """
        CREATE TABLE personal_data_keys (
            subject TEXT PRIMARY KEY,
            wrapped_key BLOB,
            created_at TEXT NOT NULL,
            erased_at TEXT,
            CHECK ((wrapped_key IS NULL) = (erased_at IS NOT NULL))
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE personal_data_streams (
            subject TEXT NOT NULL,
            stream_id TEXT NOT NULL,
            PRIMARY KEY (subject, stream_id)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX personal_data_streams_by_stream ON personal_data_streams (stream_id)",
    ),
)
PERSONAL_DATA = FeatureSchema("personal_data", MIGRATIONS)

_FIND = """
    SELECT subject, wrapped_key FROM personal_data_keys
    WHERE subject IN (SELECT value FROM json_each(?))
"""
_CLAIM = """
    INSERT OR IGNORE INTO personal_data_streams (subject, stream_id)
    SELECT value, ? FROM json_each(?)
"""
_ADD = """
    INSERT OR IGNORE INTO personal_data_keys (subject, wrapped_key, created_at) VALUES (?, ?, ?)
"""
_SUBJECTS_OF = """
    SELECT k.subject, k.wrapped_key FROM personal_data_streams s
    JOIN personal_data_keys k ON k.subject = s.subject WHERE s.stream_id = ?
"""
_STREAMS_OF = "SELECT stream_id FROM personal_data_streams WHERE subject = ? ORDER BY stream_id"
_STATE = "SELECT erased_at FROM personal_data_keys WHERE subject = ?"
_ERASE = "UPDATE personal_data_keys SET wrapped_key = NULL, erased_at = ? WHERE subject = ?"
_LIVE = "SELECT subject, wrapped_key FROM personal_data_keys WHERE wrapped_key IS NOT NULL"
_REWRAP = "UPDATE personal_data_keys SET wrapped_key = ? WHERE subject = ?"
_logger = get_logger(__name__)


class SQLiteKeyStore:
    """`KeyStore` in a SQLite file (or `":memory:"`); one connection behind a lock."""

    def __init__(self, path: str | os.PathLike[str], *, synchronous: Synchronous = "FULL") -> None:
        self._lock = threading.Lock()
        self._connection = connect(path, synchronous, PERSONAL_DATA.migrate, "key store")
        self._connection.execute("PRAGMA secure_delete = ON")

    def find(self, subjects: Collection[str]) -> StoredKeys:
        with self._lock, DriverErrors("Cannot read data keys"):
            return self._find(subjects)

    def _find(self, subjects: Collection[str]) -> StoredKeys:
        return dict(self._connection.execute(_FIND, (_json_list(subjects),)).fetchall())

    def claim(self, stream_id: str, subjects: Collection[str]) -> StoredKeys:
        for subject in subjects:
            validate_subject_id(subject)
        with self._lock, DriverErrors("Cannot record the subjects of a stream"):
            with immediate_transaction(self._connection):
                self._connection.execute(_CLAIM, (stream_id, _json_list(subjects)))
            return self._find(subjects)

    def add(self, keys: Mapping[str, bytes]) -> StoredKeys:
        now = utc_text(datetime.now(UTC))
        rows = [(validate_subject_id(s), bytes(wrapped), now) for s, wrapped in keys.items()]
        with self._lock, DriverErrors("Cannot store data keys"):
            with immediate_transaction(self._connection):
                self._connection.executemany(_ADD, rows)
            return self._find(keys)

    def subjects_of(self, stream_id: str) -> StoredKeys:
        with self._lock, DriverErrors("Cannot read the subjects of a stream"):
            return dict(self._connection.execute(_SUBJECTS_OF, (stream_id,)).fetchall())

    def streams_of(self, subject_id: str) -> list[str]:
        with self._lock, DriverErrors("Cannot read the streams of a subject"):
            rows = self._connection.execute(_STREAMS_OF, (subject_id,)).fetchall()
        return [stream for (stream,) in rows]

    def erase(self, subject_id: str) -> datetime:
        validate_subject_id(subject_id)
        with self._lock, DriverErrors(f"Cannot erase data subject {subject_id!r}"):
            connection = self._connection
            with immediate_transaction(connection):
                row = connection.execute(_STATE, (subject_id,)).fetchone()
                if row is None:
                    raise UnknownSubjectError(subject_id)
                erased_at = row[0] or utc_text(datetime.now(UTC))
                if row[0] is None:
                    connection.execute(_ERASE, (erased_at, subject_id))
            self._truncate_log()
        moment = parse_time(erased_at)
        assert moment is not None
        return moment

    def rewrap(self, rewrap: Rewrap) -> int:
        with self._lock, DriverErrors("Cannot rewrap data keys"):
            connection, count = self._connection, 0
            with immediate_transaction(connection):
                for subject, wrapped in connection.execute(_LIVE).fetchall():
                    fresh = rewrap(subject, wrapped)
                    if fresh is not None:
                        connection.execute(_REWRAP, (fresh, subject))
                        count += 1
            self._truncate_log()  # no copy wrapped by the old master key stays in the log
        return count

    def _truncate_log(self) -> None:
        """Copy the log into the file and empty it, so no old page image keeps the key."""
        busy, _, _ = self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            _logger.warning(
                "The key is erased, but a reader kept the write-ahead log from being emptied; "
                "its old copy stays in the -wal file until the next checkpoint"
            )

    def close(self) -> None:
        """Close the connection; closing twice is harmless."""
        with self._lock, DriverErrors("Cannot close the key store"):
            self._connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _json_list(items: Collection[str]) -> str:
    return dump_json(list(items)).decode()


__all__ = ["MIGRATIONS", "PERSONAL_DATA", "SQLiteKeyStore"]
