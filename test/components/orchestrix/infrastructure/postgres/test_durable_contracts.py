"""The PostgreSQL store keeps class identities, reads older rows, survives snapshot damage."""

from __future__ import annotations

import asyncpg
import pytest

from orchestrix.core.eventsourcing.aggregate import AggregateRepository
from orchestrix.infrastructure.postgres.schema import MIGRATIONS
from test.components.orchestrix.infrastructure.postgres.conftest import SchemaFactory, StoreOpener
from test.contracts.event_store import AsyncStoreUnderTest, everything_event
from test.contracts.snapshot_damage import Damage, DamageCounter, SnapshotDamageContract
from test.contracts.type_names import PREVIOUS_FORMAT, Durable, TypeNameContract

pytestmark = pytest.mark.postgres

# Rows written before payloads became exact JSON went through jsonb: store them that way.
INSERT = """
    INSERT INTO "{schema}".events (stream_id, version, event_id, event_type, schema_version,
        occurred_at, payload {hint_column})
    VALUES ($1, 1, $2, $3, 1, now(), $4::jsonb {hint})
"""


class TestPostgreSQLTypeNames(TypeNameContract):
    @pytest.fixture
    async def durable(self, open_store: StoreOpener, raw: asyncpg.Connection) -> Durable:
        store = await open_store()

        async def insert_raw(stream: str, event_type: str, hint: str | None, payload: str) -> None:
            sql = INSERT.format(schema=store.schema, hint_column=", type_hint", hint=", $5")
            await raw.execute(sql, stream, f"raw-{stream}", event_type, payload, hint)

        return AsyncStoreUnderTest(store), insert_raw


@pytest.mark.parametrize("applied", [2, 4], ids=["at-0002", "at-0004"])
async def test_a_schema_of_an_earlier_release_is_migrated_and_loads(
    open_store: StoreOpener, new_schema: SchemaFactory, raw: asyncpg.Connection, applied: int
) -> None:
    """Payloads written as jsonb before migration 0006 (by the first schema, or one already
    at the log clock's 0004) load after it, and the column becomes exact JSON text."""
    schema = new_schema()
    async with raw.transaction():
        await raw.execute(f'CREATE SCHEMA "{schema}"; SET LOCAL search_path TO "{schema}"')
        await raw.execute(
            "CREATE TABLE schema_version (version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for migration in MIGRATIONS[:applied]:
            await raw.execute(migration.sql)
            await raw.execute(
                "INSERT INTO schema_version VALUES ($1, $2)", migration.version, migration.name
            )
        sql = INSERT.format(schema=schema, hint_column="", hint="")
        await raw.execute(sql, "old", "raw-old", "ContractEverything", PREVIOUS_FORMAT)
    store = await open_store(schema=schema)
    (loaded,) = await store.load("old")
    assert loaded.id == "00000000-0000-4000-8000-000000000001"
    assert loaded.amount == everything_event().amount  # type: ignore[attr-defined]
    kind = await raw.fetchval(
        "SELECT data_type FROM information_schema.columns WHERE table_schema = $1"
        " AND table_name = 'events' AND column_name = 'payload'",
        schema,
    )
    assert kind == "json"


class TestPostgreSQLSnapshotDamage(SnapshotDamageContract):
    unusable_states = ("[1, 2]", "null", '"text"', '{"total": "x"}')  # the column takes JSON only

    @pytest.fixture
    async def damage(self, open_store: StoreOpener, raw: asyncpg.Connection) -> Damage:
        store = await open_store()
        table = f'"{store.schema}".snapshots'

        async def break_snapshots() -> None:
            await raw.execute(f"DROP TABLE {table}")

        async def write_state(aggregate_id: str, state: str) -> None:
            await raw.execute(
                f"""INSERT INTO {table} VALUES ($1, 'DamageCounter', 1, 1, $2::json, now())
                ON CONFLICT (aggregate_id) DO UPDATE SET state = excluded.state""",
                aggregate_id,
                state,
            )

        return store, break_snapshots, write_state


async def test_a_connection_dropped_while_the_snapshot_is_written_is_not_raised(
    open_store: StoreOpener, raw: asyncpg.Connection
) -> None:
    """The server ends the connection in the middle of each snapshot write (a trigger makes
    the backend terminate itself), after the events committed on that same connection."""
    store = await open_store(pool_min_size=1, pool_max_size=1)
    schema = f'"{store.schema}"'
    await raw.execute(
        f"""CREATE FUNCTION {schema}.drop_connection() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$;
        CREATE TRIGGER drop_connection BEFORE INSERT OR UPDATE ON {schema}.snapshots
            FOR EACH ROW EXECUTE FUNCTION {schema}.drop_connection()"""
    )
    repository = AggregateRepository[DamageCounter](store, snapshot_every=1)
    counter = DamageCounter(aggregate_id="c")
    for amount, failures in ((100, 1), (50, 2)):
        counter.add(amount)
        await repository.save_async(counter)  # committed: must not raise
        assert repository.snapshot_failures == failures
    assert [event.by for event in await store.load("c")] == [100, 50]  # type: ignore[attr-defined]
    assert (await repository.load_async(DamageCounter, "c")).total == 150
    assert await store.load_snapshot_async("c") is None
