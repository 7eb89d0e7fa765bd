"""Contracts for the stores that keep projection checkpoints and saga states.

Subclass `ProjectionStateStoreContract` / `SagaStateStoreContract` and provide a `state_store`
fixture returning a fresh, empty store.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from orchestrix.core.eventsourcing.projection_state import ProjectionState
from orchestrix.core.execution.errors import SagaConcurrencyError, StateEncodingError
from orchestrix.core.execution.saga_state import SagaState, SagaStatus, SagaStepStatus
from orchestrix.core.messaging.message import Command, Event


class ProjectionStateStoreContract:
    @pytest.fixture
    def state_store(self) -> Any:
        raise NotImplementedError("subclasses provide a state_store fixture")

    async def test_missing_state_is_none(self, state_store: Any) -> None:
        assert await state_store.load_state("nothing") is None

    async def test_state_round_trips(self, state_store: Any) -> None:
        state = ProjectionState(
            projection_id="orders",
            last_processed_event_id="e-9",
            last_processed_position=9,
            last_processed_tx_id=1234,
            updated_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
            error_count=2,
            is_healthy=False,
        )
        await state_store.save_state(state)
        assert await state_store.load_state("orders") == state

    async def test_saving_again_replaces(self, state_store: Any) -> None:
        await state_store.save_state(ProjectionState(projection_id="p", last_processed_position=1))
        newer = ProjectionState(projection_id="p", last_processed_position=2)
        await state_store.save_state(newer)
        assert await state_store.load_state("p") == newer

    async def test_states_are_kept_per_projection(self, state_store: Any) -> None:
        a = ProjectionState(projection_id="a", last_processed_position=1)
        b = ProjectionState(projection_id="'; DROP TABLE x; --", last_processed_position=2)
        await state_store.save_state(a)
        await state_store.save_state(b)
        assert await state_store.load_state("a") == a
        assert await state_store.load_state(b.projection_id) == b

    async def test_delete_forgets_the_state(self, state_store: Any) -> None:
        await state_store.save_state(ProjectionState(projection_id="p"))
        await state_store.delete_state("p")
        await state_store.delete_state("never-saved")
        assert await state_store.load_state("p") is None


@dataclass(frozen=True, kw_only=True)
class ContractParcelShipped(Event, type_name="contracts.ParcelShipped"):
    parcel_id: str
    weight: Decimal


class ContractParcel:
    """Two classes sharing the type name `contracts.Sent`: the stored identity picks one."""

    @dataclass(frozen=True, kw_only=True)
    class Sent(Event, type_name="contracts.Sent"):
        parcel_id: str

    @dataclass(frozen=True, kw_only=True)
    class Returned(Event, type_name="contracts.Sent"):
        parcel_id: str
        reason: str


@dataclass(frozen=True, kw_only=True)
class ContractShip(Command, type_name="contracts.Ship"):
    parcel_id: str


def saga_state(saga_id: str = "saga-1", **changes: Any) -> SagaState:
    started = datetime(2024, 1, 1, 0, 0, 0, 250_000, tzinfo=UTC)
    values: dict[str, Any] = {
        "saga_id": saga_id,
        "saga_type": "order-fulfillment",
        "status": SagaStatus.IN_PROGRESS,
        "step_statuses": {
            "reserve": SagaStepStatus(
                step_name="reserve",
                status=SagaStepStatus.COMPLETED,
                result={"reservation": "R-1", "items": [1, 2]},
                started_at=started,
                completed_at=started + timedelta(seconds=1),
            ),
            "charge": SagaStepStatus(step_name="charge", started_at=started),
        },
        "current_step_index": 1,
        "started_at": started,
        "context": {"order_id": "ORD-1", "amount": Decimal("99.99")},
        "version": 3,
        "created_at": datetime(2024, 1, 1, tzinfo=UTC),
        "updated_at": datetime(2024, 1, 1, 0, 0, 1, tzinfo=UTC),
    }
    values.update(changes)
    return SagaState(**values)


def with_result(result: Any) -> SagaState:
    state = saga_state()
    reserve = replace(state.step_statuses["reserve"], result=result)
    return replace(state, step_statuses={**state.step_statuses, "reserve": reserve})


class SagaStateStoreContract:
    @pytest.fixture
    def state_store(self) -> Any:
        raise NotImplementedError("subclasses provide a state_store fixture")

    async def test_missing_saga_is_none(self, state_store: Any) -> None:
        assert await state_store.load_state("nothing") is None

    async def test_state_round_trips(self, state_store: Any) -> None:
        state = saga_state(error="boom: 'quoted' \u2713")
        await state_store.save_state(state)
        assert await state_store.load_state("saga-1") == state

    async def test_an_ended_state_round_trips(self, state_store: Any) -> None:
        started = datetime(2024, 5, 6, 7, 8, 9, 123_456, tzinfo=UTC)
        state = SagaState(
            saga_id="done",
            saga_type="t",
            status=SagaStatus.FAILED,
            step_statuses={
                "a": SagaStepStatus(
                    step_name="a",
                    status=SagaStepStatus.FAILED,
                    result=1,
                    error="compensation: disk full",
                    started_at=started,
                    completed_at=started,
                ),
                "b": SagaStepStatus(step_name="b", status=SagaStepStatus.FAILED, error="no"),
            },
            current_step_index=1,
            started_at=started,
            completed_at=started + timedelta(minutes=1),
            error="no",
            version=9,
        )
        await state_store.save_state(state)
        loaded = await state_store.load_state("done")
        assert loaded == state
        assert loaded.status is SagaStatus.FAILED and loaded.is_completed()
        assert loaded.compensation_errors == {"a": "compensation: disk full"}

    async def test_step_order_is_kept(self, state_store: Any) -> None:
        names = ["zeta", "a", "mid", "b2", "alpha-long-name", "c"]
        steps = {name: SagaStepStatus(step_name=name, status="completed") for name in names}
        await state_store.save_state(saga_state(step_statuses=steps, current_step_index=5))
        loaded = await state_store.load_state("saga-1")
        assert list(loaded.step_statuses) == names

    @pytest.mark.parametrize(
        "result",
        [
            Decimal("1.50"),
            Decimal("-0.000000000000000000001"),
            datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            datetime(2024, 1, 2, 3, 4, 5),
            date(2024, 2, 29),
            uuid.UUID("12345678-1234-5678-1234-567812345678"),
            (1, "two", (3.5, None)),
            {"$decimal": "not a tag", "plain": [True, None]},
            {1: "int key", (2, 3): "tuple key"},
            frozenset({"a", "b"}),
            {"x", "y"},
            b"\x00\xffbytes",
            2**70,
            -(2**70),
            float("inf"),
            1e-300,
            "",
            "\u00e9\u4e2d\U0001f600 '; DROP TABLE saga_states; --",
            ContractParcelShipped(parcel_id="P-1", weight=Decimal("2.5")),
            ContractParcelShipped(parcel_id="P-2", weight=Decimal(1), type="contracts.Other"),
            ContractParcel.Returned(parcel_id="P-3", reason="refused"),
            ContractShip(parcel_id="P-4"),
        ],
        ids=repr,
    )
    async def test_results_and_arguments_keep_their_types(
        self, state_store: Any, result: Any
    ) -> None:
        state = replace(with_result(result), context={"value": result, "list": [result]})
        await state_store.save_state(state)
        loaded = await state_store.load_state("saga-1")
        assert loaded == state
        assert type(loaded.step_statuses["reserve"].result) is type(result)
        assert type(loaded.context["value"]) is type(result)

    async def test_saving_again_replaces(self, state_store: Any) -> None:
        await state_store.save_state(saga_state())
        done = saga_state(status=SagaStatus.COMPLETED, current_step_index=2, version=4)
        await state_store.save_state(done)
        assert await state_store.load_state("saga-1") == done

    async def test_expected_version_zero_only_creates(self, state_store: Any) -> None:
        first = saga_state(version=1)
        await state_store.save_state(first, expected_version=0)
        with pytest.raises(SagaConcurrencyError) as raised:
            await state_store.save_state(saga_state(version=1, error="x"), expected_version=0)
        assert (raised.value.expected_version, raised.value.actual_version) == (0, 1)
        assert raised.value.aggregate_id == "saga-1"
        assert await state_store.load_state("saga-1") == first

    async def test_expected_version_must_match_the_stored_one(self, state_store: Any) -> None:
        await state_store.save_state(saga_state(version=1), expected_version=0)
        second = saga_state(version=2, current_step_index=0)
        await state_store.save_state(second, expected_version=1)
        with pytest.raises(SagaConcurrencyError) as raised:
            await state_store.save_state(saga_state(version=2, error="late"), expected_version=1)
        assert (raised.value.expected_version, raised.value.actual_version) == (1, 2)
        with pytest.raises(SagaConcurrencyError) as missing:
            await state_store.save_state(saga_state("absent", version=5), expected_version=4)
        assert missing.value.actual_version == 0
        assert await state_store.load_state("saga-1") == second
        assert await state_store.load_state("absent") is None

    async def test_only_one_of_two_racing_writers_wins(self, state_store: Any) -> None:
        await state_store.save_state(saga_state(version=1), expected_version=0)
        outcomes = await asyncio.gather(
            *(
                state_store.save_state(saga_state(version=2, error=f"w{n}"), expected_version=1)
                for n in range(5)
            ),
            return_exceptions=True,
        )
        assert sum(outcome is None for outcome in outcomes) == 1
        assert all(
            isinstance(outcome, SagaConcurrencyError) for outcome in outcomes if outcome is not None
        )
        winner = outcomes.index(None)
        loaded = await state_store.load_state("saga-1")
        assert loaded.error == f"w{winner}" and loaded.version == 2

    async def test_unstorable_values_are_refused_and_nothing_is_written(
        self, state_store: Any
    ) -> None:
        with pytest.raises(StateEncodingError):
            await state_store.save_state(saga_state(context={"lock": object()}))
        assert await state_store.load_state("saga-1") is None
        kept = saga_state()
        await state_store.save_state(kept)
        with pytest.raises(StateEncodingError):
            await state_store.save_state(with_result(object()))
        with pytest.raises(StateEncodingError):
            await state_store.save_state(with_result("\ud800"), expected_version=3)
        with pytest.raises(StateEncodingError, match="NUL"):
            await state_store.save_state(with_result({"k": ["a\x00b"]}), expected_version=3)
        with pytest.raises(StateEncodingError, match="NUL"):
            await state_store.save_state(saga_state("nul\x00id"))
        assert await state_store.load_state("saga-1") == kept
        assert await state_store.load_state("nul\x00id") is None
        text = with_result("a literal \\u0000 is fine")
        await state_store.save_state(text)
        assert await state_store.load_state("saga-1") == text

    async def test_list_by_status_finds_unfinished_sagas_oldest_first(
        self, state_store: Any
    ) -> None:
        late = saga_state("late", created_at=datetime(2024, 3, 1, tzinfo=UTC))
        early = saga_state(
            "early",
            status=SagaStatus.COMPENSATING,
            created_at=datetime(2024, 2, 1, tzinfo=UTC),
        )
        tie = saga_state("b-tie", created_at=datetime(2024, 3, 1, tzinfo=UTC))
        await state_store.save_state(late)
        await state_store.save_state(early)
        await state_store.save_state(tie)
        await state_store.save_state(saga_state("done", status=SagaStatus.COMPLETED))
        found = await state_store.list_by_status(SagaStatus.IN_PROGRESS, SagaStatus.COMPENSATING)
        assert [state.saga_id for state in found] == ["early", "b-tie", "late"]
        assert found[0] == early
        assert await state_store.list_by_status(SagaStatus.FAILED) == []

    async def test_ids_are_plain_data(self, state_store: Any) -> None:
        odd = saga_state("'; DROP TABLE saga_states; --", saga_type='x" OR 1=1')
        await state_store.save_state(odd)
        assert await state_store.load_state(odd.saga_id) == odd
