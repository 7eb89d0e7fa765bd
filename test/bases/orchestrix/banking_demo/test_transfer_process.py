"""The transfer process with the real handlers on an in-memory bus: what each transfer stores,
in order, when it succeeds, when the destination refuses and when the source cannot pay."""

from __future__ import annotations

from decimal import Decimal

from orchestrix.banking_demo.handlers import BankingModule
from orchestrix.banking_demo.models import (
    AccountClosed,
    AccountOpened,
    CreditForTransfer,
    DebitForTransfer,
    MoneyWithdrawn,
    TransferCompleted,
    TransferCredited,
    TransferDebited,
    TransferFailed,
    TransferMoney,
    TransferRefused,
    TransferRequested,
    TransferReturned,
)
from orchestrix.banking_demo.transfer_process import Stage, TransferProcess, TransferProgress
from orchestrix.core.common.exceptions import AggregateNotFoundError
from orchestrix.core.eventsourcing.event_store import AsyncEventStore
from orchestrix.core.messaging.message_bus import AsyncMessageBus
from orchestrix.infrastructure.memory import (
    InMemoryAsyncMessageBus,
    InMemoryProcessStateStore,
)
from orchestrix.testing import AsyncHandlerScenario

AMOUNT = Decimal("30.00")
ALICE = AccountOpened(account_id="ACC-A", owner="Alice", initial_deposit=Decimal("100.00"))
BOB = AccountOpened(account_id="ACC-B", owner="Bob", initial_deposit=Decimal("10.00"))
BOB_CLOSES = (
    MoneyWithdrawn(account_id="ACC-B", amount=Decimal("10.00")),
    AccountClosed(account_id="ACC-B"),
)
TRANSFER = TransferMoney(transfer_id="TR-1", source="ACC-A", destination="ACC-B", amount=AMOUNT)
REQUESTED = TransferRequested(
    transfer_id="TR-1", source="ACC-A", destination="ACC-B", amount=AMOUNT
)
DEBITED = TransferDebited(
    account_id="ACC-A", transfer_id="TR-1", amount=AMOUNT, destination="ACC-B"
)


def the_bank(bus: AsyncMessageBus, store: AsyncEventStore) -> None:
    BankingModule().register(bus, store)
    TransferProcess(InMemoryProcessStateStore(), bus).subscribe_to(bus)


def bank() -> AsyncHandlerScenario:
    return AsyncHandlerScenario(the_bank)


async def test_a_transfer_debits_the_source_then_credits_the_destination() -> None:
    stored = (
        await bank()
        .given("ACC-A", ALICE)
        .given("ACC-B", BOB)
        .when(TRANSFER)
        .then(
            REQUESTED,
            DEBITED,
            TransferCredited(account_id="ACC-B", transfer_id="TR-1", amount=AMOUNT, source="ACC-A"),
            TransferCompleted(transfer_id="TR-1"),
        )
    )
    # One chain: every event correlates with the command that started it.
    assert {event.correlation_id for event in stored} == {TRANSFER.id}


async def test_a_refused_credit_gives_the_money_back_and_fails_the_transfer() -> None:
    reason = "account ACC-B is closed"
    await (
        bank()
        .given("ACC-A", ALICE)
        .given("ACC-B", BOB, *BOB_CLOSES)
        .when(TRANSFER)
        .then(
            REQUESTED,
            DEBITED,
            TransferRefused(account_id="ACC-B", transfer_id="TR-1", reason=reason),
            TransferReturned(account_id="ACC-A", transfer_id="TR-1", amount=AMOUNT),
            TransferFailed(transfer_id="TR-1", reason=reason),
        )
    )


async def test_a_source_that_cannot_pay_fails_the_transfer_without_moving_money() -> None:
    reason = "Cannot withdraw 30.00 from ACC-B: balance is 10.00"
    backwards = TransferMoney(
        transfer_id="TR-1", source="ACC-B", destination="ACC-A", amount=AMOUNT
    )
    await (
        bank()
        .given("ACC-A", ALICE)
        .given("ACC-B", BOB)
        .when(backwards)
        .then(
            TransferRequested(
                transfer_id="TR-1", source="ACC-B", destination="ACC-A", amount=AMOUNT
            ),
            TransferRefused(account_id="ACC-B", transfer_id="TR-1", reason=reason),
            TransferFailed(transfer_id="TR-1", reason=reason),
        )
    )


async def test_a_transfer_to_an_unknown_account_is_refused_before_it_starts() -> None:
    await bank().given("ACC-A", ALICE).when(TRANSFER).then_raises(AggregateNotFoundError)


async def test_an_event_delivered_twice_sends_one_command() -> None:
    bus = InMemoryAsyncMessageBus()
    sent: list[object] = []
    bus.subscribe(DebitForTransfer, sent.append)
    bus.subscribe(CreditForTransfer, sent.append)
    process = TransferProcess(InMemoryProcessStateStore(), bus)
    for event in (REQUESTED, REQUESTED, DEBITED, DEBITED):
        await process.handle(event)
    assert [type(command) for command in sent] == [DebitForTransfer, CreditForTransfer]
    assert await process.get_state("TR-1") == TransferProgress(
        "ACC-A", "ACC-B", AMOUNT, Stage.CREDITING
    )
