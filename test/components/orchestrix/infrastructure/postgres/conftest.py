"""Fixtures for the PostgreSQL tests: the server rule, throw-away schemas, open stores.

Every test works in schemas of its own (`t_<random>`), dropped afterwards, so tests never see
each other's data and the shared database stays clean.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore

type SchemaFactory = Callable[[], str]
type StoreOpener = Callable[..., Awaitable[PostgreSQLEventStore]]


@pytest.fixture
async def new_schema(postgres_dsn: str) -> AsyncIterator[SchemaFactory]:
    """Hands out fresh schema names and drops every one of them after the test."""
    names: list[str] = []

    def make() -> str:
        names.append(f"t_{uuid.uuid4().hex[:16]}")
        return names[-1]

    yield make
    connection = await asyncpg.connect(postgres_dsn)
    try:
        for name in names:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    finally:
        await connection.close()


@pytest.fixture
async def open_store(postgres_dsn: str, new_schema: SchemaFactory) -> AsyncIterator[StoreOpener]:
    """Opens initialised stores, each in a new schema unless one is given; closes them all."""
    stores: list[PostgreSQLEventStore] = []

    async def open_one(**options: Any) -> PostgreSQLEventStore:
        options.setdefault("schema", new_schema())
        options.setdefault("pool_min_size", 1)
        store = PostgreSQLEventStore(postgres_dsn, **options)
        stores.append(store)
        await store.initialize()
        return store

    yield open_one
    for store in stores:
        await store.close()


@pytest.fixture
async def store(open_store: StoreOpener) -> PostgreSQLEventStore:
    return await open_store()


@pytest.fixture
async def raw(postgres_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection for looking at (or tampering with) the tables directly."""
    connection = await asyncpg.connect(postgres_dsn)
    yield connection
    await connection.close()
