"""The async in-memory bus against the message bus contract."""

from __future__ import annotations

from orchestrix.core.common.retry import RetryPolicy
from orchestrix.core.messaging.dead_letter_queue import InMemoryDeadLetterQueue
from orchestrix.infrastructure.memory.async_bus import InMemoryAsyncMessageBus
from test.components.orchestrix.infrastructure.memory.bus_contract import AsyncBusContract


class TestInMemoryAsyncMessageBus(AsyncBusContract):
    def make_bus(
        self,
        retry_policy: RetryPolicy | None = None,
        dead_letter_queue: InMemoryDeadLetterQueue | None = None,
    ) -> InMemoryAsyncMessageBus:
        return InMemoryAsyncMessageBus(
            retry_policy=retry_policy, dead_letter_queue=dead_letter_queue
        )
