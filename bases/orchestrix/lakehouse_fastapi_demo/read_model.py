"""The read model: datasets, batches, erasure requests and a timeline, built from events.

One projection (`lakehouse-views`) writes five tables through `Sql`, inside the projection
runner's transaction, so on SQLite and PostgreSQL the rows and the checkpoint commit together
(exactly once). Documents are JSON; the timeline keeps one line per event with a short
summary, never personal values; the subject index keeps where each data subject has rows
(its pseudonymous id and row numbers, never its personal values, which stay sealed in the
event store) and whether the subject was erased.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from orchestrix.core.eventsourcing.erasure import SubjectErased
from orchestrix.core.eventsourcing.projection import ProjectionContext, ProjectionEngine
from orchestrix.core.messaging.message import Event
from orchestrix.lakehouse_fastapi_demo.aggregate import (
    ERASURE_STEPS,
    BatchState,
    ErasureState,
    next_actions,
)
from orchestrix.lakehouse_fastapi_demo.models import (
    BatchAppended,
    BatchConsumed,
    BatchPublished,
    BatchQuarantined,
    ContractRegistered,
    DatasetRegistered,
    ErasureApproved,
    ErasureExecuted,
    ErasureRequested,
    ErasureVerified,
    FileReceived,
    PrivacyApplied,
    QualityChecked,
    SubjectRowsRecorded,
    SubjectRowsRemoved,
    UploadAuthorised,
)
from orchestrix.lakehouse_fastapi_demo.sql import Sql

PROJECTION = "lakehouse-views"

TABLES = (
    "CREATE TABLE {p}lake_datasets (name TEXT PRIMARY KEY, doc TEXT NOT NULL)",
    "CREATE TABLE {p}lake_batches (batch_id TEXT PRIMARY KEY, dataset TEXT NOT NULL, "
    "doc TEXT NOT NULL)",
    "CREATE INDEX lake_batches_by_dataset ON {p}lake_batches (dataset)",
    "CREATE TABLE {p}lake_erasures (request_id TEXT PRIMARY KEY, doc TEXT NOT NULL)",
    "CREATE TABLE {p}lake_events (tx_id BIGINT NOT NULL, position BIGINT NOT NULL, "
    "stream TEXT NOT NULL, dataset TEXT, batch_id TEXT, request_id TEXT, type TEXT NOT NULL, "
    "at TEXT NOT NULL, summary TEXT NOT NULL, PRIMARY KEY (tx_id, position))",
    "CREATE INDEX lake_events_by_dataset ON {p}lake_events (dataset, tx_id, position)",
    "CREATE INDEX lake_events_by_batch ON {p}lake_events (batch_id, tx_id, position)",
    "CREATE TABLE {p}lake_subjects (subject_id TEXT NOT NULL, batch_id TEXT NOT NULL, "
    "dataset TEXT NOT NULL, rows TEXT NOT NULL, erased_at TEXT, "
    "PRIMARY KEY (subject_id, batch_id))",
)
DROPS = tuple(
    f"DROP TABLE IF EXISTS {{p}}{table}"
    for table in ("lake_datasets", "lake_batches", "lake_erasures", "lake_events", "lake_subjects")
)


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, default=str, separators=(",", ":"))


async def _load(sql: Sql, table: str, key_column: str, key: str) -> dict[str, Any]:
    rows = await sql.fetch(f"SELECT doc FROM {{p}}{table} WHERE {key_column} = ?", key)
    return dict(json.loads(rows[0][0])) if rows else {}


async def _save_batch(sql: Sql, doc: dict[str, Any]) -> None:
    doc["next_actions"] = list(
        next_actions(BatchState(doc["state"]), bool(doc.get("personal_columns")))
    )
    await sql.execute(
        "INSERT INTO {p}lake_batches (batch_id, dataset, doc) VALUES (?, ?, ?) "
        "ON CONFLICT (batch_id) DO UPDATE SET doc = excluded.doc",
        doc["batch_id"],
        doc["dataset"],
        dumps(doc),
    )


async def _save_dataset(sql: Sql, doc: dict[str, Any]) -> None:
    await sql.execute(
        "INSERT INTO {p}lake_datasets (name, doc) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET doc = excluded.doc",
        doc["name"],
        dumps(doc),
    )


async def _save_erasure(sql: Sql, doc: dict[str, Any]) -> None:
    doc["next_actions"] = list(ERASURE_STEPS.get(ErasureState(doc["state"]), ()))
    await sql.execute(
        "INSERT INTO {p}lake_erasures (request_id, doc) VALUES (?, ?) "
        "ON CONFLICT (request_id) DO UPDATE SET doc = excluded.doc",
        doc["request_id"],
        dumps(doc),
    )


def summary(event: Event) -> str | None:
    """One line for the timeline; None for events the lakehouse does not show."""
    match event:
        case DatasetRegistered(columns=columns):
            personal = [c.name for c in columns if c.personal]
            return f"Dataset registered: {len(columns)} columns, personal: {personal or 'none'}"
        case ContractRegistered(owner=owner, retention_days=days, rules=rules):
            version = event.contract_version
            return f"Contract v{version}: owner {owner}, {days} days, {len(rules)} rules"
        case UploadAuthorised():
            return "Upload URL issued"
        case FileReceived(file_name=name, size=size):
            return f"File received: {name} ({size} bytes)"
        case BatchAppended(rows=rows, subjects=subjects):
            return f"Appended as a batch: {rows} rows, {subjects} data subjects"
        case QualityChecked(passed=passed, results=results):
            failed = [r.rule for r in results if not r.passed]
            return "Quality passed" if passed else f"Quality failed: {', '.join(failed)}"
        case PrivacyApplied(treatments=treatments):
            done = ", ".join(f"{t.column} {t.treatment.value}" for t in treatments)
            return f"Privacy rules applied: {done or 'nothing personal'}"
        case BatchQuarantined(reason=reason):
            return f"Quarantined: {reason}"
        case BatchPublished():
            return "Published"
        case BatchConsumed(consumer=consumer):
            return f"Consumed by {consumer}"
        case SubjectRowsRemoved(rows_removed=rows, request_id=request):
            return f"Erasure {request} removed {rows} rows"
        case ErasureRequested(found=found):
            return f"Erasure requested (dry run: {sum(len(f.rows) for f in found)} rows found)"
        case ErasureApproved(approved_by=who):
            return f"Erasure approved by {who}"
        case ErasureExecuted(rows_removed=rows, keys_erased=keys):
            return f"Erasure run: {rows} rows removed, keys erased: {keys}"
        case ErasureVerified(clean=clean):
            return "Erasure verified: clean" if clean else "Erasure verification found data"
    return None


async def _index_subject(sql: Sql, event: Event) -> None:
    match event:
        case SubjectRowsRecorded():
            await sql.execute(
                "INSERT INTO {p}lake_subjects (subject_id, batch_id, dataset, rows) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (subject_id, batch_id) DO NOTHING",
                event.subject_id,
                event.batch_id,
                event.dataset,
                json.dumps(list(event.rows)),
            )
        case SubjectErased():
            await sql.execute(
                "UPDATE {p}lake_subjects SET erased_at = ? WHERE subject_id = ?",
                event.erased_at.isoformat(),
                event.subject_id,
            )


async def apply(sql: Sql, event: Event, context: ProjectionContext[Any]) -> None:
    """Update the tables for one event (its place in the log comes with `context`)."""
    if isinstance(event, SubjectRowsRecorded | SubjectErased):
        await _index_subject(sql, event)
        return
    line = summary(event)
    if line is None or context.recorded is None:
        return
    recorded = context.recorded
    dataset = getattr(event, "dataset", None) or getattr(event, "name", None)
    batch_id = getattr(event, "batch_id", None)
    request_id = getattr(event, "request_id", None)
    await sql.execute(
        "INSERT INTO {p}lake_events (tx_id, position, stream, dataset, batch_id, request_id, "
        "type, at, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (tx_id, position) DO NOTHING",
        recorded.tx_id,
        recorded.position,
        recorded.aggregate_id,
        dataset,
        batch_id,
        request_id,
        event.type,
        event.timestamp.isoformat(),
        line,
    )
    if batch_id is not None:
        await _apply_to_batch(sql, event, batch_id)
    elif request_id is not None:
        await _apply_to_erasure(sql, event, request_id)
    else:
        await _apply_to_dataset(sql, event)


async def _apply_to_dataset(sql: Sql, event: Event) -> None:
    doc: dict[str, Any]
    match event:
        case DatasetRegistered():
            doc = {
                "name": event.name,
                "columns": [asdict(column) for column in event.columns],
                "subject_column": event.subject_column,
                "contract": None,
                "registered_at": event.timestamp.isoformat(),
            }
        case ContractRegistered():
            doc = await _load(sql, "lake_datasets", "name", event.dataset)
            doc["contract"] = {
                "owner": event.owner,
                "retention_days": event.retention_days,
                "rules": [asdict(rule) for rule in event.rules],
                "version": event.contract_version,
            }
        case _:
            return
    await _save_dataset(sql, doc)


async def _apply_to_batch(sql: Sql, event: Event, batch_id: str) -> None:
    doc = await _load(sql, "lake_batches", "batch_id", batch_id)
    doc["updated_at"] = event.timestamp.isoformat()
    match event:
        case UploadAuthorised():
            doc.update(
                batch_id=batch_id,
                dataset=event.dataset,
                state=BatchState.AWAITING_UPLOAD,
                created_at=event.timestamp.isoformat(),
                expires_at=event.expires_at.isoformat(),
                consumers={},
            )
        case FileReceived():
            doc.update(state=BatchState.UPLOADED, file_name=event.file_name, size=event.size)
            doc["sha256"] = event.sha256
        case BatchAppended():
            doc.update(state=BatchState.APPENDED, rows=event.rows)
            doc["personal_columns"] = list(event.personal_columns)
        case QualityChecked():
            doc["state"] = BatchState.CHECKED if event.passed else BatchState.FAILED
            doc["quality"] = [asdict(result) for result in event.results]
        case PrivacyApplied():
            doc["state"] = BatchState.PROTECTED
            doc["treatments"] = [asdict(t) for t in event.treatments]
        case BatchQuarantined():
            doc.update(state=BatchState.QUARANTINED, quarantine_reason=event.reason)
        case BatchPublished():
            doc.update(state=BatchState.PUBLISHED, published_at=event.timestamp.isoformat())
        case BatchConsumed():
            consumers = doc.setdefault("consumers", {})
            consumers[event.consumer] = consumers.get(event.consumer, 0) + 1
        case SubjectRowsRemoved():
            doc["rows"] = doc.get("rows", 0) - event.rows_removed
    await _save_batch(sql, doc)


async def _apply_to_erasure(sql: Sql, event: Event, request_id: str) -> None:
    doc = await _load(sql, "lake_erasures", "request_id", request_id)
    match event:
        case ErasureRequested():
            doc.update(
                request_id=request_id,
                subject_id=event.subject_id,
                requested_by=event.requested_by,
                reason=event.reason,
                state=ErasureState.PLANNED,
                found=[asdict(found) for found in event.found],
                requested_at=event.timestamp.isoformat(),
            )
        case ErasureApproved():
            doc.update(state=ErasureState.APPROVED, approved_by=event.approved_by)
        case ErasureExecuted():
            doc.update(state=ErasureState.EXECUTED, rows_removed=event.rows_removed)
            doc["keys_erased"] = event.keys_erased
        case ErasureVerified():
            doc.update(
                state=ErasureState.VERIFIED, clean=event.clean, findings=list(event.findings)
            )
        case _:
            return
    await _save_erasure(sql, doc)


def register_views(engine: ProjectionEngine, sql_of: Callable[[Any], Sql]) -> None:
    """Attach the read model to `engine`; `sql_of` wraps the transaction's connection."""

    @engine.on_reset
    async def recreate(connection: Any) -> None:
        sql = sql_of(connection)
        for statement in (*DROPS, *TABLES):
            await sql.execute(statement)

    @engine.on(Event)
    async def project(event: Event, context: ProjectionContext[Any]) -> None:
        await apply(sql_of(context.connection), event, context)


__all__ = ["PROJECTION", "apply", "register_views", "summary"]
