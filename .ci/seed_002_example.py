"""The Core API Reference's aggregate and repository example, run against an installed wheel.

CI runs this from an empty folder with the interpreter of a fresh virtual environment that has
nothing but the `orchestrix` wheel built from the sdist, so it proves the published artifact
works on its own (no workspace paths, no dev tools, no optional dependency).
"""

from dataclasses import dataclass
from pathlib import Path

import orchestrix.core.messaging
from orchestrix.core.eventsourcing.aggregate import AggregateRepository, AggregateRoot
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.memory.store import InMemoryEventStore


@dataclass(frozen=True, kw_only=True)
class AccountOpened(Event):
    account_id: str
    owner: str
    initial_deposit: float


@dataclass
class BankAccount(AggregateRoot):
    balance: float = 0.0
    owner: str = ""

    def open(self, owner: str, initial_deposit: float) -> None:
        self._apply_event(
            AccountOpened(
                account_id=self.aggregate_id,
                owner=owner,
                initial_deposit=initial_deposit,
            )
        )

    def _when_account_opened(self, event: AccountOpened) -> None:
        self.owner = event.owner
        self.balance = event.initial_deposit


store = InMemoryEventStore()
repo = AggregateRepository(event_store=store)

account = BankAccount(aggregate_id="ACC-001")
account.open("Alice", 1000.0)
repo.save(account)

loaded = repo.load(BankAccount, "ACC-001")
assert loaded.balance == 1000.0
assert loaded.owner == "Alice"

installed_at = Path(orchestrix.core.messaging.__file__).resolve()
assert "site-packages" in installed_at.parts, f"not the installed wheel: {installed_at}"
print(f"seed 002 example: ok (orchestrix from {installed_at.parents[2]})")
