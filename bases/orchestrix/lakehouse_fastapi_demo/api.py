"""The HTTP endpoints: one per command, reads from the read model, and the signed file URLs.

A command endpoint runs its handler, waits until the read model shows the change (read your
writes) and answers with the changed resource as the read model has it, plus the
`checkpoint` it was written at. A read endpoint given `?after=<checkpoint>` first waits for
that checkpoint, so a client that wrote through another process also reads its own writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from orchestrix.core.eventsourcing.event_log import Checkpoint
from orchestrix.lakehouse_fastapi_demo.errors import NotFoundError, UploadTooLargeError
from orchestrix.lakehouse_fastapi_demo.handlers import download_path, new_id, upload_path
from orchestrix.lakehouse_fastapi_demo.models import (
    AppendBatch,
    ApplyPrivacyRules,
    ApproveErasure,
    ConsumeBatch,
    PublishBatch,
    QuarantineBatch,
    RegisterContract,
    RegisterDataset,
    RequestErasure,
    RunErasure,
    RunQualityChecks,
    VerifyErasure,
)
from orchestrix.lakehouse_fastapi_demo.replay import replay_dataset, view_of
from orchestrix.lakehouse_fastapi_demo.schemas import (
    ApprovalIn,
    ConsumeIn,
    ContractIn,
    DatasetIn,
    ErasureIn,
    QuarantineIn,
)
from orchestrix.lakehouse_fastapi_demo.service import Lakehouse, checkpoint_token, parse_checkpoint

type Document = dict[str, Any]
CHUNK = 64 * 1024


def lakehouse(request: Request) -> Lakehouse:
    service: Lakehouse = request.app.state.lakehouse
    return service


Lake = Annotated[Lakehouse, Depends(lakehouse)]
After = Annotated[str | None, Query(description="wait until the read model has reached this")]

api = APIRouter(prefix="/api")
files = APIRouter(prefix="/files", tags=["files"])


async def _read_after(lake: Lakehouse, after: str | None) -> None:
    if after is not None:
        await lake.caught_up(parse_checkpoint(after))


def _found(document: Document | None, kind: str, key: str) -> Document:
    if document is None:
        raise NotFoundError(kind, key)
    return document


async def _batch_after(lake: Lakehouse, batch_id: str, checkpoint: Checkpoint | None) -> Document:
    await lake.caught_up(checkpoint)
    batch = _found(await lake.backend.views.batch(batch_id), "batch", batch_id)
    return {**batch, "checkpoint": checkpoint_token(checkpoint)}


async def _dataset_view(lake: Lakehouse, name: str) -> Document:
    views = lake.backend.views
    dataset = _found(await views.dataset(name), "dataset", name)
    return {**dataset, "batches": await views.batches(name)}


# --- datasets ---------------------------------------------------------------------------------


@api.post("/datasets", status_code=201, tags=["datasets"])
async def register_dataset(body: DatasetIn, lake: Lake) -> Document:
    """Register a dataset: its columns, their types, which hold personal data."""
    command = RegisterDataset(
        name=body.name,
        columns=tuple(column.to_column() for column in body.columns),
        subject_column=body.subject_column,
    )
    checkpoint = await lake.handlers.register_dataset(command)
    await lake.caught_up(checkpoint)
    return {**await _dataset_view(lake, body.name), "checkpoint": checkpoint_token(checkpoint)}


@api.get("/datasets", tags=["datasets"])
async def list_datasets(lake: Lake, after: After = None) -> list[Document]:
    """Every dataset with its batches and their states."""
    await _read_after(lake, after)
    views = lake.backend.views
    return [
        {**dataset, "batches": await views.batches(dataset["name"])}
        for dataset in await views.datasets()
    ]


@api.get("/datasets/{name}", tags=["datasets"])
async def get_dataset(name: str, lake: Lake, after: After = None) -> Document:
    await _read_after(lake, after)
    return await _dataset_view(lake, name)


@api.put("/datasets/{name}/contract", tags=["datasets"])
async def register_contract(name: str, body: ContractIn, lake: Lake) -> Document:
    """Register (or replace) the dataset's data contract: owner, retention, quality rules."""
    command = RegisterContract(
        dataset=name,
        owner=body.owner,
        retention_days=body.retention_days,
        rules=tuple(rule.to_rule() for rule in body.rules),
    )
    checkpoint = await lake.handlers.register_contract(command)
    await lake.caught_up(checkpoint)
    return {**await _dataset_view(lake, name), "checkpoint": checkpoint_token(checkpoint)}


@api.get("/datasets/{name}/events", tags=["datasets"])
async def dataset_events(name: str, lake: Lake, after: After = None) -> list[Document]:
    """The dataset's timeline: its own events and those of its batches."""
    await _read_after(lake, after)
    _found(await lake.backend.views.dataset(name), "dataset", name)
    return await lake.backend.views.events("dataset", name)


@api.post("/datasets/{name}/replay", tags=["datasets"])
async def replay(name: str, lake: Lake) -> Document:
    """Rebuild the dataset's read model from its events in a fresh store and compare."""
    await lake.handlers.dataset(name)
    rebuilt = await replay_dataset(lake.backend.store, name)
    live = await view_of(lake.backend.views, name)
    same = all(rebuilt[part] == live[part] for part in ("dataset", "batches", "events"))
    return {**rebuilt, "matches_live": same}


@api.post("/datasets/{name}/uploads", status_code=201, tags=["batches"])
async def authorise_upload(name: str, lake: Lake) -> Document:
    """A signed URL to PUT one CSV file to; it becomes a batch of the dataset."""
    ticket = await lake.handlers.authorise_upload(name)
    await lake.caught_up(ticket.checkpoint)
    return {
        "batch_id": ticket.batch_id,
        "upload_url": ticket.url,
        "expires_at": ticket.expires_at.isoformat(),
        "checkpoint": checkpoint_token(ticket.checkpoint),
    }


# --- batches ----------------------------------------------------------------------------------


@api.get("/batches/{batch_id}", tags=["batches"])
async def get_batch(batch_id: str, lake: Lake, after: After = None) -> Document:
    await _read_after(lake, after)
    return _found(await lake.backend.views.batch(batch_id), "batch", batch_id)


@api.get("/batches/{batch_id}/events", tags=["batches"])
async def batch_events(batch_id: str, lake: Lake, after: After = None) -> list[Document]:
    await _read_after(lake, after)
    _found(await lake.backend.views.batch(batch_id), "batch", batch_id)
    return await lake.backend.views.events("batch_id", batch_id)


@api.post("/batches/{batch_id}/append", tags=["batches"])
async def append(batch_id: str, lake: Lake) -> Document:
    """Append the uploaded file to its dataset as a batch."""
    return await _batch_after(
        lake, batch_id, await lake.handlers.append(AppendBatch(batch_id=batch_id))
    )


@api.post("/batches/{batch_id}/quality", tags=["batches"])
async def run_quality(batch_id: str, lake: Lake) -> Document:
    """Run the schema match and the contract's rules; one result per rule."""
    checkpoint = await lake.handlers.check_quality(RunQualityChecks(batch_id=batch_id))
    return await _batch_after(lake, batch_id, checkpoint)


@api.post("/batches/{batch_id}/privacy", tags=["batches"])
async def run_privacy(batch_id: str, lake: Lake) -> Document:
    """Mask, hash or generalise the personal columns into the file to publish."""
    checkpoint = await lake.handlers.apply_privacy(ApplyPrivacyRules(batch_id=batch_id))
    return await _batch_after(lake, batch_id, checkpoint)


@api.post("/batches/{batch_id}/quarantine", tags=["batches"])
async def quarantine(batch_id: str, body: QuarantineIn, lake: Lake) -> Document:
    command = QuarantineBatch(batch_id=batch_id, reason=body.reason)
    return await _batch_after(lake, batch_id, await lake.handlers.quarantine(command))


@api.post("/batches/{batch_id}/publish", tags=["batches"])
async def publish(batch_id: str, lake: Lake) -> Document:
    checkpoint = await lake.handlers.publish(PublishBatch(batch_id=batch_id))
    return await _batch_after(lake, batch_id, checkpoint)


@api.post("/batches/{batch_id}/consume", tags=["batches"])
async def consume(batch_id: str, body: ConsumeIn, lake: Lake) -> Document:
    """Record the consumer and return a signed download URL (published batches only)."""
    url, checkpoint = await lake.handlers.consume(
        ConsumeBatch(batch_id=batch_id, consumer=body.consumer)
    )
    return {**await _batch_after(lake, batch_id, checkpoint), "download_url": url}


# --- erasure ----------------------------------------------------------------------------------


async def _erasure_after(
    lake: Lakehouse, request_id: str, checkpoint: Checkpoint | None
) -> Document:
    await lake.caught_up(checkpoint)
    erasure = _found(await lake.backend.views.erasure(request_id), "erasure", request_id)
    return {**erasure, "checkpoint": checkpoint_token(checkpoint)}


@api.get("/subjects/{subject_id}", tags=["erasure"])
async def subject_report(subject_id: str, lake: Lake, after: After = None) -> Document:
    """What the lake holds about a data subject (a GDPR access request): its rows and their
    personal values, decrypted from its events; `null` values once it is erased."""
    await _read_after(lake, after)
    return await lake.subject_report(subject_id)


@api.post("/erasures", status_code=201, tags=["erasure"])
async def request_erasure(body: ErasureIn, lake: Lake) -> Document:
    """Ask to erase a data subject: the dry run, listing where its rows are."""
    command = RequestErasure(
        request_id=new_id("ER"),
        subject_id=body.subject_id,
        requested_by=body.requested_by,
        reason=body.reason,
    )
    checkpoint = await lake.handlers.request_erasure(command)
    return await _erasure_after(lake, command.request_id, checkpoint)


@api.get("/erasures", tags=["erasure"])
async def list_erasures(lake: Lake, after: After = None) -> list[Document]:
    await _read_after(lake, after)
    return await lake.backend.views.erasures()


@api.get("/erasures/{request_id}", tags=["erasure"])
async def get_erasure(request_id: str, lake: Lake, after: After = None) -> Document:
    await _read_after(lake, after)
    return _found(await lake.backend.views.erasure(request_id), "erasure", request_id)


@api.get("/erasures/{request_id}/events", tags=["erasure"])
async def erasure_events(request_id: str, lake: Lake, after: After = None) -> list[Document]:
    await _read_after(lake, after)
    _found(await lake.backend.views.erasure(request_id), "erasure", request_id)
    return await lake.backend.views.events("request_id", request_id)


@api.post("/erasures/{request_id}/approve", tags=["erasure"])
async def approve_erasure(request_id: str, body: ApprovalIn, lake: Lake) -> Document:
    command = ApproveErasure(request_id=request_id, approved_by=body.approved_by)
    return await _erasure_after(lake, request_id, await lake.handlers.approve_erasure(command))


@api.post("/erasures/{request_id}/run", tags=["erasure"])
async def run_erasure(request_id: str, lake: Lake) -> Document:
    checkpoint = await lake.run_erasure(RunErasure(request_id=request_id))
    return await _erasure_after(lake, request_id, checkpoint)


@api.post("/erasures/{request_id}/verify", tags=["erasure"])
async def verify_erasure(request_id: str, lake: Lake) -> Document:
    checkpoint = await lake.verify_erasure(VerifyErasure(request_id=request_id))
    return await _erasure_after(lake, request_id, checkpoint)


# --- files ------------------------------------------------------------------------------------


@files.put("/upload/{batch_id}", status_code=201)
async def upload(
    batch_id: str,
    request: Request,
    lake: Lake,
    *,
    expires: str | None = None,
    signature: str | None = None,
    filename: str = "upload.csv",
) -> Document:
    """Stream a CSV file to a signed upload URL (the body is the file)."""
    lake.signer.verify("PUT", upload_path(batch_id), expires, signature)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > lake.settings.max_upload_bytes:
        raise UploadTooLargeError(lake.settings.max_upload_bytes)
    checkpoint = await lake.handlers.receive_file(batch_id, filename, request.stream())
    return await _batch_after(lake, batch_id, checkpoint)


@files.get("/download/{batch_id}")
async def download(
    batch_id: str, lake: Lake, expires: str | None = None, signature: str | None = None
) -> StreamingResponse:
    """The published file of a batch, through a signed URL from `consume`."""
    lake.signer.verify("GET", download_path(batch_id), expires, signature)
    key = await lake.handlers.published_file(batch_id)
    storage = lake.storage

    def chunks() -> Iterator[bytes]:
        with storage.reader(key) as file:
            while chunk := file.read(CHUNK):
                yield chunk

    return StreamingResponse(
        chunks(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{batch_id}.csv"'},
    )


__all__ = ["api", "files"]
