"""A PostgreSQL schema of its own for each test that runs a demo there, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest


@pytest.fixture
async def postgres_schema(postgres_dsn: str) -> AsyncIterator[str]:
    schema = f"demo_{uuid.uuid4().hex[:16]}"
    yield schema
    connection = await asyncpg.connect(postgres_dsn)
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await connection.close()
