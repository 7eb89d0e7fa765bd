"""The inbox contract: every backend deduplicates deliveries the same way.

Subclass `InboxContract` and provide `inbox`, a fixture returning a fresh, empty inbox.
Backends whose receipts carry a database transaction also subclass
`TransactionalInboxContract` and provide `effects`, an `EffectsUnderTest`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest


class InboxContract:
    @pytest.fixture
    def inbox(self) -> Any:
        raise NotImplementedError("subclasses provide an inbox fixture")

    async def test_the_first_delivery_is_new_and_later_ones_are_duplicates(
        self, inbox: Any
    ) -> None:
        async with inbox.receive("projector", "m-1") as receipt:
            assert receipt.duplicate is False
        assert await inbox.handled("projector", "m-1")
        for _ in range(2):
            async with inbox.receive("projector", "m-1") as receipt:
                assert receipt.duplicate is True

    async def test_a_failed_handler_leaves_no_record(self, inbox: Any) -> None:
        with pytest.raises(RuntimeError):
            async with inbox.receive("projector", "m-1") as receipt:
                assert not receipt.duplicate
                raise RuntimeError("handler failed")
        assert not await inbox.handled("projector", "m-1")
        async with inbox.receive("projector", "m-1") as receipt:
            assert receipt.duplicate is False

    async def test_consumers_are_independent(self, inbox: Any) -> None:
        async with inbox.receive("a", "m-1"):
            pass
        async with inbox.receive("b", "m-1") as receipt:
            assert receipt.duplicate is False
        assert not await inbox.handled("c", "m-1")
        assert not await inbox.handled("a", "m-2")

    async def test_concurrent_deliveries_of_one_message_are_handled_once(self, inbox: Any) -> None:
        handled: list[int] = []

        async def deliver(number: int) -> None:
            async with inbox.receive("projector", "m-1") as receipt:
                if not receipt.duplicate:
                    await asyncio.sleep(0.05)
                    handled.append(number)

        await asyncio.wait_for(asyncio.gather(*(deliver(n) for n in range(4))), 30)
        assert len(handled) == 1

    async def test_ids_are_plain_data(self, inbox: Any) -> None:
        odd = "'; DROP TABLE inbox; --"
        async with inbox.receive(odd, odd) as receipt:
            assert not receipt.duplicate
        assert await inbox.handled(odd, odd)

    async def test_prune_forgets_old_records(self, inbox: Any) -> None:
        async with inbox.receive("projector", "m-1"):
            pass
        assert await inbox.prune(datetime.now(UTC) - timedelta(hours=1)) == 0
        assert await inbox.prune(datetime.now(UTC) + timedelta(seconds=1)) == 1
        assert not await inbox.handled("projector", "m-1")


@dataclass
class EffectsUnderTest:
    """Writes a handler's effect through a receipt's connection, and reads the effects back."""

    write: Callable[[Any, str], Awaitable[None]]
    read: Callable[[], Awaitable[list[str]]]


class TransactionalInboxContract(InboxContract):
    @pytest.fixture
    def effects(self, inbox: Any) -> Any:
        raise NotImplementedError("subclasses provide an effects fixture")

    async def test_effects_commit_with_the_record(
        self, inbox: Any, effects: EffectsUnderTest
    ) -> None:
        async with inbox.receive("projector", "m-1") as receipt:
            await effects.write(receipt.connection, "m-1")
        assert await effects.read() == ["m-1"]
        assert await inbox.handled("projector", "m-1")

    async def test_effects_roll_back_with_the_record(
        self, inbox: Any, effects: EffectsUnderTest
    ) -> None:
        with pytest.raises(RuntimeError):
            async with inbox.receive("projector", "m-1") as receipt:
                await effects.write(receipt.connection, "m-1")
                raise RuntimeError("handler failed after writing")
        assert await effects.read() == []
        assert not await inbox.handled("projector", "m-1")
