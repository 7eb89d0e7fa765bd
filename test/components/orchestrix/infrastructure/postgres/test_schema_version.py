"""`applied_versions` reads what migrating applied; `migrate_database` returns what it applied."""

from __future__ import annotations

import asyncpg

from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool, PoolConfig
from orchestrix.infrastructure.postgres.schema import (
    MIGRATIONS,
    applied_versions,
    migrate_database,
)
from test.components.orchestrix.infrastructure.postgres.conftest import SchemaFactory


async def test_versions_before_and_after_migrating(
    postgres_dsn: str, new_schema: SchemaFactory, raw: asyncpg.Connection
) -> None:
    schema = new_schema()
    async with ConnectionPool(postgres_dsn, PoolConfig(min_size=1)) as pool:
        assert await applied_versions(pool, schema) == set()
        exists = "SELECT count(*) FROM pg_namespace WHERE nspname = $1"
        assert await raw.fetchval(exists, schema) == 0  # reading created nothing
        everything = [migration.version for migration in MIGRATIONS]
        assert await migrate_database(postgres_dsn, schema) == everything
        assert await migrate_database(postgres_dsn, schema) == []
        assert await applied_versions(pool, schema) == set(everything)
