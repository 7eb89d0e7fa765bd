"""After an erasure, none of the data subject's personal values is left anywhere the service
keeps data: not in the stored files (raw, published, erasure copies), not in the SQLite
database file (with its write-ahead log), not in the PostgreSQL schema's tables.

The events never carry the CSV files' cell values (quality results name rows, summaries name
columns), so the files are the only place the values ever were; this test keeps it so.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from orchestrix.lakehouse_fastapi_demo import Lakehouse
from test.bases.orchestrix.lakehouse_fastapi_demo.conftest import LakeSteps
from test.bases.orchestrix.lakehouse_fastapi_demo.test_postgres import pg_lake, schema

__all__ = ["pg_lake", "schema"]  # fixtures shared with the PostgreSQL process test

CSV = (
    "customer_id,email,age,amount\n"
    "C-7,grace.hopper@example.com,85,12.50\n"
    "C-8,alan.turing@example.com,41,3.10\n"
)
GRACE = (b"grace.hopper@example.com", b"grace.hopper")


async def erase_grace(lake: LakeSteps) -> None:
    await lake.orders()
    await lake.published(CSV)
    erasure = await lake.ok(
        "POST", "/api/erasures", 201, json={"subject_id": "C-7", "requested_by": "dpo"}
    )
    url = f"/api/erasures/{erasure['request_id']}"
    await lake.ok("POST", f"{url}/approve", json={"approved_by": "legal"})
    await lake.ok("POST", f"{url}/run")
    assert (await lake.ok("POST", f"{url}/verify"))["clean"] is True


def bytes_under(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


async def test_no_personal_value_is_left_in_the_files_or_the_sqlite_file(
    lake: LakeSteps, service: Lakehouse
) -> None:
    await erase_grace(lake)
    everything = bytes_under(service.settings.data_dir)  # files, lakehouse.db and its WAL
    assert b"alan.turing@example.com" in everything  # the other subject is still there
    assert b'"subject_id":"C-7"' in everything  # the scan reaches the stored events
    for value in GRACE:
        assert value not in everything


@pytest.mark.postgres
async def test_no_personal_value_is_left_in_the_postgresql_tables(
    pg_lake: tuple[LakeSteps, Lakehouse], postgres_dsn: str, schema: str
) -> None:
    lake, service = pg_lake
    await erase_grace(lake)
    connection = await asyncpg.connect(postgres_dsn)
    try:
        tables = await connection.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
        )
        dump = ""
        for row in tables:
            dump += str(await connection.fetch(f'SELECT t::text FROM "{schema}"."{row[0]}" t'))
    finally:
        await connection.close()
    assert "lake_events" in {row[0] for row in tables}
    assert "C-7" in dump  # the scan reaches the stored events (the request names its subject)
    for value in GRACE:
        assert value.decode() not in dump
        assert value not in bytes_under(service.settings.files_dir)
