"""The ledger projection rebuilt from the whole log equals the one kept as events came, on the
backends where it is exactly once."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from orchestrix.banking_demo.main import run
from orchestrix.banking_demo.stores import BankStores, in_postgres, in_sqlite


async def table_rows(stores: BankStores) -> dict[str, list[tuple[Any, ...]]]:
    tables = stores.ledger.tables
    async with stores.ledger.reading() as sql:
        return {
            table: sorted(await sql.fetch(f"SELECT * FROM {table}"))
            for table in (tables.accounts, tables.history, tables.transfers)
        }


async def assert_a_rebuild_gives_the_same_rows(
    opened: AbstractAsyncContextManager[BankStores],
) -> None:
    async with opened as stores:
        await run(stores)
        kept = await table_rows(stores)
        runner = stores.ledger_runner()
        await runner.reset()  # empties the tables and forgets the checkpoint, in one transaction
        assert await table_rows(stores) == {table: [] for table in kept}
        await runner.catch_up()
        assert await table_rows(stores) == kept
        assert (await runner.lag()).events == 0


async def test_on_sqlite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await assert_a_rebuild_gives_the_same_rows(in_sqlite(tmp_path / "bank.sqlite3", "file"))


@pytest.mark.postgres
async def test_on_postgresql(
    postgres_dsn: str, postgres_schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await assert_a_rebuild_gives_the_same_rows(in_postgres(postgres_dsn, postgres_schema))
