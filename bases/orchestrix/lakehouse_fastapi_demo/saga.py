"""The GDPR erasure of a data subject: dry run → approve → run → verify.

The request itself is the dry run (it records where the subject's rows are); someone other
than the requester approves it; running it is this saga, whose state is saved after every
step so a run interrupted by a crash resumes at start-up:

1. `back_up`: find the subject's rows again (new batches may have arrived since the dry run)
   and copy every file that holds them aside;
2. `remove_rows`: rewrite those files without the rows, always from the copies, so running
   the step twice gives the same files; if a later step fails, the copies are put back;
3. `erase_keys`: erase the subject's key in the event store's personal-data protection, so
   its personal fields in past events load redacted;
4. `record`: record the removals on each batch and the run on the request, then drop the
   copies.

Verification looks again, in the files and the events, and records what it finds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from orchestrix.core.execution.saga import Saga, SagaStep
from orchestrix.core.execution.saga_state import SagaStateStore
from orchestrix.lakehouse_fastapi_demo.aggregate import ErasureState
from orchestrix.lakehouse_fastapi_demo.handlers import LakehouseHandlers
from orchestrix.lakehouse_fastapi_demo.models import SubjectRows
from orchestrix.lakehouse_fastapi_demo.storage import published_key, raw_key
from orchestrix.lakehouse_fastapi_demo.subjects import drop_rows

ERASURE_RUN = "lakehouse.erasure-run"

type KeyEraser = Callable[[str, str], Awaitable[bool]]
"""(subject id, reason) -> whether a key was erased."""
type Plan = list[dict[str, Any]]
"""What `back_up` found: dataset, batch_id, rows and the keys of the files holding them."""


def backup_key(request_id: str, key: str) -> str:
    return f"erasure-backups/{request_id}/{key}"


class ErasureRun:
    """The steps of an approved erasure, and the saga that runs them."""

    def __init__(self, handlers: LakehouseHandlers, erase_keys: KeyEraser) -> None:
        self.handlers = handlers
        self.storage = handlers.storage
        self._erase_keys = erase_keys

    def saga(self, state_store: SagaStateStore) -> Saga:
        return Saga(
            ERASURE_RUN,
            [
                SagaStep("back_up", self.back_up, compensation=self.discard_backups),
                SagaStep("remove_rows", self.remove_rows, compensation=self.restore),
                SagaStep("erase_keys", self.erase_keys),
                SagaStep("record", self.record),
            ],
            state_store,
        )

    async def back_up(self, request_id: str, subject_id: str) -> Plan:
        plan: Plan = []
        for place in await self.handlers.locate_subject(subject_id):
            keys = [
                key
                for key in (
                    raw_key(place.dataset, place.batch_id),
                    published_key(place.dataset, place.batch_id),
                )
                if self.storage.exists(key)
            ]
            for key in keys:
                await asyncio.to_thread(self.storage.copy, key, backup_key(request_id, key))
            plan.append(
                {
                    "dataset": place.dataset,
                    "batch_id": place.batch_id,
                    "rows": list(place.rows),
                    "keys": keys,
                }
            )
        return plan

    async def discard_backups(self, request_id: str, result: Plan) -> None:
        for place in result:
            for key in place["keys"]:
                await asyncio.to_thread(self.storage.delete, backup_key(request_id, key))

    async def remove_rows(self, request_id: str, back_up: Plan) -> int:
        for place in back_up:
            for key in place["keys"]:
                await asyncio.to_thread(self._drop, backup_key(request_id, key), key, place["rows"])
        return sum(len(place["rows"]) for place in back_up)

    def _drop(self, source: str, target: str, rows: list[int]) -> None:
        with self.storage.reader(source) as old, self.storage.writer(target) as new:
            drop_rows(old, new, rows)

    async def restore(self, request_id: str, back_up: Plan) -> None:
        for place in back_up:
            for key in place["keys"]:
                await asyncio.to_thread(self.storage.copy, backup_key(request_id, key), key)

    async def erase_keys(self, subject_id: str, request_id: str) -> bool:
        return await self._erase_keys(subject_id, f"erasure request {request_id}")

    async def record(
        self, request_id: str, back_up: Plan, remove_rows: int, erase_keys: bool
    ) -> list[int] | None:
        """Record the run; returns the last checkpoint written as `[tx_id, position]`."""
        found = tuple(SubjectRows(p["dataset"], p["batch_id"], tuple(p["rows"])) for p in back_up)
        checkpoint = await self.handlers.record_rows_removed(request_id, found)
        erasure = await self.handlers.erasure(request_id)
        if erasure.state is ErasureState.APPROVED:
            erasure.executed(remove_rows, erase_keys)
            checkpoint = await self.handlers.erasures.save_async(erasure) or checkpoint
        await self.discard_backups(request_id, back_up)
        return None if checkpoint is None else [checkpoint.tx_id, checkpoint.position]


__all__ = ["ERASURE_RUN", "ErasureRun", "KeyEraser", "backup_key"]
