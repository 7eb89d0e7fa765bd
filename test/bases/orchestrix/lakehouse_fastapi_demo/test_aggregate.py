"""The aggregates as given / when / then scenarios: each legal step records its event, each
illegal one is refused naming the state and what is allowed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.messaging.message import Event
from orchestrix.lakehouse_fastapi_demo.aggregate import (
    Batch,
    BatchState,
    Dataset,
    Erasure,
    next_actions,
)
from orchestrix.lakehouse_fastapi_demo.errors import AlreadyExistsError, IllegalTransitionError
from orchestrix.lakehouse_fastapi_demo.models import (
    BatchAppended,
    BatchConsumed,
    BatchPublished,
    BatchQuarantined,
    Column,
    ColumnType,
    ContractRegistered,
    DatasetRegistered,
    ErasureApproved,
    ErasureRequested,
    FileReceived,
    PrivacyApplied,
    QualityChecked,
    QualityRule,
    RuleKind,
    RuleResult,
    Treatment,
    UploadAuthorised,
)
from orchestrix.testing import AggregateScenario

EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)
COLUMNS = (
    Column("id", personal=True, treatment=Treatment.HASH),
    Column("age", ColumnType.INTEGER),
)
HISTORY: dict[BatchState, tuple[Event, ...]] = {}
HISTORY[BatchState.AWAITING_UPLOAD] = (
    UploadAuthorised(batch_id="B-1", dataset="people", expires_at=EXPIRES),
)
HISTORY[BatchState.UPLOADED] = (
    *HISTORY[BatchState.AWAITING_UPLOAD],
    FileReceived(batch_id="B-1", dataset="people", file_name="p.csv", size=9, sha256="00"),
)
HISTORY[BatchState.APPENDED] = (
    *HISTORY[BatchState.UPLOADED],
    BatchAppended(batch_id="B-1", dataset="people", rows=2, personal_columns=("id",)),
)
PASSED = (RuleResult("schema", True),)
HISTORY[BatchState.CHECKED] = (
    *HISTORY[BatchState.APPENDED],
    QualityChecked(batch_id="B-1", dataset="people", passed=True, results=PASSED),
)
HISTORY[BatchState.FAILED] = (
    *HISTORY[BatchState.APPENDED],
    QualityChecked(
        batch_id="B-1", dataset="people", passed=False, results=(RuleResult("schema", False),)
    ),
)
HISTORY[BatchState.PROTECTED] = (
    *HISTORY[BatchState.CHECKED],
    PrivacyApplied(batch_id="B-1", dataset="people", treatments=()),
)
HISTORY[BatchState.PUBLISHED] = (
    *HISTORY[BatchState.PROTECTED],
    BatchPublished(batch_id="B-1", dataset="people"),
)
HISTORY[BatchState.QUARANTINED] = (
    *HISTORY[BatchState.APPENDED],
    BatchQuarantined(batch_id="B-1", dataset="people", reason="odd"),
)
ACTIONS: dict[str, Callable[[Batch], None]] = {
    "upload": lambda b: b.receive("p.csv", 9, "00"),
    "append": lambda b: b.append(2, ("id",)),
    "check": lambda b: b.record_quality(PASSED),
    "protect": lambda b: b.protect(()),
    "publish": lambda b: b.publish(),
    "quarantine": lambda b: b.quarantine("odd"),
    "consume": lambda b: b.consume("bi"),
}


def scenario(state: BatchState) -> AggregateScenario[Batch]:
    return AggregateScenario(Batch, "lakehouse.batch:B-1").given(*HISTORY[state])


@pytest.mark.parametrize("state", list(HISTORY))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_state_allows_exactly_its_next_actions(state: BatchState, action: str) -> None:
    allowed = next_actions(state, personal=True)
    steps = scenario(state).when(ACTIONS[action])
    if action in allowed:
        batch = steps.then(*steps_events(action))
        assert batch.batch_id == "B-1"
    else:
        error = steps.then_raises(IllegalTransitionError)
        assert (error.state, error.action, error.allowed) == (state.value, action, allowed)


def steps_events(action: str) -> tuple[Event, ...]:
    return {
        "upload": (
            FileReceived(batch_id="B-1", dataset="people", file_name="p.csv", size=9, sha256="00"),
        ),
        "append": (
            BatchAppended(batch_id="B-1", dataset="people", rows=2, personal_columns=("id",)),
        ),
        "check": (QualityChecked(batch_id="B-1", dataset="people", passed=True, results=PASSED),),
        "protect": (PrivacyApplied(batch_id="B-1", dataset="people", treatments=()),),
        "publish": (BatchPublished(batch_id="B-1", dataset="people"),),
        "quarantine": (BatchQuarantined(batch_id="B-1", dataset="people", reason="odd"),),
        "consume": (BatchConsumed(batch_id="B-1", dataset="people", consumer="bi"),),
    }[action]


def test_a_batch_without_personal_columns_publishes_straight_after_the_checks() -> None:
    assert next_actions(BatchState.CHECKED, personal=False) == ("publish", "quarantine")
    assert next_actions(BatchState.CHECKED, personal=True) == ("protect", "quarantine")


def test_consumers_are_counted_one_by_one() -> None:
    batch = (
        scenario(BatchState.PUBLISHED)
        .when(lambda b: b.consume("bi"))
        .then(BatchConsumed(batch_id="B-1", dataset="people", consumer="bi"))
    )
    batch.consume("bi")
    batch.consume("ops")
    assert batch.consumers == {"bi": 2, "ops": 1}


def test_a_dataset_gets_a_default_treatment_for_personal_columns() -> None:
    dataset = (
        AggregateScenario(Dataset, "lakehouse.dataset:people")
        .when(lambda d: d.register("people", (Column("mail", personal=True),), "mail"))
        .then(
            DatasetRegistered(
                name="people",
                columns=(Column("mail", personal=True, treatment=Treatment.MASK),),
                subject_column="mail",
            )
        )
    )
    assert dataset.personal_columns == ("mail",)


def test_contracts_are_versioned() -> None:
    registered = DatasetRegistered(name="people", columns=COLUMNS, subject_column="id")
    rule = QualityRule(RuleKind.RANGE, "age", Decimal(0), Decimal(120))
    AggregateScenario(Dataset, "lakehouse.dataset:people").given(
        registered,
        ContractRegistered(
            dataset="people", owner="a", retention_days=1, rules=(), contract_version=1
        ),
    ).when(lambda d: d.register_contract("b", 7, (rule,))).then(
        ContractRegistered(
            dataset="people", owner="b", retention_days=7, rules=(rule,), contract_version=2
        )
    )


def test_a_dataset_is_registered_once() -> None:
    registered = DatasetRegistered(name="people", columns=COLUMNS, subject_column="id")
    AggregateScenario(Dataset, "lakehouse.dataset:people").given(registered).when(
        lambda d: d.register("people", COLUMNS, "id")
    ).then_raises(AlreadyExistsError)


def test_an_erasure_needs_a_second_person_to_approve() -> None:
    requested = ErasureRequested(
        request_id="ER-1", subject_id="C-1", requested_by="dpo", reason="", found=()
    )
    scenario = AggregateScenario(Erasure, "lakehouse.erasure:ER-1").given(requested)
    error = scenario.when(lambda e: e.approve("dpo")).then_raises(ValidationError)
    assert error.field == "approved_by"
    AggregateScenario(Erasure, "lakehouse.erasure:ER-1").given(requested).when(
        lambda e: e.approve("legal")
    ).then(ErasureApproved(request_id="ER-1", approved_by="legal"))
    run_early = AggregateScenario(Erasure, "lakehouse.erasure:ER-1").given(requested)
    assert run_early.when(lambda e: e.executed(0, False)).then_raises(
        IllegalTransitionError
    ).allowed == ("approve",)
