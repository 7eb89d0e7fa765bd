"""Replaying one dataset's events into a fresh read model, beside the live one.

The dataset's events are taken from the store's global log in order, then fed through the
same projection code into an empty SQLite file, which is read back with the same queries and
compared with the live model: a check that the read model is a pure function of the events.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from orchestrix.core.eventsourcing.event_log import START, AsyncEventLog, Checkpoint, RecordedEvent
from orchestrix.core.eventsourcing.projection import ProjectionEngine
from orchestrix.core.eventsourcing.subscription import ProjectionRunner
from orchestrix.infrastructure.sqlite import SQLiteCheckpointStore
from orchestrix.lakehouse_fastapi_demo.models import DatasetRegistered
from orchestrix.lakehouse_fastapi_demo.queries import Views
from orchestrix.lakehouse_fastapi_demo.read_model import PROJECTION, register_views
from orchestrix.lakehouse_fastapi_demo.sql import Sql, SQLiteSql


class RecordedLog:
    """A fixed list of recorded events, readable as a log."""

    def __init__(self, recorded: list[RecordedEvent]) -> None:
        self.recorded = recorded

    def read_all(
        self, after: Checkpoint = START, batch_size: int = 1000
    ) -> Iterator[RecordedEvent]:
        return (event for event in self.recorded if event.checkpoint > after)


def belongs_to(recorded: RecordedEvent, dataset: str) -> bool:
    event = recorded.event
    if isinstance(event, DatasetRegistered):
        return event.name == dataset
    return getattr(event, "dataset", None) == dataset


async def dataset_events(log: AsyncEventLog, dataset: str) -> list[RecordedEvent]:
    return [recorded async for recorded in log.read_all() if belongs_to(recorded, dataset)]


async def view_of(views: Views, dataset: str) -> dict[str, Any]:
    return {
        "dataset": await views.dataset(dataset),
        "batches": await views.batches(dataset),
        "events": await views.events("dataset", dataset),
    }


async def replay_dataset(log: AsyncEventLog, dataset: str) -> dict[str, Any]:
    """The dataset as a fresh model built from its events shows it, with the event count."""
    recorded = await dataset_events(log, dataset)
    with tempfile.TemporaryDirectory(prefix="lakehouse-replay-") as folder:
        path = Path(folder) / "replay.db"
        checkpoints = SQLiteCheckpointStore(path, fairness=0)
        try:
            engine = ProjectionEngine(PROJECTION, checkpoints)
            register_views(engine, SQLiteSql)
            runner = ProjectionRunner(engine, RecordedLog(recorded))
            await runner.reset()
            await runner.catch_up()
        finally:
            await checkpoints.close()
        connection = sqlite3.connect(path)

        @asynccontextmanager
        async def lend() -> AsyncIterator[Sql]:
            yield SQLiteSql(connection)

        try:
            rebuilt = await view_of(Views(lend), dataset)
        finally:
            connection.close()
    return {"event_count": len(recorded), **rebuilt}


__all__ = ["RecordedLog", "replay_dataset", "view_of"]
