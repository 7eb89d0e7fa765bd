"""Contracts for the stores of process-manager instances and of deadlines.

Subclass `ProcessStateStoreContract` (fixture `process_store`) or `DeadlineStoreContract`
(fixture `deadline_store`), each returning a fresh, empty store.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from orchestrix.core.common.validation import ValidationError
from orchestrix.core.execution.deadline import Deadline
from orchestrix.core.execution.errors import ProcessConcurrencyError, StateEncodingError
from orchestrix.core.execution.process_instance import ProcessInstance, ProcessStatus
from orchestrix.core.messaging.message import Command, Event

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class ContractChargeCard(Command, type_name="contracts.ChargeCard"):
    order_id: str
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class ContractPaymentOverdue(Event, type_name="contracts.PaymentOverdue"):
    order_id: str


def deadline(
    name: str = "payment-timeout", due: datetime = T0, owner_id: str = "ORD-1", **changes: Any
) -> Deadline:
    values: dict[str, Any] = {
        "owner_type": "order-payment",
        "owner_id": owner_id,
        "name": name,
        "due_at": due,
        "message": ContractPaymentOverdue(order_id=owner_id),
    }
    values.update(changes)
    return Deadline(**values)


def instance(process_id: str = "ORD-1", **changes: Any) -> ProcessInstance:
    values: dict[str, Any] = {
        "process_type": "order-payment",
        "process_id": process_id,
        "state": {"order_id": process_id, "amount": "12.50", "items": [1, {"sku": "A"}]},
        "handled": ("m-1", "m-2"),
        "deadlines": {"payment-timeout": "d-1"},
        "version": 2,
        "created_at": T0,
        "updated_at": T0 + timedelta(seconds=1),
    }
    values.update(changes)
    return ProcessInstance(**values)


def with_pending(process_id: str = "ORD-1", **changes: Any) -> ProcessInstance:
    return instance(
        process_id,
        outbox=(ContractChargeCard(order_id=process_id, amount=Decimal("12.50")),),
        to_schedule=(deadline(owner_id=process_id, due=T0 + timedelta(minutes=15)),),
        to_cancel=("d-0",),
        **changes,
    )


class ProcessStateStoreContract:
    @pytest.fixture
    def process_store(self) -> Any:
        raise NotImplementedError("subclasses provide a process_store fixture")

    async def test_missing_instance_is_none(self, process_store: Any) -> None:
        assert await process_store.load_instance("order-payment", "nothing") is None

    async def test_an_instance_round_trips(self, process_store: Any) -> None:
        saved = with_pending(version=1)
        await process_store.save_instance(saved, expected_version=0)
        loaded = await process_store.load_instance("order-payment", "ORD-1")
        assert loaded == saved
        assert type(loaded.outbox[0]) is ContractChargeCard
        assert loaded.outbox[0].amount == Decimal("12.50")
        assert type(loaded.to_schedule[0].message) is ContractPaymentOverdue
        assert loaded.has_pending

    async def test_an_ended_instance_without_state_round_trips(self, process_store: Any) -> None:
        ended = instance(status=ProcessStatus.COMPLETED, state=None, deadlines={}, version=1)
        await process_store.save_instance(ended, expected_version=0)
        assert await process_store.load_instance("order-payment", "ORD-1") == ended

    async def test_expected_version_guards_every_save(self, process_store: Any) -> None:
        first = instance(version=1)
        await process_store.save_instance(first, expected_version=0)
        with pytest.raises(ProcessConcurrencyError) as created_twice:
            await process_store.save_instance(instance(version=1), expected_version=0)
        assert (created_twice.value.expected_version, created_twice.value.actual_version) == (
            0,
            1,
        )
        second = instance(version=2, handled=("m-1", "m-2", "m-3"))
        await process_store.save_instance(second, expected_version=1)
        with pytest.raises(ProcessConcurrencyError) as stale:
            await process_store.save_instance(instance(version=2), expected_version=1)
        assert stale.value.actual_version == 2
        with pytest.raises(ProcessConcurrencyError) as missing:
            await process_store.save_instance(instance("ORD-9", version=4), expected_version=3)
        assert missing.value.actual_version == 0
        assert await process_store.load_instance("order-payment", "ORD-1") == second
        assert await process_store.load_instance("order-payment", "ORD-9") is None

    async def test_only_one_of_racing_writers_wins(self, process_store: Any) -> None:
        await process_store.save_instance(instance(version=1), expected_version=0)
        outcomes = await asyncio.gather(
            *(
                process_store.save_instance(
                    instance(version=2, handled=(f"w{n}",)), expected_version=1
                )
                for n in range(5)
            ),
            return_exceptions=True,
        )
        assert sum(outcome is None for outcome in outcomes) == 1
        assert all(isinstance(o, ProcessConcurrencyError) for o in outcomes if o is not None)
        loaded = await process_store.load_instance("order-payment", "ORD-1")
        assert loaded.handled == (f"w{outcomes.index(None)}",)

    async def test_instances_are_keyed_by_type_and_id(self, process_store: Any) -> None:
        payment = instance(version=1)
        shipping = instance(process_type="shipping", state={"other": True}, version=1)
        await process_store.save_instance(payment, expected_version=0)
        await process_store.save_instance(shipping, expected_version=0)
        assert await process_store.load_instance("order-payment", "ORD-1") == payment
        assert await process_store.load_instance("shipping", "ORD-1") == shipping

    async def test_instances_with_pending_decisions_are_listed_oldest_first(
        self, process_store: Any
    ) -> None:
        late = with_pending("late", created_at=T0 + timedelta(hours=1), version=1)
        early = with_pending("early", version=1)
        await process_store.save_instance(late, expected_version=0)
        await process_store.save_instance(early, expected_version=0)
        await process_store.save_instance(instance("idle", version=1), expected_version=0)
        other = with_pending(process_type="shipping", version=1)
        await process_store.save_instance(other, expected_version=0)
        found = await process_store.list_with_pending("order-payment")
        assert [item.process_id for item in found] == ["early", "late"]
        cleared = replace(early, outbox=(), to_schedule=(), to_cancel=(), version=2)
        await process_store.save_instance(cleared, expected_version=1)
        found = await process_store.list_with_pending("order-payment")
        assert [item.process_id for item in found] == ["late"]

    async def test_what_cannot_be_kept_is_refused_and_nothing_written(
        self, process_store: Any
    ) -> None:
        with pytest.raises(StateEncodingError):
            await process_store.save_instance(
                instance(state={"bad": object()}, version=1), expected_version=0
            )
        with pytest.raises(StateEncodingError):
            await process_store.save_instance(
                instance(handled=("\ud800",), version=1), expected_version=0
            )
        with pytest.raises(StateEncodingError, match="NUL"):
            await process_store.save_instance(
                instance(state={"note": "a\x00"}, version=1), expected_version=0
            )
        with pytest.raises(StateEncodingError, match="NUL"):
            await process_store.save_instance(instance("x\x00", version=1), expected_version=0)
        assert await process_store.load_instance("order-payment", "x\x00") is None
        assert await process_store.load_instance("order-payment", "ORD-1") is None

    async def test_ids_are_plain_data(self, process_store: Any) -> None:
        odd = instance("'; DROP TABLE process_instances; --", process_type='x" OR 1=1', version=1)
        await process_store.save_instance(odd, expected_version=0)
        assert await process_store.load_instance(odd.process_type, odd.process_id) == odd


class DeadlineStoreContract:
    @pytest.fixture
    def deadline_store(self) -> Any:
        raise NotImplementedError("subclasses provide a deadline_store fixture")

    async def test_an_empty_store_has_nothing_due(self, deadline_store: Any) -> None:
        assert await deadline_store.due(T0) == []
        assert await deadline_store.next_due_at() is None
        assert await deadline_store.list_for("order-payment", "ORD-1") == []

    async def test_a_deadline_round_trips(self, deadline_store: Any) -> None:
        stored = deadline(
            due=datetime(2024, 6, 1, 17, 30, 0, 1, tzinfo=timezone(timedelta(hours=5)))
        )
        await deadline_store.schedule(stored)
        (loaded,) = await deadline_store.list_for("order-payment", "ORD-1")
        assert loaded == stored
        assert type(loaded.message) is ContractPaymentOverdue
        assert loaded.message == stored.message
        assert loaded.due_at.utcoffset() == timedelta(0)

    async def test_due_returns_what_is_due_earliest_first(self, deadline_store: Any) -> None:
        later = deadline("b", T0 + timedelta(minutes=10), owner_id="ORD-2")
        sooner = deadline("a", T0 - timedelta(minutes=10), owner_id="ORD-3")
        now = deadline("c", T0)
        future = deadline("d", T0 + timedelta(days=1))
        for item in (later, sooner, now, future):
            await deadline_store.schedule(item)
        assert await deadline_store.due(T0) == [sooner, now]
        assert await deadline_store.due(T0 + timedelta(minutes=10)) == [sooner, now, later]
        assert await deadline_store.due(T0 + timedelta(minutes=10), limit=2) == [sooner, now]
        assert await deadline_store.next_due_at() == sooner.due_at
        assert await deadline_store.list_for("order-payment", "ORD-1") == [now, future]

    async def test_ties_are_ordered_by_id(self, deadline_store: Any) -> None:
        b = deadline("x", deadline_id="b")
        a = deadline("y", deadline_id="a")
        await deadline_store.schedule(b)
        await deadline_store.schedule(a)
        assert await deadline_store.due(T0) == [a, b]

    async def test_cancel_removes_and_is_idempotent(self, deadline_store: Any) -> None:
        kept, dropped = deadline("keep"), deadline("drop")
        await deadline_store.schedule(kept)
        await deadline_store.schedule(dropped)
        await deadline_store.cancel(dropped.deadline_id)
        await deadline_store.cancel(dropped.deadline_id)
        await deadline_store.cancel("never-scheduled")
        assert await deadline_store.due(T0) == [kept]

    async def test_scheduling_the_same_id_again_replaces(self, deadline_store: Any) -> None:
        first = deadline(due=T0)
        moved = replace(first, due_at=T0 + timedelta(hours=1))
        await deadline_store.schedule(first)
        await deadline_store.schedule(moved)
        assert await deadline_store.due(T0) == []
        assert await deadline_store.list_for("order-payment", "ORD-1") == [moved]

    async def test_bad_arguments_are_refused(self, deadline_store: Any) -> None:
        with pytest.raises(ValidationError):
            await deadline_store.due(datetime(2024, 1, 1))
        with pytest.raises(ValidationError):
            await deadline_store.due(T0, limit=0)

    async def test_an_unstorable_message_is_refused_and_nothing_written(
        self, deadline_store: Any
    ) -> None:
        bad = deadline(message=ContractPaymentOverdue(order_id="\ud800"))
        with pytest.raises(StateEncodingError):
            await deadline_store.schedule(bad)
        with pytest.raises(StateEncodingError, match="NUL"):
            await deadline_store.schedule(deadline(message=ContractPaymentOverdue(order_id="\x00")))
        with pytest.raises(StateEncodingError, match="NUL"):
            await deadline_store.schedule(deadline("nul\x00name"))
        assert await deadline_store.list_for("order-payment", "o\x00") == []
        assert await deadline_store.next_due_at() is None

    async def test_ids_are_plain_data(self, deadline_store: Any) -> None:
        odd = deadline("'; DROP TABLE deadlines; --", owner_id="o' OR '1'='1")
        await deadline_store.schedule(odd)
        assert await deadline_store.list_for("order-payment", odd.owner_id) == [odd]
