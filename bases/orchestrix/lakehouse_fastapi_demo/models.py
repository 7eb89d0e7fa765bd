"""The lakehouse's vocabulary: value types, the commands people send and the events they cause.

A dataset declares its columns (with their types and which hold personal data) and a data
contract; each upload becomes a batch that moves through quality checks, privacy rules and
publication. A GDPR erasure request is a process of its own. Every change is an event; the
read side is built from them.

The one event holding personal data is `SubjectRowsRecorded`: the register of what a batch
holds about one data subject, its values marked `Personal`, so the event store keeps them
encrypted with that subject's key and erasing the subject leaves them `REDACTED`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from orchestrix.core.messaging.message import Command, Event
from orchestrix.core.messaging.personal import Personal


class ColumnType(StrEnum):
    """What a column's cells must parse as."""

    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    BOOLEAN = "boolean"


class Treatment(StrEnum):
    """How a personal column is made safe before publication."""

    MASK = "mask"
    HASH = "hash"
    GENERALISE = "generalise"


class RuleKind(StrEnum):
    """The data-quality rules a contract may name (the schema match always runs)."""

    NOT_NULL = "not_null"
    RANGE = "range"
    UNIQUE = "unique"


@dataclass(frozen=True)
class Column:
    """A column of a dataset; `treatment` applies to personal columns only."""

    name: str
    type: ColumnType = ColumnType.STRING
    personal: bool = False
    treatment: Treatment | None = None


@dataclass(frozen=True)
class QualityRule:
    """One rule of a data contract; `minimum`/`maximum` bound a RANGE rule."""

    kind: RuleKind
    column: str
    minimum: Decimal | None = None
    maximum: Decimal | None = None

    @property
    def name(self) -> str:
        return f"{self.kind.value}({self.column})"


@dataclass(frozen=True)
class RuleResult:
    """The outcome of one rule over one batch: which rows broke it (row 1 is the first data
    row), a few of them as examples, never the values themselves."""

    rule: str
    passed: bool
    failed_rows: int = 0
    examples: tuple[int, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class ColumnTreatment:
    """What the privacy step did to one personal column."""

    column: str
    treatment: Treatment


@dataclass(frozen=True)
class SubjectRows:
    """Where an erasure found a data subject: the rows of one batch's files."""

    dataset: str
    batch_id: str
    rows: tuple[int, ...]


# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RegisterDataset(Command, type_name="lakehouse.RegisterDataset"):
    name: str
    columns: tuple[Column, ...]
    subject_column: str | None = None


@dataclass(frozen=True, kw_only=True)
class RegisterContract(Command, type_name="lakehouse.RegisterContract"):
    dataset: str
    owner: str
    retention_days: int
    rules: tuple[QualityRule, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AuthoriseUpload(Command, type_name="lakehouse.AuthoriseUpload"):
    dataset: str
    batch_id: str
    expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class ReceiveFile(Command, type_name="lakehouse.ReceiveFile"):
    batch_id: str
    file_name: str
    size: int
    sha256: str


@dataclass(frozen=True, kw_only=True)
class AppendBatch(Command, type_name="lakehouse.AppendBatch"):
    batch_id: str


@dataclass(frozen=True, kw_only=True)
class RunQualityChecks(Command, type_name="lakehouse.RunQualityChecks"):
    batch_id: str


@dataclass(frozen=True, kw_only=True)
class ApplyPrivacyRules(Command, type_name="lakehouse.ApplyPrivacyRules"):
    batch_id: str


@dataclass(frozen=True, kw_only=True)
class QuarantineBatch(Command, type_name="lakehouse.QuarantineBatch"):
    batch_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class PublishBatch(Command, type_name="lakehouse.PublishBatch"):
    batch_id: str


@dataclass(frozen=True, kw_only=True)
class ConsumeBatch(Command, type_name="lakehouse.ConsumeBatch"):
    batch_id: str
    consumer: str


@dataclass(frozen=True, kw_only=True)
class RequestErasure(Command, type_name="lakehouse.RequestErasure"):
    request_id: str
    subject_id: str
    requested_by: str
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class ApproveErasure(Command, type_name="lakehouse.ApproveErasure"):
    request_id: str
    approved_by: str


@dataclass(frozen=True, kw_only=True)
class RunErasure(Command, type_name="lakehouse.RunErasure"):
    request_id: str


@dataclass(frozen=True, kw_only=True)
class VerifyErasure(Command, type_name="lakehouse.VerifyErasure"):
    request_id: str


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DatasetRegistered(Event, type_name="lakehouse.DatasetRegistered"):
    name: str
    columns: tuple[Column, ...]
    subject_column: str | None = None


@dataclass(frozen=True, kw_only=True)
class ContractRegistered(Event, type_name="lakehouse.ContractRegistered"):
    dataset: str
    owner: str
    retention_days: int
    rules: tuple[QualityRule, ...]
    contract_version: int


@dataclass(frozen=True, kw_only=True)
class UploadAuthorised(Event, type_name="lakehouse.UploadAuthorised"):
    batch_id: str
    dataset: str
    expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class FileReceived(Event, type_name="lakehouse.FileReceived"):
    batch_id: str
    dataset: str
    file_name: str
    size: int
    sha256: str


@dataclass(frozen=True, kw_only=True)
class BatchAppended(Event, type_name="lakehouse.BatchAppended"):
    batch_id: str
    dataset: str
    rows: int
    personal_columns: tuple[str, ...] = ()
    subjects: int = 0


type SubjectValues = Annotated[tuple[dict[str, str], ...], Personal("subject_id")]
"""A data subject's personal cells, one mapping of column to value per row."""


@dataclass(frozen=True, kw_only=True)
class SubjectRowsRecorded(Event, type_name="lakehouse.SubjectRowsRecorded"):
    """What one batch holds about one data subject: the rows, and their personal values
    (sealed with the subject's key; `REDACTED` once the subject is erased)."""

    subject_id: str
    dataset: str
    batch_id: str
    rows: tuple[int, ...]
    values: SubjectValues


@dataclass(frozen=True, kw_only=True)
class QualityChecked(Event, type_name="lakehouse.QualityChecked"):
    batch_id: str
    dataset: str
    passed: bool
    results: tuple[RuleResult, ...]


@dataclass(frozen=True, kw_only=True)
class PrivacyApplied(Event, type_name="lakehouse.PrivacyApplied"):
    batch_id: str
    dataset: str
    treatments: tuple[ColumnTreatment, ...]


@dataclass(frozen=True, kw_only=True)
class BatchQuarantined(Event, type_name="lakehouse.BatchQuarantined"):
    batch_id: str
    dataset: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class BatchPublished(Event, type_name="lakehouse.BatchPublished"):
    batch_id: str
    dataset: str


@dataclass(frozen=True, kw_only=True)
class BatchConsumed(Event, type_name="lakehouse.BatchConsumed"):
    batch_id: str
    dataset: str
    consumer: str


@dataclass(frozen=True, kw_only=True)
class SubjectRowsRemoved(Event, type_name="lakehouse.SubjectRowsRemoved"):
    """An erasure rewrote the batch's files without a data subject's rows."""

    batch_id: str
    dataset: str
    request_id: str
    rows_removed: int


@dataclass(frozen=True, kw_only=True)
class ErasureRequested(Event, type_name="lakehouse.ErasureRequested"):
    """The dry run: who asked, and every place the subject's rows were found."""

    request_id: str
    subject_id: str
    requested_by: str
    reason: str
    found: tuple[SubjectRows, ...] = field(default=())


@dataclass(frozen=True, kw_only=True)
class ErasureApproved(Event, type_name="lakehouse.ErasureApproved"):
    request_id: str
    approved_by: str


@dataclass(frozen=True, kw_only=True)
class ErasureExecuted(Event, type_name="lakehouse.ErasureExecuted"):
    request_id: str
    rows_removed: int
    keys_erased: bool


@dataclass(frozen=True, kw_only=True)
class ErasureVerified(Event, type_name="lakehouse.ErasureVerified"):
    request_id: str
    clean: bool
    findings: tuple[str, ...] = ()
