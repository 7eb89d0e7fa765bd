"""The aggregates: a dataset with its contract, a batch with its state machine, an erasure
request. Each validates a command against its state and records the event that follows.

Event types are namespaced (`lakehouse.BatchPublished`), so their appliers are named
`_when_lakehouse_batch_published`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.eventsourcing.aggregate import AggregateRoot
from orchestrix.lakehouse_fastapi_demo.errors import AlreadyExistsError, IllegalTransitionError
from orchestrix.lakehouse_fastapi_demo.models import (
    BatchAppended,
    BatchConsumed,
    BatchPublished,
    BatchQuarantined,
    Column,
    ColumnTreatment,
    ColumnType,
    ContractRegistered,
    DatasetRegistered,
    ErasureApproved,
    ErasureExecuted,
    ErasureRequested,
    ErasureVerified,
    FileReceived,
    PrivacyApplied,
    QualityChecked,
    QualityRule,
    RuleKind,
    RuleResult,
    SubjectRows,
    SubjectRowsRemoved,
    Treatment,
    UploadAuthorised,
)

NAME = re.compile(r"[a-z][a-z0-9_-]{0,62}")
"""Dataset names: lower-case, safe in URLs and file names."""
COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
NUMERIC = (ColumnType.INTEGER, ColumnType.DECIMAL)


def dataset_stream(name: str) -> str:
    return f"lakehouse.dataset:{name}"


def batch_stream(batch_id: str) -> str:
    return f"lakehouse.batch:{batch_id}"


def erasure_stream(request_id: str) -> str:
    return f"lakehouse.erasure:{request_id}"


def subjects_stream(batch_id: str) -> str:
    """The stream of a batch's data-subject register (`SubjectRowsRecorded` events)."""
    return f"lakehouse.subjects:{batch_id}"


def _text(value: str, field_name: str, limit: int = 200) -> str:
    if not value.strip():
        raise ValidationError("cannot be empty", field_name, value)
    if len(value) > limit or "\x00" in value:
        raise ValidationError(f"must be at most {limit} characters, without NUL", field_name)
    return value


@dataclass
class Dataset(AggregateRoot):
    """A dataset's schema and its current data contract."""

    name: str = ""
    columns: tuple[Column, ...] = ()
    subject_column: str | None = None
    owner: str = ""
    retention_days: int = 0
    rules: tuple[QualityRule, ...] = ()
    contract_version: int = 0

    @property
    def registered(self) -> bool:
        return bool(self.name)

    @property
    def personal_columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.personal)

    def register(self, name: str, columns: tuple[Column, ...], subject: str | None) -> None:
        if self.registered:
            raise AlreadyExistsError("dataset", name)
        if not NAME.fullmatch(name):
            raise ValidationError("must match [a-z][a-z0-9_-]{0,62}", "name", name)
        if not columns:
            raise ValidationError("a dataset needs at least one column", "columns", columns)
        names = [column.name for column in columns]
        for index, column in enumerate(columns):
            if not COLUMN.fullmatch(column.name):
                raise ValidationError(
                    "must match [A-Za-z_][A-Za-z0-9_]{0,62}", f"columns.{index}.name", column.name
                )
            if column.name in names[:index]:
                raise ValidationError("repeats a column name", f"columns.{index}.name", column.name)
            if column.treatment is not None and not column.personal:
                raise ValidationError(
                    "only personal columns take a treatment", f"columns.{index}.treatment"
                )
        if subject is not None and subject not in names:
            raise ValidationError("must name one of the columns", "subject_column", subject)
        if any(column.personal for column in columns) and subject is None:
            raise ValidationError(
                "a dataset with personal columns must name its data subject's column",
                "subject_column",
            )
        treated = tuple(
            Column(c.name, c.type, c.personal, c.treatment or Treatment.MASK) if c.personal else c
            for c in columns
        )
        self._apply_event(DatasetRegistered(name=name, columns=treated, subject_column=subject))

    def register_contract(
        self, owner: str, retention_days: int, rules: tuple[QualityRule, ...]
    ) -> None:
        _text(owner, "owner")
        if not 1 <= retention_days <= 36_500:
            raise ValidationError("must be between 1 and 36500", "retention_days", retention_days)
        types = {column.name: column.type for column in self.columns}
        for index, rule in enumerate(rules):
            if rule.column not in types:
                raise ValidationError("names no column", f"rules.{index}.column", rule.column)
            if rule.kind is RuleKind.RANGE:
                if types[rule.column] not in NUMERIC:
                    raise ValidationError(
                        "a range needs a numeric column", f"rules.{index}.column", rule.column
                    )
                low, high = rule.minimum, rule.maximum
                if low is None and high is None:
                    raise ValidationError("a range needs a minimum or a maximum", f"rules.{index}")
                if low is not None and high is not None and low > high:
                    raise ValidationError("must not exceed the maximum", f"rules.{index}.minimum")
        self._apply_event(
            ContractRegistered(
                dataset=self.name,
                owner=owner,
                retention_days=retention_days,
                rules=rules,
                contract_version=self.contract_version + 1,
            )
        )

    def _when_lakehouse_dataset_registered(self, event: DatasetRegistered) -> None:
        self.name, self.columns, self.subject_column = (
            event.name,
            event.columns,
            event.subject_column,
        )

    def _when_lakehouse_contract_registered(self, event: ContractRegistered) -> None:
        self.owner, self.retention_days = event.owner, event.retention_days
        self.rules, self.contract_version = event.rules, event.contract_version


class BatchState(StrEnum):
    NEW = "new"
    AWAITING_UPLOAD = "awaiting_upload"
    UPLOADED = "uploaded"
    APPENDED = "appended"
    CHECKED = "checked"
    FAILED = "failed_quality"
    PROTECTED = "protected"
    PUBLISHED = "published"
    QUARANTINED = "quarantined"


def next_actions(state: BatchState, personal: bool) -> tuple[str, ...]:
    """The steps a batch in `state` allows: what the page offers as buttons."""
    match state:
        case BatchState.AWAITING_UPLOAD:
            return ("upload",)
        case BatchState.UPLOADED:
            return ("append", "quarantine")
        case BatchState.APPENDED:
            return ("check", "quarantine")
        case BatchState.CHECKED:
            return ("protect" if personal else "publish", "quarantine")
        case BatchState.FAILED:
            return ("quarantine",)
        case BatchState.PROTECTED:
            return ("publish", "quarantine")
        case BatchState.PUBLISHED:
            return ("consume", "quarantine")
        case _:
            return ()


@dataclass
class Batch(AggregateRoot):
    """One upload's life: authorised, received, appended, checked, protected, published."""

    batch_id: str = ""
    dataset: str = ""
    state: BatchState = BatchState.NEW
    expires_at: datetime | None = None
    file_name: str = ""
    rows: int = 0
    personal_columns: tuple[str, ...] = ()
    consumers: dict[str, int] = field(default_factory=dict)
    erasures: set[str] = field(default_factory=set)

    @property
    def allowed(self) -> tuple[str, ...]:
        return next_actions(self.state, bool(self.personal_columns))

    def require(self, action: str) -> None:
        """`IllegalTransitionError` unless `action` is allowed now."""
        if action not in self.allowed:
            raise IllegalTransitionError(
                "batch", self.batch_id, self.state.value, action, self.allowed
            )

    def authorise(self, batch_id: str, dataset: str, expires_at: datetime) -> None:
        if self.state is not BatchState.NEW:
            raise AlreadyExistsError("batch", batch_id)
        self._apply_event(
            UploadAuthorised(batch_id=batch_id, dataset=dataset, expires_at=expires_at)
        )

    def receive(self, file_name: str, size: int, sha256: str) -> None:
        self.require("upload")
        self._apply_event(
            FileReceived(
                batch_id=self.batch_id,
                dataset=self.dataset,
                file_name=file_name,
                size=size,
                sha256=sha256,
            )
        )

    def append(self, rows: int, personal_columns: tuple[str, ...], subjects: int = 0) -> None:
        self.require("append")
        self._apply_event(
            BatchAppended(
                batch_id=self.batch_id,
                dataset=self.dataset,
                rows=rows,
                personal_columns=personal_columns,
                subjects=subjects,
            )
        )

    def record_quality(self, results: tuple[RuleResult, ...]) -> None:
        self.require("check")
        passed = all(result.passed for result in results)
        self._apply_event(
            QualityChecked(
                batch_id=self.batch_id, dataset=self.dataset, passed=passed, results=results
            )
        )

    def protect(self, treatments: tuple[ColumnTreatment, ...]) -> None:
        self.require("protect")
        self._apply_event(
            PrivacyApplied(batch_id=self.batch_id, dataset=self.dataset, treatments=treatments)
        )

    def quarantine(self, reason: str) -> None:
        _text(reason, "reason")
        self.require("quarantine")
        self._apply_event(
            BatchQuarantined(batch_id=self.batch_id, dataset=self.dataset, reason=reason)
        )

    def publish(self) -> None:
        self.require("publish")
        self._apply_event(BatchPublished(batch_id=self.batch_id, dataset=self.dataset))

    def consume(self, consumer: str) -> None:
        _text(consumer, "consumer", limit=100)
        self.require("consume")
        self._apply_event(
            BatchConsumed(batch_id=self.batch_id, dataset=self.dataset, consumer=consumer)
        )

    def remove_subject_rows(self, request_id: str, rows_removed: int) -> None:
        self._apply_event(
            SubjectRowsRemoved(
                batch_id=self.batch_id,
                dataset=self.dataset,
                request_id=request_id,
                rows_removed=rows_removed,
            )
        )

    def _when_lakehouse_upload_authorised(self, event: UploadAuthorised) -> None:
        self.batch_id, self.dataset = event.batch_id, event.dataset
        self.expires_at, self.state = event.expires_at, BatchState.AWAITING_UPLOAD

    def _when_lakehouse_file_received(self, event: FileReceived) -> None:
        self.file_name, self.state = event.file_name, BatchState.UPLOADED

    def _when_lakehouse_batch_appended(self, event: BatchAppended) -> None:
        self.rows, self.personal_columns = event.rows, event.personal_columns
        self.state = BatchState.APPENDED

    def _when_lakehouse_quality_checked(self, event: QualityChecked) -> None:
        self.state = BatchState.CHECKED if event.passed else BatchState.FAILED

    def _when_lakehouse_privacy_applied(self, event: PrivacyApplied) -> None:
        self.state = BatchState.PROTECTED

    def _when_lakehouse_batch_quarantined(self, event: BatchQuarantined) -> None:
        self.state = BatchState.QUARANTINED

    def _when_lakehouse_batch_published(self, event: BatchPublished) -> None:
        self.state = BatchState.PUBLISHED

    def _when_lakehouse_batch_consumed(self, event: BatchConsumed) -> None:
        self.consumers[event.consumer] = self.consumers.get(event.consumer, 0) + 1

    def _when_lakehouse_subject_rows_removed(self, event: SubjectRowsRemoved) -> None:
        self.rows -= event.rows_removed
        self.erasures.add(event.request_id)


class ErasureState(StrEnum):
    NEW = "new"
    PLANNED = "planned"
    APPROVED = "approved"
    EXECUTED = "executed"
    VERIFIED = "verified"


ERASURE_STEPS = {
    ErasureState.PLANNED: ("approve",),
    ErasureState.APPROVED: ("run",),
    ErasureState.EXECUTED: ("verify",),
}


@dataclass
class Erasure(AggregateRoot):
    """A GDPR erasure request: dry run (the plan), approval by someone else, run, verify."""

    request_id: str = ""
    subject_id: str = ""
    requested_by: str = ""
    state: ErasureState = ErasureState.NEW
    found: tuple[SubjectRows, ...] = ()
    clean: bool | None = None

    @property
    def allowed(self) -> tuple[str, ...]:
        return ERASURE_STEPS.get(self.state, ())

    def require(self, action: str) -> None:
        """`IllegalTransitionError` unless `action` is allowed now."""
        if action not in self.allowed:
            raise IllegalTransitionError(
                "erasure", self.request_id, self.state.value, action, self.allowed
            )

    def request(
        self,
        request_id: str,
        subject_id: str,
        requested_by: str,
        reason: str,
        found: tuple[SubjectRows, ...],
    ) -> None:
        if self.state is not ErasureState.NEW:
            raise AlreadyExistsError("erasure", request_id)
        _text(subject_id, "subject_id")
        _text(requested_by, "requested_by", limit=100)
        self._apply_event(
            ErasureRequested(
                request_id=request_id,
                subject_id=subject_id,
                requested_by=requested_by,
                reason=reason,
                found=found,
            )
        )

    def approve(self, approved_by: str) -> None:
        _text(approved_by, "approved_by", limit=100)
        self.require("approve")
        if approved_by == self.requested_by:
            raise ValidationError(
                "must be someone other than the requester", "approved_by", approved_by
            )
        self._apply_event(ErasureApproved(request_id=self.request_id, approved_by=approved_by))

    def executed(self, rows_removed: int, keys_erased: bool) -> None:
        self.require("run")
        self._apply_event(
            ErasureExecuted(
                request_id=self.request_id, rows_removed=rows_removed, keys_erased=keys_erased
            )
        )

    def verified(self, findings: tuple[str, ...]) -> None:
        self.require("verify")
        self._apply_event(
            ErasureVerified(request_id=self.request_id, clean=not findings, findings=findings)
        )

    def _when_lakehouse_erasure_requested(self, event: ErasureRequested) -> None:
        self.request_id, self.subject_id = event.request_id, event.subject_id
        self.requested_by, self.found = event.requested_by, event.found
        self.state = ErasureState.PLANNED

    def _when_lakehouse_erasure_approved(self, event: ErasureApproved) -> None:
        self.state = ErasureState.APPROVED

    def _when_lakehouse_erasure_executed(self, event: ErasureExecuted) -> None:
        self.state = ErasureState.EXECUTED

    def _when_lakehouse_erasure_verified(self, event: ErasureVerified) -> None:
        self.state, self.clean = ErasureState.VERIFIED, event.clean
