"""Migration 0003 upgrades saga states written in the shape of migration 0002."""

from __future__ import annotations

import asyncpg
import pytest

from orchestrix.core.execution.saga_state import SagaStatus
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool, PoolConfig
from orchestrix.infrastructure.postgres.saga_state_store import PostgreSQLSagaStateStore
from orchestrix.infrastructure.postgres.schema import MIGRATIONS
from test.components.orchestrix.infrastructure.postgres.conftest import SchemaFactory

pytestmark = pytest.mark.postgres


async def test_a_saga_saved_before_0003_loads_after_it(
    postgres_dsn: str, new_schema: SchemaFactory
) -> None:
    schema = new_schema()
    connection = await asyncpg.connect(postgres_dsn)
    try:
        async with connection.transaction():
            await connection.execute(f'CREATE SCHEMA "{schema}"')
            await connection.execute(f'SET LOCAL search_path TO "{schema}"')
            await connection.execute(
                "CREATE TABLE schema_version (version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            for migration in MIGRATIONS[:2]:
                await connection.execute(migration.sql)
                await connection.execute(
                    "INSERT INTO schema_version (version, name) VALUES ($1, $2)",
                    migration.version,
                    migration.name,
                )
            await connection.execute(
                """
                INSERT INTO saga_states VALUES ('old', 'order', 'in_progress', 1,
                    '{"reserve": "completed", "charge": "pending"}',
                    '{"reserve": {"reservation": "R-1"}}', '{"order_id": "ORD-1"}', NULL,
                    now(), now())
                """
            )
    finally:
        await connection.close()

    pool = ConnectionPool(postgres_dsn, PoolConfig(min_size=1, max_size=2))
    store = PostgreSQLSagaStateStore(pool, schema)
    try:
        await store.initialize()
        state = await store.load_state("old")
    finally:
        await pool.close()
    assert state is not None
    assert state.status is SagaStatus.IN_PROGRESS and state.version == 1
    assert state.current_step_index == 1
    assert state.context == {"order_id": "ORD-1"}
    statuses = {name: step.status for name, step in state.step_statuses.items()}
    assert statuses == {"reserve": "completed", "charge": "pending"}
    assert state.step_statuses["reserve"].result == {"reservation": "R-1"}
