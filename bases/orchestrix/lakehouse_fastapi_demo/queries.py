"""Reads from the read model: what the API's GET endpoints and the page show.

`Views` takes a function that lends it a `Sql` for one read (a shared read-only connection on
SQLite, a pooled connection on PostgreSQL), so the same queries serve both backends and the
replay's fresh model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from orchestrix.lakehouse_fastapi_demo.sql import Sql

type Lender = Callable[[], AbstractAsyncContextManager[Sql]]

EVENT_COLUMNS = ("tx_id", "position", "stream", "dataset", "batch_id", "request_id", "type", "at")


class Views:
    def __init__(self, lend: Lender) -> None:
        self._lend = lend

    async def _documents(self, statement: str, *args: Any) -> list[dict[str, Any]]:
        async with self._lend() as sql:
            rows = await sql.fetch(statement, *args)
        return [json.loads(row[0]) for row in rows]

    async def _document(self, statement: str, *args: Any) -> dict[str, Any] | None:
        found = await self._documents(statement, *args)
        return found[0] if found else None

    async def datasets(self) -> list[dict[str, Any]]:
        return await self._documents("SELECT doc FROM {p}lake_datasets ORDER BY name")

    async def dataset(self, name: str) -> dict[str, Any] | None:
        return await self._document("SELECT doc FROM {p}lake_datasets WHERE name = ?", name)

    async def batches(self, dataset: str) -> list[dict[str, Any]]:
        return await self._documents(
            "SELECT doc FROM {p}lake_batches WHERE dataset = ? ORDER BY batch_id", dataset
        )

    async def batch(self, batch_id: str) -> dict[str, Any] | None:
        return await self._document("SELECT doc FROM {p}lake_batches WHERE batch_id = ?", batch_id)

    async def erasures(self) -> list[dict[str, Any]]:
        return await self._documents("SELECT doc FROM {p}lake_erasures ORDER BY request_id")

    async def erasure(self, request_id: str) -> dict[str, Any] | None:
        return await self._document(
            "SELECT doc FROM {p}lake_erasures WHERE request_id = ?", request_id
        )

    async def subject(self, subject_id: str) -> list[dict[str, Any]]:
        """Where the data subject has rows: dataset, batch, row numbers, when erased."""
        async with self._lend() as sql:
            rows = await sql.fetch(
                "SELECT dataset, batch_id, rows, erased_at FROM {p}lake_subjects "
                "WHERE subject_id = ? ORDER BY dataset, batch_id",
                subject_id,
            )
        return [
            {"dataset": d, "batch_id": b, "rows": json.loads(r), "erased_at": e}
            for d, b, r, e in rows
        ]

    async def events(self, column: str, key: str) -> list[dict[str, Any]]:
        """The timeline of a dataset, batch or erasure request (`column` names which)."""
        if column not in {"dataset", "batch_id", "request_id"}:
            raise ValueError(column)
        async with self._lend() as sql:
            rows = await sql.fetch(
                f"SELECT {', '.join(EVENT_COLUMNS)}, summary FROM {{p}}lake_events "
                f"WHERE {column} = ? ORDER BY tx_id, position",
                key,
            )
        return [
            {**dict(zip(EVENT_COLUMNS, row[:-1], strict=True)), "summary": row[-1]} for row in rows
        ]


__all__ = ["Lender", "Views"]
