"""The in-memory outbox and inbox pass the shared contracts."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.memory import InMemoryAsyncEventStore, InMemoryEventStore
from orchestrix.infrastructure.memory.inbox import InMemoryInbox
from orchestrix.infrastructure.memory.outbox import InMemoryOutbox
from test.contracts.inbox import InboxContract
from test.contracts.outbox import OutboxContract, OutboxUnderTest


class TestInMemoryOutboxOverTheSyncStore(OutboxContract):
    @pytest.fixture
    def backend(self) -> OutboxUnderTest:
        store = InMemoryEventStore()

        async def save(stream: str, events: Sequence[Event], expected: int | None) -> None:
            store.save(stream, events, expected)

        return OutboxUnderTest(InMemoryOutbox(store), save)


class TestInMemoryOutboxOverTheAsyncStore(OutboxContract):
    @pytest.fixture
    def backend(self) -> OutboxUnderTest:
        store = InMemoryAsyncEventStore()
        return OutboxUnderTest(InMemoryOutbox(store), store.save)


class TestInMemoryInbox(InboxContract):
    @pytest.fixture
    def inbox(self) -> InMemoryInbox:
        return InMemoryInbox()
