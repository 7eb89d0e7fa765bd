"""A process manager following a SQLite store's log (see `subscription_scenarios`).

Its process and deadline stores share the event store's file; the subscription's checkpoints
live in a file of their own, since a checkpoint transaction holds its file's write lock while
the handlers run, and the process stores could not write to that file meanwhile.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrix.infrastructure.sqlite import SQLiteCheckpointStore, SQLiteEventStore
from orchestrix.infrastructure.sqlite.deadline_store import SQLiteDeadlineStore
from orchestrix.infrastructure.sqlite.process_store import SQLiteProcessStateStore
from test.components.orchestrix.core.execution.subscription_scenarios import (
    ProcessSubscriptionScenarios,
)


class TestProcessSubscriptionOverSQLite(ProcessSubscriptionScenarios):
    @pytest.fixture
    def log(self, tmp_path: Path) -> Iterator[SQLiteEventStore]:
        with SQLiteEventStore(tmp_path / "app.db") as store:
            yield store

    @pytest.fixture
    async def checkpoints(self, tmp_path: Path) -> AsyncIterator[SQLiteCheckpointStore]:
        async with SQLiteCheckpointStore(tmp_path / "checkpoints.db") as checkpoints:
            yield checkpoints

    @pytest.fixture
    async def process_stores(self, tmp_path: Path) -> AsyncIterator[tuple[Any, Any]]:
        processes = SQLiteProcessStateStore(tmp_path / "app.db")
        deadlines = SQLiteDeadlineStore(tmp_path / "app.db")
        yield processes, deadlines
        await processes.close()
        await deadlines.close()
