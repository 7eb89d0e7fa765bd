"""Creating and upgrading the schema: the SQL files shipped in `migrations/`, applied in order.

`migrate` runs in one transaction under an advisory lock keyed by the schema name, so any
number of processes may start at once: the first applies what is missing, the others wait and
find nothing left to do. Applied versions are recorded in the `schema_version` table. It also
checks the log clock (`_log_clock`), so a database restored on another server keeps its
global order. `migrate_database` is the same for a connection string (the `db migrate`
command); every store's `initialize()` runs it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

from orchestrix.core.common.exceptions import StoreError
from orchestrix.infrastructure.postgres import _log_clock
from orchestrix.infrastructure.postgres._errors import raise_translated
from orchestrix.infrastructure.postgres._identifiers import quote_schema
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool

_FILE_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True, slots=True)
class Migration:
    """One versioned SQL file."""

    version: int
    name: str
    sql: str


def load_migrations() -> tuple[Migration, ...]:
    """The shipped migrations in version order; versions must run 1, 2, 3, ... without gaps."""
    found = []
    for entry in resources.files("orchestrix.infrastructure.postgres.migrations").iterdir():
        match = _FILE_NAME.fullmatch(entry.name)
        if match is not None:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    if [migration.version for migration in found] != list(range(1, len(found) + 1)):
        raise StoreError(f"Migration files are not numbered 1..n: {[m.version for m in found]}")
    return tuple(found)


MIGRATIONS = load_migrations()


async def migrate(connection: asyncpg.Connection, schema: str = "orchestrix") -> list[int]:
    """Bring `schema` up to the latest version; returns the versions this call applied."""
    applied, _ = await _migrate(connection, schema)
    return applied


async def migrate_database(connection_string: str, schema: str = "orchestrix") -> list[int]:
    """`migrate` over a connection of its own: what `orchestrix db migrate` runs."""
    try:
        connection = await asyncpg.connect(connection_string)
    except Exception as error:
        raise_translated(error, "connecting")
    try:
        return await migrate(connection, schema)
    except Exception as error:
        raise_translated(error, f"migrating schema {schema!r}")
    finally:
        await connection.close()


async def _migrate(connection: asyncpg.Connection, schema: str) -> tuple[list[int], int]:
    """Apply the missing migrations and check the log clock; returns the versions applied
    and the transaction id offset of the log."""
    quoted = quote_schema(schema)
    async with connection.transaction():
        await connection.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"orchestrix:{schema}"
        )
        await connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
        await connection.execute(f"SET LOCAL search_path TO {quoted}")
        await connection.execute(_VERSION_TABLE)
        applied = {row[0] for row in await connection.fetch("SELECT version FROM schema_version")}
        newer = {version for version in applied if version > len(MIGRATIONS)}
        if newer:
            raise StoreError(
                f"Schema {schema!r} is at version {max(newer)}, newer than this Orchestrix "
                f"knows ({len(MIGRATIONS)}); upgrade Orchestrix before using it"
            )
        done = []
        for migration in MIGRATIONS:
            if migration.version not in applied:
                await connection.execute(migration.sql)
                await connection.execute(
                    "INSERT INTO schema_version (version, name) VALUES ($1, $2)",
                    migration.version,
                    migration.name,
                )
                done.append(migration.version)
        return done, await _log_clock.check(connection, schema, quoted)


async def prepare(pool: ConnectionPool, schema: str) -> int:
    """Open `pool` if needed and migrate `schema` through it, as every store's `initialize()`
    does; returns the log's transaction id offset (for the event store's statements)."""
    await pool.initialize()
    try:
        async with pool.acquire() as connection:
            _, offset = await _migrate(connection, schema)
    except Exception as error:
        raise_translated(error, f"migrating schema {schema!r}")
    return offset


async def applied_versions(pool: ConnectionPool, schema: str) -> set[int]:
    """The versions recorded in `schema` (none when it has no version table); reads only, so
    tools can tell what `migrate` would do without doing it."""
    await pool.initialize()
    table = f"{quote_schema(schema)}.schema_version"
    try:
        async with pool.acquire() as connection:
            if await connection.fetchval("SELECT to_regclass($1)", table) is None:
                return set()
            return {row[0] for row in await connection.fetch(f"SELECT version FROM {table}")}
    except Exception as error:
        raise_translated(error, f"reading the schema version of {schema!r}")


__all__ = [
    "MIGRATIONS",
    "Migration",
    "applied_versions",
    "load_migrations",
    "migrate",
    "migrate_database",
    "prepare",
]
