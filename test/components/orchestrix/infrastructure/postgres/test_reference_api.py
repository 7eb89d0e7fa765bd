"""The first release's facts about the PostgreSQL package (reference §0 and §6.1), pinned."""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orchestrix.core.common.exceptions import StoreError
from orchestrix.core.eventsourcing.snapshot import Snapshot
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.postgres.store import OrchestrixJSONEncoder, PostgreSQLEventStore
from test.components.orchestrix.infrastructure.postgres.conftest import StoreOpener

NOT_INITIALIZED = re.escape("Pool not initialized. Call initialize() first.")
DSN = "postgresql://app:secret@localhost:5432/app"


@dataclass(frozen=True, kw_only=True)
class PgReferenceNote(Event):
    text: str


def test_package_reexports_the_first_releases_names() -> None:
    package = importlib.import_module("orchestrix.infrastructure.postgres")
    for name in ("ConnectionPool", "PoolConfig", "PostgreSQLEventStore", "PoolMetrics"):
        assert name in package.__all__
        assert getattr(package, name) is getattr(
            importlib.import_module(
                "orchestrix.infrastructure.postgres."
                + ("store" if name == "PostgreSQLEventStore" else "connection_pool")
            ),
            name,
        )


def test_store_fields_and_defaults() -> None:
    store = PostgreSQLEventStore(DSN)
    fields = [field.name for field in dataclasses.fields(store) if field.init]
    assert fields[:4] == ["connection_string", "pool_min_size", "pool_max_size", "pool_timeout"]
    assert (store.pool_min_size, store.pool_max_size, store.pool_timeout) == (10, 50, 30.0)
    assert PostgreSQLEventStore(DSN, 5, 20, 3.0).pool_max_size == 20  # positional, in order
    config = store.pool.config
    assert (config.min_size, config.max_size, config.timeout) == (10, 50, 30.0)


def test_store_is_frozen_comparable_and_keeps_the_password_out_of_repr() -> None:
    store = PostgreSQLEventStore(DSN)
    with pytest.raises(dataclasses.FrozenInstanceError):
        store.pool_min_size = 3  # type: ignore[misc]
    assert store == PostgreSQLEventStore(DSN)
    assert store != PostgreSQLEventStore(DSN, schema="other")
    assert "secret" not in repr(store)
    assert "pool=" not in repr(store)  # the pool is not a constructor field (defect #20)
    assert hash(store) == hash(PostgreSQLEventStore(DSN))


def test_store_answers_both_namings() -> None:
    store = PostgreSQLEventStore
    assert store.save_async is store.save
    assert store.load_async is store.load
    assert store.save_snapshot is store.save_snapshot_async
    assert store.load_snapshot is store.load_snapshot_async


async def test_use_before_initialize_raises_the_first_releases_runtime_error() -> None:
    store = PostgreSQLEventStore(DSN)
    event = PgReferenceNote(text="x")
    calls = [
        store.save("s", [event]),
        store.save_async("s", [event]),
        store.load("s"),
        store.load_async("s"),
        store.save_snapshot_async(Snapshot("s", "T", 1, {})),
        store.save_snapshot(Snapshot("s", "T", 1, {})),
        store.load_snapshot_async("s"),
        store.load_snapshot("s"),
    ]
    for call in calls:
        with pytest.raises(RuntimeError, match=f"^{NOT_INITIALIZED}$") as caught:
            await call
        assert isinstance(caught.value, StoreError)
    with pytest.raises(RuntimeError, match=NOT_INITIALIZED):
        [recorded async for recorded in store.read_all()]
    assert await store.save("s", []) is None  # an empty save returns before the check
    assert await store.ping() is False
    await store.close()  # a no-op


@pytest.mark.postgres
async def test_after_close_the_store_says_so_and_can_be_opened_again(
    open_store: StoreOpener,
) -> None:
    store = await open_store()
    await store.save("s", [PgReferenceNote(text="a")])
    await store.close()
    assert await store.ping() is False
    with pytest.raises(RuntimeError, match=NOT_INITIALIZED):
        await store.load("s")
    await store.initialize()
    assert await store.ping() is True
    assert len(await store.load("s")) == 1


@pytest.mark.postgres
async def test_both_namings_work_on_a_live_store(open_store: StoreOpener) -> None:
    store = await open_store()
    events = [PgReferenceNote(text="a"), PgReferenceNote(text="b")]
    assert await store.save_async("s", events[:1], expected_version=0) is not None
    await store.save("s", events[1:], expected_version=1)
    assert await store.load_async("s") == events
    assert await store.load("s", from_version=None) == events
    assert await store.load_async("s", 1) == events[1:]
    snapshot = Snapshot("s", "Note", 2, {"count": 2}, datetime(2024, 1, 2, tzinfo=UTC))
    await store.save_snapshot(snapshot)
    assert await store.load_snapshot("s") == snapshot
    assert await store.load_snapshot_async("s") == snapshot
    newer = dataclasses.replace(snapshot, version=3)
    await store.save_snapshot_async(newer)
    assert await store.load_snapshot("s") == newer
    assert await store.load_snapshot("missing") is None


def test_orchestrix_json_encoder_keeps_the_first_releases_output() -> None:
    @dataclass
    class Address:
        street: str

    value = {
        "amount": Decimal("1.50"),
        "at": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "id": uuid.UUID(int=1),
        "address": Address("Main"),
    }
    assert json.loads(json.dumps(value, cls=OrchestrixJSONEncoder)) == {
        "amount": "1.50",
        "at": "2024-01-02 03:04:05+00:00",
        "id": "00000000-0000-0000-0000-000000000001",
        "address": {"street": "Main"},
    }
    with pytest.raises(TypeError):
        json.dumps({1, 2}, cls=OrchestrixJSONEncoder)


def test_without_asyncpg_the_import_error_says_how_to_install_it() -> None:
    script = (
        "import sys\n"
        "sys.modules['asyncpg'] = None  # as if it were not installed\n"
        "try:\n"
        "    import orchestrix.infrastructure.postgres.store\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert finished.stdout.strip() == (
        "PostgreSQL support requires asyncpg. Install with: pip install 'orchestrix[postgres]'"
    )
