"""The bank in one process: a bus, the command handlers, the transfer process and the ledger
projection, wired once on the stores of any backend.

A command published on the in-memory bus runs to the end before `publish` returns: its
handler saves and publishes events, the transfer process answers them with the next command,
and so on until the transfer is recorded. The projection runs beside, in the background;
`execute` waits until it has caught up with what the command wrote, so the story can read the
ledger right after each write and see it (read your writes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from orchestrix.banking_demo.handlers import BankingModule
from orchestrix.banking_demo.ledger import Ledger
from orchestrix.banking_demo.models import TRANSFER_EVENTS
from orchestrix.banking_demo.stores import BankStores
from orchestrix.banking_demo.transfer_process import TransferProcess
from orchestrix.core.eventsourcing.subscription import ProjectionRunner
from orchestrix.core.messaging.message import Command, Event
from orchestrix.infrastructure.memory import InMemoryAsyncMessageBus

READ_YOUR_WRITES_TIMEOUT = 10.0
"""Seconds `execute` waits for the ledger; the projection normally needs milliseconds."""


@dataclass(frozen=True)
class Bank:
    stores: BankStores
    bus: InMemoryAsyncMessageBus
    transfers: TransferProcess
    projection: ProjectionRunner

    @property
    def ledger(self) -> Ledger:
        return self.stores.ledger

    async def execute(self, command: Command) -> None:
        """Publish `command` (a refusal raises `HandlerError`), then wait until the ledger
        shows everything written so far."""
        await self.bus.publish(command)
        written = await self.stores.head.head()
        await self.projection.wait_for(written, timeout=READ_YOUR_WRITES_TIMEOUT)


@asynccontextmanager
async def open_bank(
    stores: BankStores, announce: Callable[[Event], None] | None = None
) -> AsyncIterator[Bank]:
    """The bank on `stores`, its projection running until the block ends. `announce` hears
    every transfer event as it is published (the story prints them)."""
    bus = InMemoryAsyncMessageBus()
    if announce is not None:
        for event_type in TRANSFER_EVENTS:
            bus.subscribe(event_type, announce)  # first, to tell events as they happen
    BankingModule().register(bus, stores.events)
    transfers = TransferProcess(stores.processes, bus)
    transfers.subscribe_to(bus)
    await transfers.recover()  # commands a crash left unsent, if any
    projection = stores.ledger_runner()
    await projection.start()
    try:
        yield Bank(stores, bus, transfers, projection)
    finally:
        await projection.stop()
