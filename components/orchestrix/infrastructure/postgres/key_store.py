"""Data keys of personal-data protection in PostgreSQL (`personal_data_keys`, migration 7).

An erasure sets the key to NULL in one statement. PostgreSQL keeps the old row version as a
dead tuple until VACUUM reclaims its space, and the write-ahead log keeps it until its segments
are recycled; `vacuum()` runs `VACUUM FULL` on the keys table, which rewrites it into a new
file without the dead versions (see the personal-data guide for what stays elsewhere).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from orchestrix.core.common.exceptions import UnknownSubjectError
from orchestrix.core.eventsourcing.personal_keys import Rewrap, StoredKeys, validate_subject_id
from orchestrix.infrastructure.postgres._errors import raise_translated
from orchestrix.infrastructure.postgres._identifiers import quote_schema
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool
from orchestrix.infrastructure.postgres.schema import prepare


class PostgreSQLKeyStore:
    """`AsyncKeyStore` on the `personal_data_keys` and `personal_data_streams` tables."""

    def __init__(self, pool: ConnectionPool, schema: str = "orchestrix") -> None:
        quoted = quote_schema(schema)
        keys, streams = f"{quoted}.personal_data_keys", f"{quoted}.personal_data_streams"
        self.pool = pool
        self.schema = schema
        self._keys_table = keys
        self._find = f"SELECT subject, wrapped_key FROM {keys} WHERE subject = ANY($1::text[])"
        self._claim = f"""
            WITH claimed AS (
                INSERT INTO {streams} (subject, stream_id) SELECT unnest($2::text[]), $1
                ON CONFLICT DO NOTHING
            )
            SELECT subject, wrapped_key FROM {keys} WHERE subject = ANY($2::text[])
        """
        self._add = f"""
            INSERT INTO {keys} (subject, wrapped_key)
            SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT DO NOTHING
        """
        self._subjects_of = f"""
            SELECT k.subject, k.wrapped_key FROM {streams} s
            JOIN {keys} k ON k.subject = s.subject WHERE s.stream_id = $1
        """
        self._streams_of = f"SELECT stream_id FROM {streams} WHERE subject = $1 ORDER BY 1"
        self._erase = f"""
            UPDATE {keys} SET wrapped_key = NULL, erased_at = now()
            WHERE subject = $1 AND erased_at IS NULL RETURNING erased_at
        """
        self._erased_at = f"SELECT erased_at FROM {keys} WHERE subject = $1"
        self._live = f"SELECT subject, wrapped_key FROM {keys} WHERE wrapped_key IS NOT NULL"
        self._rewrap = f"""
            UPDATE {keys} AS k SET wrapped_key = n.fresh
            FROM unnest($1::text[], $2::bytea[], $3::bytea[]) AS n(subject, old, fresh)
            WHERE k.subject = n.subject AND k.wrapped_key = n.old
        """

    async def initialize(self) -> None:
        """Open the pool if needed and bring the schema up to date."""
        await prepare(self.pool, self.schema)

    async def find(self, subjects: Collection[str]) -> StoredKeys:
        return await self._fetch_keys(self._find, "reading data keys", list(subjects))

    async def claim(self, stream_id: str, subjects: Collection[str]) -> StoredKeys:
        names = [validate_subject_id(subject) for subject in subjects]
        return await self._fetch_keys(
            self._claim, "recording the subjects of a stream", stream_id, names
        )

    async def add(self, keys: Mapping[str, bytes]) -> StoredKeys:
        subjects = [validate_subject_id(subject) for subject in keys]
        try:
            async with self.pool.acquire() as connection:
                await connection.execute(self._add, subjects, [bytes(k) for k in keys.values()])
        except Exception as error:
            raise_translated(error, "storing data keys")
        return await self.find(subjects)  # a new snapshot: sees keys a racing writer added

    async def subjects_of(self, stream_id: str) -> StoredKeys:
        return await self._fetch_keys(
            self._subjects_of, "reading the subjects of a stream", stream_id
        )

    async def streams_of(self, subject_id: str) -> list[str]:
        try:
            async with self.pool.acquire() as connection:
                rows = await connection.fetch(self._streams_of, subject_id)
        except Exception as error:
            raise_translated(error, "reading the streams of a subject")
        return [row[0] for row in rows]

    async def erase(self, subject_id: str) -> datetime:
        validate_subject_id(subject_id)
        try:
            async with self.pool.acquire() as connection:
                erased_at: datetime | None = await connection.fetchval(self._erase, subject_id)
                if erased_at is None:  # erased before, or never known
                    erased_at = await connection.fetchval(self._erased_at, subject_id)
        except Exception as error:
            raise_translated(error, f"erasing data subject {subject_id!r}")
        if erased_at is None:
            raise UnknownSubjectError(subject_id)
        return erased_at

    async def rewrap(self, rewrap: Rewrap) -> int:
        """Keys erased meanwhile stay erased: a key is replaced only if it is still the one
        that was rewrapped."""
        try:
            async with self.pool.acquire() as connection:
                rows = await connection.fetch(self._live)
                changes = [(s, old, rewrap(s, old)) for s, old in rows]
                changed = [change for change in changes if change[2] is not None]
                status = await connection.execute(
                    self._rewrap, *([change[i] for change in changed] for i in range(3))
                )
        except Exception as error:
            raise_translated(error, "rewrapping the data keys")
        return int(status.rsplit(" ", 1)[1])

    async def vacuum(self) -> None:
        """Rewrite the keys table without the dead row versions of erased keys (`VACUUM
        FULL`: it locks the table for the moment it takes, so run it off-peak)."""
        try:
            async with self.pool.acquire() as connection:
                await connection.execute(f"VACUUM FULL {self._keys_table}")
        except Exception as error:
            raise_translated(error, "vacuuming the data keys")

    async def _fetch_keys(self, query: str, action: str, *arguments: object) -> StoredKeys:
        try:
            async with self.pool.acquire() as connection:
                rows = await connection.fetch(query, *arguments)
        except Exception as error:
            raise_translated(error, action)
        return {row[0]: row[1] for row in rows}


__all__ = ["PostgreSQLKeyStore"]
