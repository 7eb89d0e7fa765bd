"""Command handlers: load the aggregate, let it decide, do the file work, save its events.

Each handler returns the checkpoint of the last event it saved, so the caller can wait for
the read model to show the change (read your writes). Files are written before the events
that record them and removed again when the save fails, so a refused command leaves nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from orchestrix.core.common.exceptions import AggregateNotFoundError, ConcurrencyError
from orchestrix.core.eventsourcing.aggregate import AggregateRepository, AggregateRoot
from orchestrix.core.eventsourcing.event_log import Checkpoint
from orchestrix.core.eventsourcing.event_store import AsyncEventStore
from orchestrix.lakehouse_fastapi_demo.aggregate import (
    NAME,
    Batch,
    Dataset,
    Erasure,
    batch_stream,
    dataset_stream,
    erasure_stream,
    subjects_stream,
)
from orchestrix.lakehouse_fastapi_demo.csv_files import count_rows
from orchestrix.lakehouse_fastapi_demo.errors import (
    AlreadyExistsError,
    NotFoundError,
    UploadRejectedError,
)
from orchestrix.lakehouse_fastapi_demo.models import (
    AppendBatch,
    ApplyPrivacyRules,
    ApproveErasure,
    AuthoriseUpload,
    ConsumeBatch,
    PublishBatch,
    QuarantineBatch,
    RegisterContract,
    RegisterDataset,
    RequestErasure,
    RunQualityChecks,
    SubjectRows,
    SubjectRowsRecorded,
)
from orchestrix.lakehouse_fastapi_demo.privacy import protect_file
from orchestrix.lakehouse_fastapi_demo.quality import check_file
from orchestrix.lakehouse_fastapi_demo.queries import Views
from orchestrix.lakehouse_fastapi_demo.settings import Settings
from orchestrix.lakehouse_fastapi_demo.signing import UrlSigner
from orchestrix.lakehouse_fastapi_demo.storage import Storage, published_key, raw_key
from orchestrix.lakehouse_fastapi_demo.subjects import find_rows, personal_rows

BATCH_ID = re.compile(r"B-[0-9a-f]{12}")
REQUEST_ID = re.compile(r"ER-[0-9a-f]{12}")
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.()-]{0,119}")


def check_file_name(name: str) -> str:
    """A client's file name, kept as a label only; anything path-like is refused."""
    if not FILE_NAME.fullmatch(name) or ".." in name:
        raise UploadRejectedError(f"not an acceptable file name: {name!r}")
    return name


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


@dataclass(frozen=True)
class UploadTicket:
    batch_id: str
    url: str
    expires_at: datetime
    checkpoint: Checkpoint | None


def upload_path(batch_id: str) -> str:
    return f"/files/upload/{batch_id}"


def download_path(batch_id: str) -> str:
    return f"/files/download/{batch_id}"


class LakehouseHandlers:
    """Every command of the lakehouse, each an async method returning its checkpoint."""

    def __init__(
        self,
        store: AsyncEventStore,
        *,
        storage: Storage,
        signer: UrlSigner,
        views: Views,
        settings: Settings,
        privacy_key: bytes,
    ) -> None:
        self.store = store
        self.storage = storage
        self.signer = signer
        self.views = views
        self.settings = settings
        self.datasets = AggregateRepository[Dataset](event_store=store)
        self.batches = AggregateRepository[Batch](event_store=store)
        self.erasures = AggregateRepository[Erasure](event_store=store)
        self.privacy_key = privacy_key

    # --- loading ------------------------------------------------------------------------------

    async def _load[A: AggregateRoot](
        self, repository: AggregateRepository[A], kind: type[A], stream: str, key: str
    ) -> A:
        try:
            return await repository.load_async(kind, stream)
        except AggregateNotFoundError:
            raise NotFoundError(kind.__name__.lower(), key) from None

    async def dataset(self, name: str) -> Dataset:
        if not NAME.fullmatch(name):
            raise NotFoundError("dataset", name)
        return await self._load(self.datasets, Dataset, dataset_stream(name), name)

    async def batch(self, batch_id: str) -> Batch:
        if not BATCH_ID.fullmatch(batch_id):
            raise NotFoundError("batch", batch_id)
        return await self._load(self.batches, Batch, batch_stream(batch_id), batch_id)

    async def erasure(self, request_id: str) -> Erasure:
        if not REQUEST_ID.fullmatch(request_id):
            raise NotFoundError("erasure", request_id)
        return await self._load(self.erasures, Erasure, erasure_stream(request_id), request_id)

    # --- datasets -----------------------------------------------------------------------------

    async def register_dataset(self, command: RegisterDataset) -> Checkpoint | None:
        dataset = Dataset(aggregate_id=dataset_stream(command.name))
        with contextlib.suppress(NotFoundError):
            dataset = await self.dataset(command.name)
        dataset.register(command.name, command.columns, command.subject_column)
        try:
            return await self.datasets.save_async(dataset)
        except ConcurrencyError:
            raise AlreadyExistsError("dataset", command.name) from None

    async def register_contract(self, command: RegisterContract) -> Checkpoint | None:
        dataset = await self.dataset(command.dataset)
        dataset.register_contract(command.owner, command.retention_days, command.rules)
        return await self.datasets.save_async(dataset)

    # --- batches ------------------------------------------------------------------------------

    async def authorise_upload(self, dataset_name: str) -> UploadTicket:
        await self.dataset(dataset_name)
        batch_id = new_id("B")
        expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(
            seconds=self.settings.url_ttl_seconds
        )
        command = AuthoriseUpload(dataset=dataset_name, batch_id=batch_id, expires_at=expires_at)
        batch = Batch(aggregate_id=batch_stream(batch_id))
        batch.authorise(command.batch_id, command.dataset, command.expires_at)
        checkpoint = await self.batches.save_async(batch)
        url = self.signer.sign("PUT", upload_path(batch_id), int(expires_at.timestamp()))
        return UploadTicket(batch_id, url, expires_at, checkpoint)

    async def receive_file(
        self, batch_id: str, file_name: str, chunks: AsyncIterable[bytes]
    ) -> Checkpoint | None:
        """Stream an upload into place; nothing stays stored if any check fails."""
        check_file_name(file_name)
        batch = await self.batch(batch_id)
        batch.require("upload")
        key = raw_key(batch.dataset, batch_id)
        stored = await self.storage.put(key, chunks, self.settings.max_upload_bytes)
        return await self._save_or_delete(
            batch, lambda: batch.receive(file_name, stored.size, stored.sha256), key
        )

    async def _save_or_delete(
        self, batch: Batch, decide: Callable[[], None], key: str
    ) -> Checkpoint | None:
        try:
            decide()
            return await self.batches.save_async(batch)
        except BaseException:
            await asyncio.to_thread(self.storage.delete, key)
            raise

    async def append(self, command: AppendBatch) -> Checkpoint | None:
        """Append the upload as a batch, after recording what it holds about each data
        subject (their personal values sealed with their keys, in the event store)."""
        batch = await self.batch(command.batch_id)
        batch.require("append")
        dataset = await self.dataset(batch.dataset)
        key = raw_key(batch.dataset, batch.batch_id)
        rows = await self._with_file(key, count_rows)
        register = await self._subject_register(dataset, batch.batch_id, key)
        if register:
            with contextlib.suppress(ConcurrencyError):  # recorded by an earlier attempt
                await self.store.save(subjects_stream(batch.batch_id), register, expected_version=0)
        batch.append(rows, dataset.personal_columns, len(register))
        return await self.batches.save_async(batch)

    async def _subject_register(
        self, dataset: Dataset, batch_id: str, key: str
    ) -> list[SubjectRowsRecorded]:
        subject = dataset.subject_column
        if subject is None:
            return []
        personal = [name for name in dataset.personal_columns if name != subject]
        found = await self._with_file(
            key, partial(personal_rows, subject_column=subject, personal_columns=personal)
        )
        return [
            SubjectRowsRecorded(
                subject_id=subject_id,
                dataset=dataset.name,
                batch_id=batch_id,
                rows=tuple(numbers),
                values=tuple(values),
            )
            for subject_id, (numbers, values) in sorted(found.items())
            if len(subject_id) <= 200 and "\x00" not in subject_id
        ]

    async def _with_file[T](self, key: str, work: Callable[[Any], T]) -> T:
        def run() -> T:
            with self.storage.reader(key) as file:
                return work(file)

        return await asyncio.to_thread(run)

    async def check_quality(self, command: RunQualityChecks) -> Checkpoint | None:
        batch = await self.batch(command.batch_id)
        batch.require("check")
        dataset = await self.dataset(batch.dataset)
        results = await self._with_file(
            raw_key(batch.dataset, batch.batch_id),
            lambda file: check_file(file, dataset.columns, dataset.rules),
        )
        batch.record_quality(results)
        return await self.batches.save_async(batch)

    async def apply_privacy(self, command: ApplyPrivacyRules) -> Checkpoint | None:
        batch = await self.batch(command.batch_id)
        batch.require("protect")
        dataset = await self.dataset(batch.dataset)
        source, target = (
            raw_key(batch.dataset, batch.batch_id),
            published_key(batch.dataset, batch.batch_id),
        )

        def protect() -> Any:
            with self.storage.reader(source) as raw, self.storage.writer(target) as published:
                return protect_file(raw, published, dataset.columns, self.privacy_key)

        treatments = await asyncio.to_thread(protect)
        return await self._save_or_delete(batch, lambda: batch.protect(treatments), target)

    async def quarantine(self, command: QuarantineBatch) -> Checkpoint | None:
        batch = await self.batch(command.batch_id)
        batch.quarantine(command.reason)
        return await self.batches.save_async(batch)

    async def publish(self, command: PublishBatch) -> Checkpoint | None:
        batch = await self.batch(command.batch_id)
        batch.require("publish")
        source, target = (
            raw_key(batch.dataset, batch.batch_id),
            published_key(batch.dataset, batch.batch_id),
        )
        if not batch.personal_columns:  # nothing to protect: the raw file is published as is
            await asyncio.to_thread(self.storage.copy, source, target)
        return await self._save_or_delete(batch, batch.publish, target)

    async def consume(self, command: ConsumeBatch) -> tuple[str, Checkpoint | None]:
        """Record the consumer and hand it a signed download URL of the published file."""
        batch = await self.batch(command.batch_id)
        batch.consume(command.consumer)
        checkpoint = await self.batches.save_async(batch)
        expires = int(datetime.now(UTC).timestamp()) + self.settings.url_ttl_seconds
        return self.signer.sign("GET", download_path(batch.batch_id), expires), checkpoint

    async def published_file(self, batch_id: str) -> str:
        """The key of a published batch's file (for downloads)."""
        batch = await self.batch(batch_id)
        batch.require("consume")
        return published_key(batch.dataset, batch_id)

    # --- erasure ------------------------------------------------------------------------------

    async def locate_subject(self, subject_id: str) -> tuple[SubjectRows, ...]:
        """Every batch whose raw file holds rows of the subject (the erasure's dry run)."""
        found = []
        for dataset in await self.views.datasets():
            column = dataset.get("subject_column")
            if column is None:
                continue
            for batch in await self.views.batches(dataset["name"]):
                key = raw_key(dataset["name"], batch["batch_id"])
                if batch["state"] == "awaiting_upload" or not self.storage.exists(key):
                    continue
                rows = await self._with_file(
                    key, partial(find_rows, subject_column=column, subject_id=subject_id)
                )
                if rows:
                    found.append(SubjectRows(dataset["name"], batch["batch_id"], rows))
        return tuple(found)

    async def request_erasure(self, command: RequestErasure) -> Checkpoint | None:
        erasure = Erasure(aggregate_id=erasure_stream(command.request_id))
        found = await self.locate_subject(command.subject_id.strip())
        erasure.request(
            command.request_id,
            command.subject_id.strip(),
            command.requested_by,
            command.reason,
            found,
        )
        return await self.erasures.save_async(erasure)

    async def approve_erasure(self, command: ApproveErasure) -> Checkpoint | None:
        erasure = await self.erasure(command.request_id)
        erasure.approve(command.approved_by)
        return await self.erasures.save_async(erasure)

    async def record_rows_removed(
        self, request_id: str, found: tuple[SubjectRows, ...]
    ) -> Checkpoint | None:
        checkpoint = None
        for place in found:
            batch = await self.batch(place.batch_id)
            if request_id not in batch.erasures:
                batch.remove_subject_rows(request_id, len(place.rows))
                checkpoint = await self.batches.save_async(batch) or checkpoint
        return checkpoint


__all__ = ["LakehouseHandlers", "UploadTicket", "check_file_name", "download_path", "upload_path"]
