"""Personal data in PostgreSQL: sealed in the tables, and erased keys gone from their rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest

from orchestrix.core.common.exceptions import MasterKeyError, PersonalDataError
from orchestrix.core.eventsourcing.aggregate import AggregateRepository
from orchestrix.core.eventsourcing.erasure import erase_subject_async, erasure_stream
from orchestrix.core.eventsourcing.personal_data import AsyncPersonalData
from orchestrix.core.messaging.personal import REDACTED
from orchestrix.infrastructure.crypto import AesGcmCipher, generate_master_key
from orchestrix.infrastructure.postgres import ConnectionPool, PoolConfig, PostgreSQLOutbox
from orchestrix.infrastructure.postgres.key_store import PostgreSQLKeyStore
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore
from test.components.orchestrix.infrastructure.postgres.conftest import SchemaFactory, StoreOpener
from test.contracts.event_store import AsyncStoreUnderTest, StoreUnderTest
from test.contracts.key_store import AsyncKeys, KeyStoreContract
from test.contracts.personal_data import CustomerAccount, PersonalDataContract, registered

pytestmark = pytest.mark.postgres

type Protect = Callable[..., Awaitable[tuple[PostgreSQLEventStore, PostgreSQLKeyStore]]]


def cipher() -> AesGcmCipher:
    return AesGcmCipher.from_base64(generate_master_key())


@pytest.fixture
async def protect(
    postgres_dsn: str, new_schema: SchemaFactory, open_store: StoreOpener
) -> AsyncIterator[Protect]:
    """Opens a protected store and its key store (in a new schema unless one is given)."""
    pools: list[ConnectionPool] = []

    async def open_protected(
        schema: str | None = None, the_cipher: AesGcmCipher | None = None
    ) -> tuple[PostgreSQLEventStore, PostgreSQLKeyStore]:
        schema = schema or new_schema()
        pools.append(ConnectionPool(postgres_dsn, PoolConfig(min_size=1, max_size=4)))
        keys = PostgreSQLKeyStore(pools[-1], schema)
        personal = AsyncPersonalData(keys, the_cipher or cipher())
        store = await open_store(schema=schema, personal_data=personal)
        await keys.initialize()
        return store, keys

    yield open_protected
    for pool in pools:
        await pool.close()


class TestPostgreSQLKeyStore(KeyStoreContract):
    @pytest.fixture
    async def key_store(self, protect: Protect) -> AsyncKeys:
        _, keys = await protect()
        return keys


class TestPostgreSQLEventStore(PersonalDataContract):
    @pytest.fixture
    async def protected(self, protect: Protect) -> StoreUnderTest:
        store, _ = await protect()
        return AsyncStoreUnderTest(store)


async def table_texts(raw: asyncpg.Connection, schema: str) -> str:
    """Every row of every table in `schema`, as text (bytea as `\\x` hex)."""
    tables = await raw.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
    )
    texts = []
    for (table,) in tables:
        rows = await raw.fetch(f'SELECT t::text FROM "{schema}"."{table}" t')
        texts += [row[0] for row in rows]
    return "\n".join(texts)


async def test_plaintext_never_reaches_the_tables_and_erased_keys_leave_them(
    protect: Protect, raw: asyncpg.Connection
) -> None:
    the_cipher = cipher()
    store, keys = await protect(the_cipher=the_cipher)
    await store.save("customer-2", [registered("c-2", "Bob Otherperson")])
    repository = AggregateRepository[CustomerAccount](store, snapshot_every=1)
    account = CustomerAccount(aggregate_id="c-1")
    account.register("Zelda Plaintextperson")
    await repository.save_async(account)  # events and a snapshot holding the name
    wrapped = await keys.find(["c-1", "c-2"])
    assert wrapped["c-1"] is not None and wrapped["c-2"] is not None
    data_key = the_cipher._unwrap("c-1", wrapped["c-1"])
    before = await table_texts(raw, store.schema)
    assert "Zelda Plaintextperson" not in before and "Bob Otherperson" not in before
    assert wrapped["c-1"].hex() in before and data_key.hex() not in before

    await erase_subject_async(store, "c-1")
    await keys.vacuum()

    after = await table_texts(raw, store.schema)
    assert wrapped["c-1"].hex() not in after and data_key.hex() not in after
    assert wrapped["c-2"].hex() in after
    row = await raw.fetchrow(
        f'SELECT wrapped_key, erased_at FROM "{store.schema}".personal_data_keys '
        "WHERE subject = 'c-1'"
    )
    assert row["wrapped_key"] is None and row["erased_at"] is not None
    assert (await repository.load_async(CustomerAccount, "c-1")).plan == "basic"
    assert (await store.load("customer-2"))[0].name == "Bob Otherperson"


async def test_concurrent_erasures_record_one_erasure(protect: Protect) -> None:
    store, _ = await protect()
    await store.save("customer-1", [registered("c-1", "Ann")])
    first, second = await asyncio.gather(
        erase_subject_async(store, "c-1"), erase_subject_async(store, "c-1")
    )
    assert first == second
    assert await store.load(erasure_stream("c-1")) == [first]


async def test_a_store_without_protection_refuses_personal_data(
    store: PostgreSQLEventStore,
) -> None:
    with pytest.raises(PersonalDataError, match="personal_data="):
        await store.save("customer-1", [registered("c-1", "Ann")])
    assert await store.load("customer-1") == []


async def test_a_wrong_master_key_is_an_error_not_an_erasure(protect: Protect) -> None:
    store, _ = await protect()
    await store.save("customer-1", [registered("c-1", "Ann")])
    other, _ = await protect(schema=store.schema)
    with pytest.raises(MasterKeyError):
        await other.load("customer-1")


async def test_the_outbox_opens_personal_fields_only_with_protection(protect: Protect) -> None:
    store, _ = await protect()
    outbox = PostgreSQLOutbox(store.pool, store.schema, personal_data=store.personal_data)
    blind = PostgreSQLOutbox(store.pool, store.schema)
    await outbox.initialize()
    await store.save("customer-1", [registered("c-1", "Ann")])
    async with outbox.claim(10) as batch:
        assert batch.entries[0].event.name == "Ann"  # type: ignore[attr-defined]
    async with blind.claim(10) as batch:
        assert batch.entries[0].event.name is REDACTED  # type: ignore[attr-defined]
