"""After an erasure, none of the data subject's personal values can be had anywhere the
service keeps data: not in the stored files (raw, published, erasure copies), not in the
SQLite database file (with its write-ahead log), not in the PostgreSQL schema's tables, and
not through the event store, even from a new process holding the master key.

Before the erasure the values are there: the subject access report reads them back from the
subject's events, where they are stored sealed with the subject's key (the database's bytes
never hold them in clear). The scans prove they reach the stored events by finding the
subject's pseudonymous id, which stays readable by design.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from orchestrix.lakehouse_fastapi_demo import Lakehouse, create_app
from test.bases.orchestrix.lakehouse_fastapi_demo.conftest import LakeSteps
from test.bases.orchestrix.lakehouse_fastapi_demo.test_postgres import pg_lake, schema

__all__ = ["pg_lake", "schema"]  # fixtures shared with the PostgreSQL process test

CSV = (
    "customer_id,email,age,amount\n"
    "C-7,grace.hopper@example.com,85,12.50\n"
    "C-8,alan.turing@example.com,41,3.10\n"
)
GRACE = (b"grace.hopper@example.com", b"grace.hopper")
GRACE_VALUES = [{"email": "grace.hopper@example.com", "age": "85"}]


async def erase_grace(lake: LakeSteps) -> None:
    await lake.orders()
    await lake.published(CSV)
    before = await lake.ok("GET", "/api/subjects/C-7")
    assert before["records"][0]["values"] == GRACE_VALUES  # stored, and readable until erased
    erasure = await lake.ok(
        "POST", "/api/erasures", 201, json={"subject_id": "C-7", "requested_by": "dpo"}
    )
    url = f"/api/erasures/{erasure['request_id']}"
    await lake.ok("POST", f"{url}/approve", json={"approved_by": "legal"})
    assert (await lake.ok("POST", f"{url}/run"))["keys_erased"] is True
    assert (await lake.ok("POST", f"{url}/verify"))["clean"] is True
    after = await lake.ok("GET", "/api/subjects/C-7")
    assert after["erased"] is True and after["records"][0]["values"] is None
    other = await lake.ok("GET", "/api/subjects/C-8")
    assert other["records"][0]["values"] == [{"email": "alan.turing@example.com", "age": "41"}]


def bytes_under(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


async def test_no_personal_value_is_left_in_the_files_or_the_sqlite_file(
    lake: LakeSteps, service: Lakehouse
) -> None:
    await erase_grace(lake)
    everything = bytes_under(service.settings.data_dir)  # files, lakehouse.db and its WAL
    assert b"alan.turing@example.com" in everything  # the other subject's raw file
    assert b'"subject_id":"C-7"' in everything  # the scan reaches the stored events
    for value in GRACE:
        assert value not in everything


async def test_a_new_process_with_the_master_key_reads_the_erased_values_as_redacted(
    lake: LakeSteps, service: Lakehouse
) -> None:
    await erase_grace(lake)
    restarted = Lakehouse(service.settings)  # same files, same master key
    app = create_app(service.settings, lakehouse=restarted)
    async with app.router.lifespan_context(app):
        report = await restarted.subject_report("C-7")
    assert report["records"][0]["values"] is None


async def test_a_new_upload_with_an_erased_subject_is_refused_and_stores_nothing(
    lake: LakeSteps, service: Lakehouse
) -> None:
    await erase_grace(lake)
    batch_id = await lake.upload(CSV)
    before = len([event async for event in service.backend.store.read_all()])
    response = await lake.client.post(f"/api/batches/{batch_id}/append")
    assert response.status_code == 409 and response.json()["state"] == "erased"
    assert "C-7" in response.json()["detail"]
    assert len([event async for event in service.backend.store.read_all()]) == before
    assert (await lake.ok("GET", f"/api/batches/{batch_id}"))["state"] == "uploaded"


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
    assert {"lake_events", "events"} <= {row[0] for row in tables}
    assert "C-7" in dump  # the scan reaches the stored events (the register names its subject)
    for value in GRACE:
        assert value.decode() not in dump
        assert value not in bytes_under(service.settings.files_dir)
