"""The SQLite process and deadline stores pass their contracts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orchestrix.infrastructure.sqlite.deadline_store import SQLiteDeadlineStore
from orchestrix.infrastructure.sqlite.process_store import SQLiteProcessStateStore
from test.contracts.process_stores import DeadlineStoreContract, ProcessStateStoreContract


class TestSQLiteProcessStateStore(ProcessStateStoreContract):
    @pytest.fixture
    async def process_store(self, tmp_path: Path) -> AsyncIterator[SQLiteProcessStateStore]:
        store = SQLiteProcessStateStore(tmp_path / "app.db", synchronous="NORMAL")
        yield store
        await store.close()


class TestSQLiteDeadlineStore(DeadlineStoreContract):
    @pytest.fixture
    async def deadline_store(self, tmp_path: Path) -> AsyncIterator[SQLiteDeadlineStore]:
        store = SQLiteDeadlineStore(tmp_path / "app.db", synchronous="NORMAL")
        yield store
        await store.close()
