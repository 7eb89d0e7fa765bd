"""The sync in-memory bus against the message bus contract."""

from __future__ import annotations

from orchestrix.core.common.retry import RetryPolicy
from orchestrix.core.messaging.dead_letter_queue import InMemoryDeadLetterQueue
from orchestrix.infrastructure.memory.bus import InMemoryMessageBus
from test.components.orchestrix.infrastructure.memory.bus_contract import SyncBusContract


class TestInMemoryMessageBus(SyncBusContract):
    def make_bus(
        self,
        retry_policy: RetryPolicy | None = None,
        dead_letter_queue: InMemoryDeadLetterQueue | None = None,
    ) -> InMemoryMessageBus:
        return InMemoryMessageBus(retry_policy=retry_policy, dead_letter_queue=dead_letter_queue)
