"""PostgreSQL-specific behaviour of the event store, beyond the shared contract."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass

import asyncpg
import pytest

from orchestrix.core.common.exceptions import (
    ConcurrencyError,
    DuplicateEventError,
    EventDecodingError,
    EventEncodingError,
    StoreError,
)
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.eventsourcing.event_log import Checkpoint
from orchestrix.core.eventsourcing.snapshot import Snapshot
from orchestrix.core.messaging.codec import encode_event
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.postgres.schema import MIGRATIONS, load_migrations, migrate
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore
from test.components.orchestrix.infrastructure.postgres.conftest import SchemaFactory

pytestmark = pytest.mark.postgres

HOSTILE = "x'); DROP TABLE events; --"


@dataclass(frozen=True, kw_only=True)
class PgNoteAdded(Event):
    text: str


def note(text: str = "n", **metadata: str) -> PgNoteAdded:
    return PgNoteAdded(text=text, **metadata)  # type: ignore[arg-type]


async def insert_raw(raw: asyncpg.Connection, schema: str, stream: str, payload: str) -> None:
    """Write a row the way another program (or an older Orchestrix) might have."""
    await raw.execute(
        f"""INSERT INTO "{schema}".events (stream_id, version, event_id, event_type,
            schema_version, occurred_at, payload)
        VALUES ($1, 1, $1, CASE WHEN json_typeof($2::json) = 'object'
            THEN coalesce($2::json->>'type', 'Unknown') ELSE 'Unknown' END, 1, now(), $2::json)""",
        stream,
        payload,
    )


async def test_payload_is_exact_json_that_operators_can_query(
    store: PostgreSQLEventStore, raw: asyncpg.Connection
) -> None:
    event = note("find me", correlation_id="c-1", causation_id="k-1", trace_id="t-1")
    await store.save("q", [note("other"), event])
    row = await raw.fetchrow(
        f"""SELECT payload->>'text' AS text, pg_typeof(payload)::text AS kind, event_id,
            event_type, schema_version, correlation_id, causation_id, trace_id, occurred_at,
            recorded_at, version
        FROM "{store.schema}".events WHERE payload::jsonb @> $1::jsonb""",
        json.dumps({"text": "find me"}),
    )
    assert row is not None
    assert (row["text"], row["kind"], row["event_id"], row["version"]) == (
        "find me",
        "json",
        event.id,
        2,
    )
    assert (row["event_type"], row["schema_version"]) == ("PgNoteAdded", 1)
    assert (row["correlation_id"], row["causation_id"], row["trace_id"]) == ("c-1", "k-1", "t-1")
    assert row["occurred_at"] == event.timestamp
    assert row["recorded_at"] is not None


async def test_one_megabyte_payload_round_trips(store: PostgreSQLEventStore) -> None:
    big = note("ü🚀" * 200_000 + "end")  # 1.2 MB of UTF-8
    await store.save("big", [big], expected_version=0)
    assert await store.load("big") == [big]
    assert [recorded.event async for recorded in store.read_all()] == [big]


async def test_sql_looking_input_is_stored_as_plain_data(
    store: PostgreSQLEventStore, raw: asyncpg.Connection
) -> None:
    event = note(HOSTILE, actor_id=HOSTILE)
    await store.save(HOSTILE, [event], expected_version=0)
    assert await store.load(HOSTILE) == [event]
    assert await raw.fetchval(f'SELECT count(*) FROM "{store.schema}".events') == 1
    assert await raw.fetchval(f'SELECT stream_id FROM "{store.schema}".events') == HOSTILE


async def test_unknown_type_loads_as_plain_event_with_its_fields(
    store: PostgreSQLEventStore, raw: asyncpg.Connection
) -> None:
    payload = json.dumps(
        {
            "id": "legacy-1",
            "type": "RemovedLongAgo",
            "timestamp": "2020-01-01T00:00:00+00:00",
            "reason": "obsolete",
            "count": 3,
        }
    )
    await insert_raw(raw, store.schema, "legacy", payload)
    (loaded,) = await store.load("legacy")
    assert type(loaded) is Event
    assert (loaded.id, loaded.type) == ("legacy-1", "RemovedLongAgo")
    assert loaded.data == {"reason": "obsolete", "count": 3}
    (recorded,) = [recorded async for recorded in store.read_all()]
    assert recorded.event == loaded


async def test_undecodable_row_is_a_typed_error_and_the_store_keeps_working(
    store: PostgreSQLEventStore, raw: asyncpg.Connection
) -> None:
    await insert_raw(raw, store.schema, "broken", "[1, 2]")
    with pytest.raises(EventDecodingError):
        await store.load("broken")
    await store.save("fine", [note()])
    assert len(await store.load("fine")) == 1


async def test_nul_character_in_the_payload_is_kept(store: PostgreSQLEventStore) -> None:
    events = [note("ok"), note("a\x00b")]
    await store.save("s", events)
    assert await store.load("s") == events


@pytest.mark.parametrize("aggregate_id", ["nul\x00stream", "bad \ud800", 42, None, b"bytes"])
async def test_a_stream_id_postgres_cannot_store_is_rejected(
    store: PostgreSQLEventStore, aggregate_id: object
) -> None:
    with pytest.raises(ValidationError) as caught:
        await store.save(aggregate_id, [note()])  # type: ignore[arg-type]
    assert caught.value.field == "aggregate_id"
    with pytest.raises(ValidationError):
        await store.load(aggregate_id)  # type: ignore[arg-type]
    assert [recorded async for recorded in store.read_all()] == []


async def test_versions_must_be_integers(store: PostgreSQLEventStore) -> None:
    for bad in ("1", 1.0, True):
        with pytest.raises(ValidationError) as caught:
            await store.save("s", [note()], expected_version=bad)  # type: ignore[arg-type]
        assert caught.value.field == "expected_version"
        with pytest.raises(ValidationError) as caught:
            await store.load("s", from_version=bad)  # type: ignore[arg-type]
        assert caught.value.field == "from_version"
    assert await store.load("s") == []


@pytest.mark.parametrize("item", [{"id": "x"}, "text", None, 42])
async def test_only_events_can_be_saved(store: PostgreSQLEventStore, item: object) -> None:
    with pytest.raises(EventEncodingError):
        await store.save("s", [note(), item])  # type: ignore[list-item]
    with pytest.raises(EventEncodingError):
        await store.save("s", [item])  # type: ignore[list-item]
    assert [recorded async for recorded in store.read_all()] == []


async def test_values_json_cannot_carry_are_rejected_before_sending(
    store: PostgreSQLEventStore,
) -> None:
    with pytest.raises(EventEncodingError):
        await store.save("s", [note("fine"), note("x", correlation_id="\udfff")])
    with pytest.raises(EventEncodingError):
        await store.save_snapshot_async(Snapshot("s", "Thing", 1, {"bad": object()}))
    assert await store.load("s") == []
    assert await store.load_snapshot_async("s") is None


async def test_driver_errors_are_kept_as_cause(store: PostgreSQLEventStore) -> None:
    event = note()
    await store.save("a", [event])
    with pytest.raises(DuplicateEventError) as duplicate:
        await store.save("b", [event])
    assert isinstance(duplicate.value.__cause__, asyncpg.UniqueViolationError)
    with pytest.raises(DuplicateEventError) as repeated:
        await store.save("c", [note("x"), note("y", id="twice"), note("z", id="twice")])
    assert repeated.value.event_id == "twice"
    assert await store.load("c") == []


async def test_concurrent_appends_without_expected_version_all_land(
    store: PostgreSQLEventStore,
) -> None:
    events = [note(str(i)) for i in range(30)]
    await asyncio.gather(*(store.save("shared", [event]) for event in events))
    loaded = await store.load("shared")
    assert sorted(event.id for event in loaded) == sorted(event.id for event in events)


async def test_constraint_race_reports_the_actual_version(store: PostgreSQLEventStore) -> None:
    # The writers all read head 0; all but one collide on (stream, version) in the server.
    results = await asyncio.gather(
        *(store.save("race", [note(str(i))], expected_version=0) for i in range(10)),
        return_exceptions=True,
    )
    errors = [result for result in results if isinstance(result, BaseException)]
    assert len(errors) == 9
    assert all(isinstance(error, ConcurrencyError) for error in errors)
    assert {error.actual_version for error in errors} == {1}  # type: ignore[attr-defined]


async def test_a_writer_blocked_on_the_same_version_gets_concurrency_error(
    store: PostgreSQLEventStore, raw: asyncpg.Connection
) -> None:
    async with raw.transaction():
        await insert_raw(raw, store.schema, "race", encode_event(note("first")).decode())
        # Reads head 0 (the row above is not committed), then waits on the unique index.
        loser = asyncio.create_task(store.save("race", [note("second")], expected_version=0))
        await asyncio.sleep(0.2)
        assert not loser.done()
    with pytest.raises(ConcurrencyError) as caught:
        await loser
    assert (caught.value.expected_version, caught.value.actual_version) == (0, 1)
    assert isinstance(caught.value.__cause__, asyncpg.UniqueViolationError)
    assert [event.text for event in await store.load("race")] == ["first"]  # type: ignore[attr-defined]


async def test_long_stream_loads_across_pages(store: PostgreSQLEventStore) -> None:
    events = [note(str(i)) for i in range(2500)]
    for start in range(0, 2500, 500):
        await store.save("long", events[start : start + 500], expected_version=start)
    assert await store.load("long") == events
    assert await store.load("long", from_version=1000) == events[1000:]
    assert await store.load("long", from_version=1500) == events[1500:]
    assert await store.load("long", from_version=2500) == []


async def test_versions_and_checkpoints_must_fit_in_64_bits(store: PostgreSQLEventStore) -> None:
    with pytest.raises(ValidationError) as caught:
        await store.save("s", [note()], expected_version=2**63)
    assert caught.value.field == "expected_version"
    with pytest.raises(ValidationError) as caught:
        await store.load("s", from_version=2**63)
    assert caught.value.field == "from_version"
    for after in (Checkpoint(2**63, 0), Checkpoint(0, -(2**63) - 1), (0, 0)):
        with pytest.raises(ValidationError):
            [r async for r in store.read_all(after)]  # type: ignore[arg-type]
    assert await store.load("s") == []


async def test_read_all_rejects_a_bad_batch_size(store: PostgreSQLEventStore) -> None:
    for bad in (0, -1, 1.5, "10"):
        with pytest.raises(ValidationError):
            [r async for r in store.read_all(batch_size=bad)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "schema", ["Orders", "x; DROP SCHEMA public", "", 'a"b', "pg_toast", "x" * 64, "1abc", None]
)
def test_schema_name_must_be_a_plain_identifier(schema: object) -> None:
    with pytest.raises(ValidationError) as caught:
        PostgreSQLEventStore("postgresql://localhost/test", schema=schema)  # type: ignore[arg-type]
    assert caught.value.field == "schema"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"connection_string": "mysql://localhost/db"}, "connection_string"),
        ({"pool_min_size": 5, "pool_max_size": 2}, "max_size"),
        ({"pool_min_size": -1}, "min_size"),
        ({"pool_max_size": 0, "pool_min_size": 0}, "min_size"),
        ({"pool_timeout": 0}, "timeout"),
        ({"pool_timeout": float("nan")}, "timeout"),
        ({"commit_wait": -1}, "commit_wait"),
        ({"commit_wait": "1"}, "commit_wait"),
        ({"holdback_warning": float("inf")}, "holdback_warning"),
    ],
)
def test_bad_pool_settings_are_rejected(options: dict[str, object], field: str) -> None:
    options.setdefault("connection_string", "postgresql://localhost/test")
    with pytest.raises(ValidationError) as caught:
        PostgreSQLEventStore(**options)  # type: ignore[arg-type]
    assert caught.value.field == field


async def test_use_before_initialize_is_a_clear_error(postgres_dsn: str) -> None:
    store = PostgreSQLEventStore(postgres_dsn)
    with pytest.raises(StoreError, match="initialize"):
        await store.save("s", [note()])


async def test_async_with_initializes_and_closes(
    postgres_dsn: str, new_schema: SchemaFactory
) -> None:
    async with PostgreSQLEventStore(postgres_dsn, 1, 2, schema=new_schema()) as store:
        assert await store.ping()
        await store.save("s", [note()])
    assert store.pool.get_metrics().current_size == 0


def test_migrations_ship_in_the_package() -> None:
    assert [migration.version for migration in load_migrations()] == list(
        range(1, len(MIGRATIONS) + 1)
    )
    assert all(migration.sql.strip() for migration in MIGRATIONS)


async def test_migrations_are_recorded_once_and_rerun_as_no_ops(
    store: PostgreSQLEventStore, raw: asyncpg.Connection
) -> None:
    versions = f'SELECT version FROM "{store.schema}".schema_version ORDER BY version'
    expected = [migration.version for migration in MIGRATIONS]
    assert [row[0] for row in await raw.fetch(versions)] == expected
    await store.initialize()
    assert await migrate(raw, store.schema) == []
    assert [row[0] for row in await raw.fetch(versions)] == expected


async def test_a_schema_newer_than_the_code_is_refused(
    postgres_dsn: str, store: PostgreSQLEventStore, raw: asyncpg.Connection
) -> None:
    await raw.execute(
        f"INSERT INTO \"{store.schema}\".schema_version (version, name) VALUES (999, 'future')"
    )
    newer = PostgreSQLEventStore(postgres_dsn, 1, 1, schema=store.schema)
    try:
        with pytest.raises(StoreError, match="newer"):
            await newer.initialize()
    finally:
        await newer.close()


async def test_initializing_concurrently_is_safe(
    postgres_dsn: str, new_schema: SchemaFactory, raw: asyncpg.Connection
) -> None:
    schema = new_schema()
    stores = [PostgreSQLEventStore(postgres_dsn, 1, 1, schema=schema) for _ in range(6)]
    try:
        await asyncio.gather(*(store.initialize() for store in stores))
        rows = await raw.fetch(f'SELECT version FROM "{schema}".schema_version ORDER BY 1')
        assert [row[0] for row in rows] == [migration.version for migration in MIGRATIONS]
        await stores[0].save("s", [note()])
        assert len(await stores[-1].load("s")) == 1
    finally:
        await asyncio.gather(*(store.close() for store in stores))


async def test_initializing_from_separate_processes_is_safe(
    postgres_dsn: str, new_schema: SchemaFactory, raw: asyncpg.Connection
) -> None:
    schema = new_schema()
    script = (
        "import asyncio, sys\n"
        "from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore\n"
        "async def main():\n"
        "    async with PostgreSQLEventStore(sys.argv[1], 1, 1, schema=sys.argv[2]):\n"
        "        pass\n"
        "asyncio.run(main())\n"
    )
    processes = [
        await asyncio.create_subprocess_exec(sys.executable, "-c", script, postgres_dsn, schema)
        for _ in range(3)
    ]
    codes = await asyncio.gather(*(process.wait() for process in processes))
    assert codes == [0, 0, 0]
    rows = await raw.fetch(f'SELECT version FROM "{schema}".schema_version ORDER BY 1')
    assert [row[0] for row in rows] == [migration.version for migration in MIGRATIONS]


async def test_payload_matches_the_codec_encoding(
    store: PostgreSQLEventStore, raw: asyncpg.Connection
) -> None:
    event = note("same")
    await store.save("s", [event])
    stored = await raw.fetchval(f'SELECT payload::text FROM "{store.schema}".events')
    assert json.loads(stored) == json.loads(encode_event(event))
