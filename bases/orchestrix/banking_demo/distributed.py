"""The banking demo as three processes, over RabbitMQ and PostgreSQL.

    python -m orchestrix.banking_demo --distributed --dsn DSN --role worker
    python -m orchestrix.banking_demo --distributed --dsn DSN --role projector
    python -m orchestrix.banking_demo --distributed --dsn DSN --role api

- **worker**: handles the commands (one queue per command type, shared by every worker),
  saves the events in PostgreSQL, where the transactional outbox takes each one in the same
  transaction, and relays them to RabbitMQ; it also runs the transfer process, which hears the
  transfers' events on a queue of its own and sends its commands back through the broker.
- **projector**: runs the `bank-ledger` projection over the PostgreSQL log, exactly once, with
  the projection's lock: a second projector stands by and takes over if the first dies.
- **api**: the customers' side. It sends commands through RabbitMQ and reads the read model;
  it never sees the events, so after each step it waits until the read model shows it.

Without `--role` the command starts a worker and a projector as child processes, plays the
api itself, then stops them. Start as many workers and projectors as you like, in any order;
commands wait in their queues until a worker runs.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING

from orchestrix.banking_demo.handlers import BankingModule
from orchestrix.banking_demo.ledger import Ledger
from orchestrix.banking_demo.models import (
    CloseAccount,
    DepositMoney,
    OpenAccount,
    TransferMoney,
    WithdrawMoney,
)
from orchestrix.banking_demo.projection import PROJECTION
from orchestrix.banking_demo.stores import BankStores, in_postgres
from orchestrix.banking_demo.story import (
    OPENING,
    Outcome,
    account,
    balance,
    describe,
    ids_for,
    show_read_model,
)
from orchestrix.banking_demo.transfer_process import TransferProcess
from orchestrix.core.common.exceptions import BrokerError, StoreError
from orchestrix.core.common.validation import ValidationError
from orchestrix.core.messaging.message import Command, Event
from orchestrix.core.messaging.outbox_relay import OutboxRelay

if TYPE_CHECKING:
    from orchestrix.infrastructure.rabbitmq import RabbitMQMessageBus

ROLES = ("api", "worker", "projector")
DEFAULT_BROKER = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_SCHEMA = "banking_distributed"
WAIT = 60.0
"""Seconds the api waits for the read model to show a step (workers may still be starting)."""


@dataclass(frozen=True)
class Deployment:
    """Where the three processes meet: a PostgreSQL schema and a RabbitMQ namespace."""

    dsn: str
    schema: str = DEFAULT_SCHEMA
    broker: str = DEFAULT_BROKER
    namespace: str = "banking_demo"

    def stores(self) -> AbstractAsyncContextManager[BankStores]:
        return in_postgres(self.dsn, self.schema)

    def bus(self) -> RabbitMQMessageBus:
        # Imported here: aio-pika is needed only by those who distribute the demo.
        from orchestrix.infrastructure.rabbitmq import RabbitMQMessageBus

        return RabbitMQMessageBus(self.broker, namespace=self.namespace)

    def command_line(self, role: str | None = None) -> list[str]:
        """How to start `role` as a process of its own (None: all three)."""
        return [
            *(sys.executable, "-m", "orchestrix.banking_demo", "--distributed"),
            *(() if role is None else ("--role", role)),
            *("--dsn", self.dsn, "--schema", self.schema),
            *("--broker", self.broker, "--namespace", self.namespace),
        ]


@asynccontextmanager
async def until_signalled() -> AsyncIterator[asyncio.Event]:
    """An event that SIGINT or SIGTERM sets, for as long as the block runs."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    try:
        yield stop
    finally:
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(number)


def ready(what: str) -> None:
    """Say the process serves now: its first line, which the launcher waits for."""
    print(what, flush=True)


async def serve_commands(deployment: Deployment) -> None:
    """The command worker, until SIGINT or SIGTERM."""
    async with until_signalled() as stop, deployment.stores() as stores, deployment.bus() as bus:
        assert stores.outbox is not None, "PostgreSQL stores come with their outbox"
        await stores.outbox.initialize()  # from now on every saved event enters the outbox
        relay = OutboxRelay(stores.outbox, bus, poll_interval=0.1)

        async def wake_the_relay(events: Sequence[Event]) -> None:
            relay.wake()  # the outbox has them already; publish now rather than at the poll

        BankingModule(hand_on=wake_the_relay).register(bus, stores.events)
        transfers = TransferProcess(stores.processes, bus)
        transfers.subscribe_to(bus)  # the queue `process.bank-transfer`, shared by workers
        await transfers.recover()
        await bus.start()
        ready(f"Command worker ready: schema {deployment.schema!r}")
        await asyncio.gather(bus.run(stop, handle_signals=False), relay.run(stop))


async def serve_projection(deployment: Deployment) -> None:
    """The projection worker, until SIGINT or SIGTERM."""
    async with until_signalled() as stop, deployment.stores() as stores:
        runner = stores.ledger_runner(exclusive=True)
        await runner.start()
        ready(f"Projection worker ready: {PROJECTION} (standing by while another one projects)")
        await stop.wait()
        await runner.stop()


async def until(what: str, shown: Callable[[], Awaitable[bool]]) -> None:
    """Wait until the read model shows `what`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not await shown():
        if loop.time() > deadline:
            raise TimeoutError(
                f"The read model did not show {what} within {WAIT:.0f} s: "
                "are a worker and a projector running on the same schema and namespace?"
            )
        await asyncio.sleep(0.05)


async def play_api(deployment: Deployment) -> Outcome:
    """The customers' story, told through the broker and the read model."""
    ids, transfer_ids = ids_for(uuid.uuid4().hex[:8])
    alice, bob, carol = ids["Alice"], ids["Bob"], ids["Carol"]
    async with deployment.stores() as stores, deployment.bus() as bus:
        ledger = stores.ledger

        async def send(*commands: Command) -> None:
            for command in commands:
                await bus.publish(command)  # returns once the broker has it

        async def has(account_id: str, amount: str, status: str = "open") -> bool:
            found = await ledger.account(account_id)
            return found is not None and (found.balance, found.status) == (Decimal(amount), status)

        print("Distributed banking demo: this process is the api; commands go through RabbitMQ to")
        print("the command worker, and the projection worker keeps the read model in PostgreSQL.")
        print(f"Stores: {stores.where}; broker namespace {deployment.namespace!r}")

        print("\n1. Three customers open accounts; the api waits until the read model shows them:")
        await send(
            *(
                OpenAccount(account_id=i, owner=o, initial_deposit=OPENING[o])
                for o, i in ids.items()
            )
        )
        for owner, account_id in ids.items():
            await until(f"{owner}'s account", partial(has, account_id, str(OPENING[owner])))
            print(f"  {owner:<5}  {account_id}  balance {await balance(ledger, account_id)}")

        print("\n2. Alice deposits 50.25; Carol empties and closes her account:")
        await send(
            DepositMoney(account_id=alice, amount=Decimal("50.25")),
            WithdrawMoney(account_id=carol, amount=OPENING["Carol"]),
        )
        await until("the deposit", lambda: has(alice, "150.25"))
        await until("the withdrawal", lambda: has(carol, "0.00"))
        await send(CloseAccount(account_id=carol))  # once empty: its own queue, its own pace
        await until("the closing", lambda: has(carol, "0.00", "closed"))
        status = (await account(ledger, carol)).status
        print(f"  read model: Alice {await balance(ledger, alice)}; Carol's account is {status}")

        print("\n3. Alice sends Bob 70.00, then Bob sends Carol 25.00; the worker runs each:")
        for transfer_id, source, destination, amount in (
            (transfer_ids[0], alice, bob, "70.00"),
            (transfer_ids[1], bob, carol, "25.00"),
        ):
            await send(
                TransferMoney(
                    transfer_id=transfer_id,
                    source=source,
                    destination=destination,
                    amount=Decimal(amount),
                )
            )
            await until(f"how {transfer_id} ended", partial(ended, ledger, transfer_id))
            found = await ledger.transfer(transfer_id)
            assert found is not None
            print(f"  {describe(found)}")

        print(f"\n4. The read model, kept by the projection {PROJECTION} (exactly once):")
        return await show_read_model(ledger, stores.events, ids, transfer_ids)


async def ended(ledger: Ledger, transfer_id: str) -> bool:
    found = await ledger.transfer(transfer_id)
    return found is not None and found.status in ("completed", "failed")


def launch(deployment: Deployment) -> Outcome:
    """Start a worker and a projector, play the api, then stop them (SIGTERM)."""
    children: list[subprocess.Popen[str]] = []
    try:
        for role in ("worker", "projector"):
            child = subprocess.Popen(
                deployment.command_line(role), stdout=subprocess.PIPE, text=True
            )
            children.append(child)
            assert child.stdout is not None
            if not child.stdout.readline():
                raise RuntimeError(
                    f"The {role} exited with status {child.wait()} before it was ready"
                )
        return asyncio.run(play_api(deployment))
    finally:
        for child in children:
            child.send_signal(signal.SIGTERM)
        for child in children:
            child.wait(timeout=60)


def add_distributed_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("distributed mode (RabbitMQ and PostgreSQL)")
    group.add_argument("--distributed", action="store_true", help="run as three processes")
    group.add_argument("--role", choices=ROLES, help="the process to be (default: start all three)")
    group.add_argument("--broker", default=DEFAULT_BROKER, help="RabbitMQ URL (%(default)s)")
    group.add_argument(
        "--namespace", default="banking_demo", help="prefix of the exchanges and queues"
    )


def run_distributed(parser: argparse.ArgumentParser, arguments: argparse.Namespace) -> None:
    """`--distributed`: be the role asked for, or all three."""
    if arguments.dsn is None:
        parser.error("--distributed needs --dsn (a PostgreSQL database)")
    if arguments.db is not None or arguments.store != "sqlite":
        parser.error("--distributed runs on PostgreSQL: --store and --db do not apply")
    deployment = Deployment(
        arguments.dsn, arguments.schema or DEFAULT_SCHEMA, arguments.broker, arguments.namespace
    )
    try:
        if arguments.role == "worker":
            asyncio.run(serve_commands(deployment))
        elif arguments.role == "projector":
            asyncio.run(serve_projection(deployment))
        elif arguments.role == "api":
            asyncio.run(play_api(deployment))
        else:
            launch(deployment)
    except (StoreError, BrokerError, ValidationError, TimeoutError, RuntimeError) as error:
        parser.exit(1, f"{parser.prog}: {error}\n")
    except ImportError as missing:
        if missing.name not in ("asyncpg", "aio_pika"):
            raise
        parser.exit(1, f"{parser.prog}: {missing}\n")
