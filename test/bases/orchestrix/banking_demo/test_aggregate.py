"""The accounts' and transfers' rules, as given / when / then scenarios: money moves only by
events, refusals name the reason, and every transfer command counts once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orchestrix.banking_demo.aggregate import (
    AccountStatus,
    BankAccount,
    BankingError,
    InsufficientFundsError,
    Transfer,
    TransferStatus,
)
from orchestrix.banking_demo.models import (
    AccountClosed,
    AccountOpened,
    CloseAccount,
    CompleteTransfer,
    CreditForTransfer,
    DebitForTransfer,
    DepositMoney,
    FailTransfer,
    MoneyDeposited,
    MoneyWithdrawn,
    OpenAccount,
    ReturnTransfer,
    TransferCompleted,
    TransferCredited,
    TransferDebited,
    TransferFailed,
    TransferMoney,
    TransferRefused,
    TransferRequested,
    TransferReturned,
    WithdrawMoney,
)
from orchestrix.core.common.validation import ValidationError
from orchestrix.testing import AggregateScenario

OPENED = AccountOpened(account_id="ACC-1", owner="Ada", initial_deposit=Decimal("100.00"))
CLOSED = AccountClosed(account_id="ACC-1")
EMPTIED = MoneyWithdrawn(account_id="ACC-1", amount=Decimal("100.00"))
DEBIT = DebitForTransfer(
    account_id="ACC-1", transfer_id="TR-1", amount=Decimal("30.00"), destination="ACC-2"
)
CREDIT = CreditForTransfer(
    account_id="ACC-1", transfer_id="TR-1", amount=Decimal("30.00"), source="ACC-2"
)
DEBITED = TransferDebited(
    account_id="ACC-1", transfer_id="TR-1", amount=Decimal("30.00"), destination="ACC-2"
)
REQUESTED = TransferRequested(
    transfer_id="TR-1", source="ACC-1", destination="ACC-2", amount=Decimal("30.00")
)


def account() -> AggregateScenario[BankAccount]:
    return AggregateScenario(BankAccount, "ACC-1")


def test_an_account_opens_takes_deposits_and_withdrawals() -> None:
    opened = account().when(
        lambda a: a.open(
            OpenAccount(account_id="ACC-1", owner="Ada", initial_deposit=Decimal("100.00"))
        )
    )
    assert opened.then(OPENED).balance == Decimal("100.00")
    kept = (
        account()
        .given(OPENED, MoneyDeposited(account_id="ACC-1", amount=Decimal("0.50")))
        .when(lambda a: a.withdraw(WithdrawMoney(account_id="ACC-1", amount=Decimal("20.25"))))
        .then(MoneyWithdrawn(account_id="ACC-1", amount=Decimal("20.25")))
    )
    assert kept.balance == Decimal("80.25") and kept.status is AccountStatus.OPEN


def test_a_withdrawal_larger_than_the_balance_is_refused() -> None:
    error = (
        account()
        .given(OPENED)
        .when(lambda a: a.withdraw(WithdrawMoney(account_id="ACC-1", amount=Decimal("100.01"))))
        .then_raises(InsufficientFundsError)
    )
    assert str(error) == "Cannot withdraw 100.01 from ACC-1: balance is 100.00"


def test_an_account_is_opened_once() -> None:
    account().given(OPENED).when(
        lambda a: a.open(OpenAccount(account_id="ACC-1", owner="Bo", initial_deposit=Decimal(1)))
    ).then_raises(BankingError, match="ACC-1 exists already")


def test_only_an_empty_account_closes_and_a_closed_one_takes_nothing() -> None:
    account().given(OPENED).when(lambda a: a.close(CloseAccount(account_id="ACC-1"))).then_raises(
        BankingError, match="holds 100.00; withdraw it first"
    )
    closed = (
        account()
        .given(OPENED, EMPTIED)
        .when(lambda a: a.close(CloseAccount(account_id="ACC-1")))
        .then(CLOSED)
    )
    assert closed.status is AccountStatus.CLOSED
    account().given(OPENED, EMPTIED, CLOSED).when(
        lambda a: a.deposit(DepositMoney(account_id="ACC-1", amount=Decimal("1.00")))
    ).then_raises(BankingError, match="account ACC-1 is closed")


def test_a_transfer_debit_and_credit_move_money_once() -> None:
    debited = account().given(OPENED).when(lambda a: a.debit_for_transfer(DEBIT)).then(DEBITED)
    assert debited.balance == Decimal("70.00")
    account().given(OPENED, DEBITED).when(lambda a: a.debit_for_transfer(DEBIT)).then()
    credited = TransferCredited(
        account_id="ACC-1", transfer_id="TR-1", amount=Decimal("30.00"), source="ACC-2"
    )
    assert (
        account().given(OPENED).when(lambda a: a.credit_for_transfer(CREDIT)).then(credited)
    ).balance == Decimal("130.00")
    account().given(OPENED, credited).when(lambda a: a.credit_for_transfer(CREDIT)).then()


def test_refusals_are_events_the_transfer_process_hears() -> None:
    short = DebitForTransfer(
        account_id="ACC-1", transfer_id="TR-1", amount=Decimal("100.01"), destination="ACC-2"
    )
    account().given(OPENED).when(lambda a: a.debit_for_transfer(short)).then(
        TransferRefused(
            account_id="ACC-1",
            transfer_id="TR-1",
            reason="Cannot withdraw 100.01 from ACC-1: balance is 100.00",
        )
    )
    refused = TransferRefused(
        account_id="ACC-1", transfer_id="TR-1", reason="account ACC-1 is closed"
    )
    account().given(OPENED, EMPTIED, CLOSED).when(lambda a: a.credit_for_transfer(CREDIT)).then(
        refused
    )
    account().given(OPENED, EMPTIED, CLOSED, refused).when(
        lambda a: a.credit_for_transfer(CREDIT)
    ).then()


def test_a_debited_amount_comes_back_once_even_to_a_closed_account() -> None:
    give_back = ReturnTransfer(account_id="ACC-1", transfer_id="TR-1", amount=Decimal("30.00"))
    returned = TransferReturned(account_id="ACC-1", transfer_id="TR-1", amount=Decimal("30.00"))
    back = (
        account()
        .given(OPENED, DEBITED, MoneyWithdrawn(account_id="ACC-1", amount=Decimal("70.00")), CLOSED)
        .when(lambda a: a.return_transfer(give_back))
        .then(returned)
    )
    assert back.balance == Decimal("30.00")
    account().given(OPENED, DEBITED, returned).when(lambda a: a.return_transfer(give_back)).then()


def test_a_transfer_is_requested_once_and_ends_once() -> None:
    scenario = AggregateScenario(Transfer, "TR-1")
    request = TransferMoney(
        transfer_id="TR-1", source="ACC-1", destination="ACC-2", amount=Decimal("30.00")
    )
    assert scenario.when(lambda t: t.request(request)).then(REQUESTED).status is (
        TransferStatus.REQUESTED
    )
    AggregateScenario(Transfer, "TR-1").given(REQUESTED).when(
        lambda t: t.request(request)
    ).then_raises(BankingError, match="TR-1 exists already")
    completed = TransferCompleted(transfer_id="TR-1")
    AggregateScenario(Transfer, "TR-1").given(REQUESTED).when(
        lambda t: t.complete(CompleteTransfer(transfer_id="TR-1"))
    ).then(completed)
    failed = (
        AggregateScenario(Transfer, "TR-1")
        .given(REQUESTED)
        .when(lambda t: t.fail(FailTransfer(transfer_id="TR-1", reason="closed")))
        .then(TransferFailed(transfer_id="TR-1", reason="closed"))
    )
    assert (failed.status, failed.reason) == (TransferStatus.FAILED, "closed")
    AggregateScenario(Transfer, "TR-1").given(REQUESTED, completed).when(
        lambda t: t.fail(FailTransfer(transfer_id="TR-1", reason="late"))
    ).then()


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: DepositMoney(account_id="A", amount=Decimal("0.001")), "amount"),
        (lambda: DepositMoney(account_id="A", amount=10.5), "amount"),
        (lambda: WithdrawMoney(account_id="A", amount=Decimal("-1.00")), "amount"),
        (lambda: OpenAccount(account_id="A", owner=" ", initial_deposit=Decimal(1)), "owner"),
        (
            lambda: TransferMoney(
                transfer_id="T", source="A", destination="A", amount=Decimal("1.00")
            ),
            "destination",
        ),
    ],
)
def test_commands_refuse_amounts_that_are_not_whole_cents_and_other_nonsense(
    build: object, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        build()  # type: ignore[operator]
    assert refused.value.field == field
