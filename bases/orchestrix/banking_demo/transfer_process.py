"""The transfer process: debit the source, credit the destination, give the money back if the
destination refuses, and record how the transfer ended.

A process manager with one instance per transfer, driven by events alone: it never waits,
each event wakes it and it answers with the next command.

    TransferRequested ─▶ DebitForTransfer(source)
    TransferDebited   ─▶ CreditForTransfer(destination)
    TransferCredited  ─▶ CompleteTransfer                              (the end)
    TransferRefused   ─▶ by the source: FailTransfer                   (the end)
                         by the destination: ReturnTransfer(source)
    TransferReturned  ─▶ FailTransfer                                  (the end)

Its state and the commands it decided are stored in one write per event, and an event it has
handled before is ignored, so a redelivered event never moves money twice; the accounts ignore
a repeated command for a transfer they handled already.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from orchestrix.banking_demo.models import (
    CompleteTransfer,
    CreditForTransfer,
    DebitForTransfer,
    FailTransfer,
    ReturnTransfer,
    TransferCredited,
    TransferDebited,
    TransferRefused,
    TransferRequested,
    TransferReturned,
)
from orchestrix.core.execution.process_context import ProcessContext
from orchestrix.core.execution.process_manager import ProcessManager, handles


class Stage(StrEnum):
    DEBITING = "debiting"
    CREDITING = "crediting"
    RETURNING = "returning"


@dataclass(frozen=True)
class TransferProgress:
    """What an instance remembers between two events."""

    source: str
    destination: str
    amount: Decimal
    stage: Stage = Stage.DEBITING
    refusal: str = ""


type Context = ProcessContext[TransferProgress]


def progress(context: Context) -> TransferProgress:
    """The state of a started instance (only `requested` runs before there is one)."""
    state = context.state
    assert state is not None, "set when the transfer was requested"
    return state


class TransferProcess(ProcessManager[TransferProgress]):
    process_type = "bank-transfer"
    state_type = TransferProgress
    correlate_by = "transfer_id"

    @handles(TransferRequested, starts=True)
    def requested(self, event: TransferRequested, context: Context) -> None:
        context.state = TransferProgress(event.source, event.destination, event.amount)
        context.send(
            DebitForTransfer(
                account_id=event.source,
                transfer_id=event.transfer_id,
                amount=event.amount,
                destination=event.destination,
            )
        )

    @handles(TransferDebited)
    def debited(self, event: TransferDebited, context: Context) -> None:
        state = progress(context)
        context.state = replace(state, stage=Stage.CREDITING)
        context.send(
            CreditForTransfer(
                account_id=state.destination,
                transfer_id=event.transfer_id,
                amount=state.amount,
                source=state.source,
            )
        )

    @handles(TransferCredited)
    def credited(self, event: TransferCredited, context: Context) -> None:
        context.send(CompleteTransfer(transfer_id=event.transfer_id))
        context.complete()

    @handles(TransferRefused)
    def refused(self, event: TransferRefused, context: Context) -> None:
        state = progress(context)
        if state.stage is Stage.DEBITING:  # nothing moved yet
            context.send(FailTransfer(transfer_id=event.transfer_id, reason=event.reason))
            context.complete()
            return
        context.state = replace(state, stage=Stage.RETURNING, refusal=event.reason)
        context.send(
            ReturnTransfer(
                account_id=state.source, transfer_id=event.transfer_id, amount=state.amount
            )
        )

    @handles(TransferReturned)
    def returned(self, event: TransferReturned, context: Context) -> None:
        context.send(FailTransfer(transfer_id=event.transfer_id, reason=progress(context).refusal))
        context.complete()
