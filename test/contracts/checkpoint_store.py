"""The checkpoint store contract: what a projection runner relies on, for every backend.

Subclass `CheckpointStoreContract` and provide `state_store` (a fresh, empty store; the
projection-state contract runs on it too). Stores whose transactions are exactly-once
subclass `ExactlyOnceCheckpointStoreContract` instead and implement
`write_model(connection, value)` and `read_model(store)`: a write of the read model through
the transaction's connection, and the rows committed.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from orchestrix.core.eventsourcing.event_log import START, Checkpoint
from orchestrix.core.eventsourcing.projection_dead_letters import DeadLetteredEvent
from orchestrix.core.eventsourcing.projection_errors import CheckpointConflictError
from orchestrix.core.eventsourcing.projection_state import ProjectionState
from test.contracts.state_stores import ProjectionStateStoreContract


def state_at(position: int, projection_id: str = "p", tx_id: int = 0) -> ProjectionState:
    return ProjectionState(
        projection_id=projection_id,
        last_processed_event_id=f"e-{position}",
        last_processed_position=position,
        last_processed_tx_id=tx_id,
        updated_at=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
    )


def dead_letter(position: int, projection_id: str = "p", attempts: int = 1) -> DeadLetteredEvent:
    return DeadLetteredEvent(
        projection_id=projection_id,
        event_id=f"e-{position}",
        event_type="OrderPlaced",
        aggregate_id="order-1",
        version=position,
        checkpoint=Checkpoint(position * 10, position),
        error_type="KeyError",
        error_message=f"'sku' (attempt {attempts})",
        attempts=attempts,
        failed_at=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
    )


class CheckpointStoreContract(ProjectionStateStoreContract):
    exactly_once = False

    async def save(self, store: Any, state: ProjectionState, expected: Checkpoint) -> None:
        async with store.transaction() as transaction:
            await transaction.save_state(state, expected)

    # --- compare-and-set ---------------------------------------------------------------

    async def test_the_first_save_expects_the_origin(self, state_store: Any) -> None:
        await self.save(state_store, state_at(3), START)
        assert await state_store.load_state("p") == state_at(3)
        with pytest.raises(CheckpointConflictError) as raised:
            await self.save(state_store, state_at(4), START)
        assert (raised.value.expected, raised.value.actual) == (START, Checkpoint(0, 3))
        assert await state_store.load_state("p") == state_at(3)

    async def test_a_save_moves_on_from_the_expected_checkpoint(self, state_store: Any) -> None:
        await self.save(state_store, state_at(3, tx_id=7), START)
        await self.save(state_store, state_at(5, tx_id=8), Checkpoint(7, 3))
        assert await state_store.load_state("p") == state_at(5, tx_id=8)

    async def test_a_stale_checkpoint_conflicts_and_the_transaction_writes_nothing(
        self, state_store: Any
    ) -> None:
        await self.save(state_store, state_at(3), START)
        with pytest.raises(CheckpointConflictError):
            async with state_store.transaction() as transaction:
                await transaction.dead_letter(dead_letter(4))
                await transaction.set_live("orders", "p")
                await transaction.save_state(state_at(9), Checkpoint(0, 2))
        assert await state_store.load_state("p") == state_at(3)
        assert await state_store.dead_letters("p") == []
        assert await state_store.live("orders") is None

    async def test_a_missing_state_conflicts_with_any_checkpoint_but_the_origin(
        self, state_store: Any
    ) -> None:
        with pytest.raises(CheckpointConflictError):
            await self.save(state_store, state_at(3), Checkpoint(0, 1))
        assert await state_store.load_state("p") is None

    async def test_a_reset_state_at_the_origin_can_be_saved_again(self, state_store: Any) -> None:
        await self.save(state_store, state_at(3), START)
        await self.save(state_store, ProjectionState(projection_id="p"), Checkpoint(0, 3))
        await self.save(state_store, state_at(1), START)
        assert await state_store.load_state("p") == state_at(1)

    async def test_of_two_instances_at_the_same_checkpoint_one_commits(
        self, state_store: Any
    ) -> None:
        await self.save(state_store, state_at(1), START)
        outcomes = await asyncio.gather(
            self.save(state_store, state_at(2), Checkpoint(0, 1)),
            self.save(state_store, state_at(3), Checkpoint(0, 1)),
            return_exceptions=True,
        )
        assert sum(isinstance(o, CheckpointConflictError) for o in outcomes) == 1
        assert sum(o is None for o in outcomes) == 1

    async def test_an_error_in_the_block_rolls_everything_back(self, state_store: Any) -> None:
        with pytest.raises(RuntimeError):
            async with state_store.transaction() as transaction:
                await transaction.save_state(state_at(3), START)
                await transaction.dead_letter(dead_letter(4))
                raise RuntimeError("handler failed")
        assert await state_store.load_state("p") is None
        assert await state_store.dead_letters("p") == []

    async def test_the_exactly_once_flag_is_what_the_backend_promises(
        self, state_store: Any
    ) -> None:
        assert state_store.exactly_once is self.exactly_once
        async with state_store.transaction() as transaction:
            assert (transaction.connection is not None) is self.exactly_once

    async def test_states_lists_every_projection_by_id(self, state_store: Any) -> None:
        assert await state_store.states() == []
        await self.save(state_store, state_at(4, projection_id="stock"), START)
        await self.save(state_store, state_at(7, projection_id="orders"), START)
        await self.save(state_store, state_at(9, projection_id="orders"), Checkpoint(0, 7))
        assert await state_store.states() == [
            state_at(9, projection_id="orders"),
            state_at(4, projection_id="stock"),
        ]

    # --- dead letters -------------------------------------------------------------------

    async def test_dead_letters_are_listed_in_log_order_per_projection(
        self, state_store: Any
    ) -> None:
        async with state_store.transaction() as transaction:
            for position in (5, 2, 9):
                await transaction.dead_letter(dead_letter(position))
            await transaction.dead_letter(dead_letter(1, projection_id="other"))
        assert await state_store.dead_letters("p") == [
            dead_letter(2),
            dead_letter(5),
            dead_letter(9),
        ]
        assert await state_store.dead_letters("other") == [dead_letter(1, "other")]
        assert await state_store.dead_letters("none") == []

    async def test_a_dead_letter_of_the_same_event_is_replaced(self, state_store: Any) -> None:
        async with state_store.transaction() as transaction:
            await transaction.dead_letter(dead_letter(2))
        async with state_store.transaction() as transaction:
            await transaction.dead_letter(dead_letter(2, attempts=4))
        assert await state_store.dead_letters("p") == [dead_letter(2, attempts=4)]

    async def test_dead_letters_can_be_resolved_and_discarded(self, state_store: Any) -> None:
        async with state_store.transaction() as transaction:
            for position in (1, 2, 3):
                await transaction.dead_letter(dead_letter(position))
            await transaction.dead_letter(dead_letter(1, projection_id="other"))
        async with state_store.transaction() as transaction:
            await transaction.resolve_dead_letter("p", "e-2")
            await transaction.resolve_dead_letter("p", "never")
        assert await state_store.dead_letters("p") == [dead_letter(1), dead_letter(3)]
        async with state_store.transaction() as transaction:
            await transaction.discard_dead_letters("p")
        assert await state_store.dead_letters("p") == []
        assert await state_store.dead_letters("other") == [dead_letter(1, "other")]

    async def test_sql_looking_text_is_kept_as_data(self, state_store: Any) -> None:
        entry = DeadLetteredEvent(
            **{**dead_letter(1).__dict__, "error_message": "'); DROP TABLE x; --"}
        )
        async with state_store.transaction() as transaction:
            await transaction.dead_letter(entry)
            await transaction.set_live("'; --", "v'2")
        assert await state_store.dead_letters("p") == [entry]
        assert await state_store.live("'; --") == "v'2"

    # --- live versions ------------------------------------------------------------------

    async def test_promoting_a_version_replaces_the_live_one(self, state_store: Any) -> None:
        assert await state_store.live("orders") is None
        async with state_store.transaction() as transaction:
            await transaction.set_live("orders", "orders-v1")
        async with state_store.transaction() as transaction:
            await transaction.set_live("orders", "orders-v2")
            await transaction.set_live("stock", "stock-v1")
        assert await state_store.live("orders") == "orders-v2"
        assert await state_store.live("stock") == "stock-v1"

    # --- locks --------------------------------------------------------------------------

    async def test_a_lock_has_one_holder_at_a_time(self, state_store: Any) -> None:
        first, second = state_store.lock("p"), state_store.lock("p")
        try:
            assert await first.acquire()
            assert await first.acquire()  # taking it again is fine for the holder
            assert not await second.acquire()
            assert await first.renew()
            assert not await second.renew()
            await second.release()  # not the holder: changes nothing
            assert not await second.acquire()
            await first.release()
            assert await second.acquire()
            assert not await first.renew()
        finally:
            await first.release()
            await second.release()

    async def test_locks_of_different_projections_are_independent(self, state_store: Any) -> None:
        orders, stock = state_store.lock("orders"), state_store.lock("stock")
        try:
            assert await orders.acquire()
            assert await stock.acquire()
        finally:
            await orders.release()
            await stock.release()

    async def test_a_lock_says_how_often_to_renew(self, state_store: Any) -> None:
        lock = state_store.lock("p")
        assert 0 < lock.renew_interval < 60


class ExactlyOnceCheckpointStoreContract(CheckpointStoreContract):
    exactly_once = True

    async def write_model(self, connection: Any, value: str) -> None:
        raise NotImplementedError("write a read-model row through the connection")

    async def read_model(self, store: Any) -> list[str]:
        raise NotImplementedError("read the committed read-model rows")

    async def test_read_model_writes_commit_with_the_checkpoint(self, state_store: Any) -> None:
        async with state_store.transaction() as transaction:
            await self.write_model(transaction.connection, "first")
            await transaction.save_state(state_at(1), START)
        assert await self.read_model(state_store) == ["first"]

    async def test_read_model_writes_roll_back_with_a_checkpoint_conflict(
        self, state_store: Any
    ) -> None:
        await self.save(state_store, state_at(1), START)
        with pytest.raises(CheckpointConflictError):
            async with state_store.transaction() as transaction:
                await self.write_model(transaction.connection, "duplicate")
                await transaction.save_state(state_at(2), START)
        with pytest.raises(RuntimeError):
            async with state_store.transaction() as transaction:
                await self.write_model(transaction.connection, "failed")
                raise RuntimeError("handler failed")
        assert await self.read_model(state_store) == []
