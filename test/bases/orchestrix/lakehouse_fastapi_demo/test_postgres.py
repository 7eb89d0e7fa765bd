"""The whole process with PostgreSQL as the backend (events, checkpoints, read model and saga
states in one schema of the test database)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from orchestrix.lakehouse_fastapi_demo import Lakehouse, create_app
from test.bases.orchestrix.lakehouse_fastapi_demo.conftest import LakeSteps, settings_for
from test.bases.orchestrix.lakehouse_fastapi_demo.scenario import whole_process

pytestmark = pytest.mark.postgres


@pytest.fixture
async def schema(postgres_dsn: str) -> AsyncIterator[str]:
    """A schema of this test's own, dropped afterwards."""
    name = f"t_lake_{uuid.uuid4().hex[:12]}"
    yield name
    connection = await asyncpg.connect(postgres_dsn)
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    finally:
        await connection.close()


@pytest.fixture
async def pg_lake(
    postgres_dsn: str, schema: str, tmp_path: Path
) -> AsyncIterator[tuple[LakeSteps, Lakehouse]]:
    settings = settings_for(tmp_path / "lake", dsn=postgres_dsn, schema=schema)
    service = Lakehouse(settings)
    app = create_app(settings, lakehouse=service)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lake") as client:
            yield LakeSteps(client), service


async def test_the_whole_process_on_postgresql(
    pg_lake: tuple[LakeSteps, Lakehouse], postgres_dsn: str, schema: str
) -> None:
    lake, service = pg_lake
    await whole_process(lake)
    ready = await lake.ok("GET", "/readyz")
    assert ready["backend"] == f"postgresql schema {schema}"
    assert not service.settings.sqlite_path.exists()
    connection = await asyncpg.connect(postgres_dsn)
    try:
        batches = await connection.fetchval(f'SELECT count(*) FROM "{schema}".lake_batches')
        events = await connection.fetchval(f'SELECT count(*) FROM "{schema}".lake_events')
    finally:
        await connection.close()
    assert batches == 1 and events > 10


async def test_bad_input_on_postgresql_stores_nothing(
    pg_lake: tuple[LakeSteps, Lakehouse],
) -> None:
    lake, service = pg_lake
    await lake.orders()
    batch_id = await lake.upload()
    before = len([r async for r in service.backend.store.read_all()])
    response = await lake.client.post(f"/api/batches/{batch_id}/publish")
    assert response.status_code == 409 and response.json()["state"] == "uploaded"
    response = await lake.client.put("/api/datasets/orders/contract", json={"owner": "x"})
    assert response.status_code == 422
    assert len([r async for r in service.backend.store.read_all()]) == before
