"""The lakehouse service put together: backend, storage, signer, handlers, the erasure saga.

`Lakehouse` is what the HTTP layer talks to. Besides the command handlers it offers read your
writes (`caught_up`: wait until the read model has processed a checkpoint), the two steps of
an erasure that span several aggregates (`run_erasure`, `verify_erasure`) and the report of
what the lake holds about a data subject (`subject_report`, a GDPR access request), read from
the subject's sealed events.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import timedelta
from typing import Any

from orchestrix.core.common.exceptions import UnknownSubjectError
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.eventsourcing.erasure import erase_subject_async
from orchestrix.core.eventsourcing.event_log import Checkpoint
from orchestrix.core.eventsourcing.projection_waiting import wait_for_projections
from orchestrix.core.eventsourcing.subscription import RunnerStatus
from orchestrix.core.execution.saga_recovery import recover_sagas
from orchestrix.core.messaging.personal import REDACTED, is_redacted
from orchestrix.lakehouse_fastapi_demo.aggregate import subjects_stream
from orchestrix.lakehouse_fastapi_demo.backend import Backend, backend_for
from orchestrix.lakehouse_fastapi_demo.errors import ErasureRunError, NotFoundError
from orchestrix.lakehouse_fastapi_demo.handlers import LakehouseHandlers
from orchestrix.lakehouse_fastapi_demo.models import (
    ColumnType,
    RunErasure,
    SubjectRowsRecorded,
    VerifyErasure,
)
from orchestrix.lakehouse_fastapi_demo.privacy import hasher
from orchestrix.lakehouse_fastapi_demo.read_model import PROJECTION
from orchestrix.lakehouse_fastapi_demo.saga import ErasureRun
from orchestrix.lakehouse_fastapi_demo.settings import Settings
from orchestrix.lakehouse_fastapi_demo.signing import UrlSigner
from orchestrix.lakehouse_fastapi_demo.storage import LocalStorage, Storage, published_key
from orchestrix.lakehouse_fastapi_demo.subjects import find_rows

ACTIVE = (RunnerStatus.LIVE, RunnerStatus.CATCHING_UP)


def checkpoint_token(checkpoint: Checkpoint | None) -> str | None:
    """A checkpoint as text for clients: `<tx_id>.<position>`."""
    return None if checkpoint is None else f"{checkpoint.tx_id}.{checkpoint.position}"


def parse_checkpoint(token: str) -> Checkpoint:
    tx_id, dot, position = token.partition(".")
    if not dot or not tx_id.isdigit() or not position.isdigit() or len(token) > 40:
        raise ValidationError("must be a checkpoint as returned by a command", "after", token)
    return Checkpoint(int(tx_id), int(position))


class Lakehouse:
    def __init__(
        self,
        settings: Settings,
        backend: Backend | None = None,
        storage: Storage | None = None,
    ) -> None:
        self.settings = settings
        self.backend = backend_for(settings) if backend is None else backend
        self.storage = LocalStorage(settings.files_dir) if storage is None else storage
        secret = settings.signing_secret()
        self.signer = UrlSigner(secret)
        privacy_key = hmac.new(secret, b"lakehouse privacy hashing", hashlib.sha256).digest()
        self.handlers = LakehouseHandlers(
            self.backend.store,
            storage=self.storage,
            signer=self.signer,
            views=self.backend.views,
            settings=settings,
            privacy_key=privacy_key,
        )
        self.erasure_run = ErasureRun(self.handlers, self._erase_keys)

    async def start(self) -> None:
        """Open the backend, start the read model, resume erasure runs a crash interrupted."""
        await self.backend.open()
        await recover_sagas(
            [self.erasure_run.saga(self.backend.sagas)],
            older_than=timedelta(seconds=self.settings.saga_recovery_after),
        )

    async def stop(self) -> None:
        await self.backend.close()

    async def caught_up(self, checkpoint: Checkpoint | None) -> None:
        """Return once the read model shows everything up to `checkpoint` (read your writes):
        through this process's runner when it is the active one, else through the checkpoint
        store, which any process's runner updates."""
        if checkpoint is None:
            return
        runner = self.backend.runner
        if runner.status in ACTIVE:
            await runner.wait_for(checkpoint, timeout=self.settings.wait_timeout)
        else:
            await wait_for_projections(
                self.backend.checkpoints,
                [PROJECTION],
                checkpoint,
                timeout=self.settings.wait_timeout,
            )

    async def _erase_keys(self, subject_id: str, reason: str) -> bool:
        """Delete the subject's key: its personal fields in every event now load `REDACTED`,
        and a `SubjectErased` record is stored. False when no event ever held its data."""
        try:
            await erase_subject_async(self.backend.store, subject_id, reason=reason)
        except UnknownSubjectError:
            return False
        return True

    async def _recorded(self, subject_id: str) -> list[tuple[dict[str, Any], Any]]:
        """The subject's index rows, each with the values its batch's register holds."""
        found = []
        for place in await self.backend.views.subject(subject_id):
            events = await self.backend.store.load(subjects_stream(place["batch_id"]))
            values = next(
                (
                    event.values
                    for event in events
                    if isinstance(event, SubjectRowsRecorded) and event.subject_id == subject_id
                ),
                REDACTED,
            )
            found.append((place, values))
        return found

    async def subject_report(self, subject_id: str) -> dict[str, Any]:
        """What the lake holds about a data subject (a GDPR access request): where its rows
        are and their personal values, or `null` where the subject was erased."""
        records = [
            {**place, "values": None if is_redacted(values) else [dict(v) for v in values]}
            for place, values in await self._recorded(subject_id)
        ]
        if not records:
            raise NotFoundError("data subject", subject_id)
        erased = all(record["erased_at"] is not None for record in records)
        return {"subject_id": subject_id, "erased": erased, "records": records}

    async def run_erasure(self, command: RunErasure) -> Checkpoint | None:
        erasure = await self.handlers.erasure(command.request_id)
        erasure.require("run")
        saga = self.erasure_run.saga(self.backend.sagas)
        try:
            last = await saga.execute(request_id=erasure.request_id, subject_id=erasure.subject_id)
        except Exception as error:
            raise ErasureRunError(erasure.request_id, error) from error
        return None if last is None else Checkpoint(*last)

    async def verify_erasure(self, command: VerifyErasure) -> Checkpoint | None:
        """Look for the subject everywhere once more and record what is found (nothing, we
        hope): rows in raw files, its id in published files where it is kept or hashed."""
        erasure = await self.handlers.erasure(command.request_id)
        erasure.require("verify")
        subject = erasure.subject_id
        findings = [
            f"raw/{place.dataset}/{place.batch_id}.csv: {len(place.rows)} rows"
            for place in await self.handlers.locate_subject(subject)
        ]
        findings += await self._published_findings(subject)
        findings += [
            f"events of batch {place['batch_id']}: personal values still readable"
            for place, values in await self._recorded(subject)
            if not is_redacted(values)
        ]
        erasure.verified(tuple(findings))
        return await self.handlers.erasures.save_async(erasure)

    async def _published_findings(self, subject: str) -> list[str]:
        views, findings = self.backend.views, []
        for dataset in await views.datasets():
            column = dataset.get("subject_column")
            treatment = next(
                (c["treatment"] for c in dataset["columns"] if c["name"] == column), None
            )
            if column is None or treatment not in (None, "hash"):
                continue  # masked or generalised ids cannot be searched for
            needle = subject
            if treatment == "hash":
                needle = hasher(self.handlers.privacy_key)(subject, ColumnType.STRING)
            for batch in await views.batches(dataset["name"]):
                key = published_key(dataset["name"], batch["batch_id"])
                if not self.storage.exists(key):
                    continue

                def search(key: str = key, column: str = column, needle: str = needle) -> int:
                    with self.storage.reader(key) as file:
                        return len(find_rows(file, column, needle))

                if rows := await asyncio.to_thread(search):
                    findings.append(f"{key}: {rows} rows")
        return findings


__all__ = ["Lakehouse", "checkpoint_token", "parse_checkpoint"]
