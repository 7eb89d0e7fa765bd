"""AggregateRepository: optimistic concurrency, snapshots, async twins and misuse errors."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from orchestrix.core.common.exceptions import (
    AggregateNotFoundError,
    ConcurrencyError,
    OrchestrixError,
    StoreUsageError,
)
from orchestrix.core.eventsourcing.aggregate import AggregateRepository, AggregateRoot
from orchestrix.core.eventsourcing.repository import take_snapshot
from orchestrix.core.eventsourcing.snapshot import Snapshot
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.memory.async_store import InMemoryAsyncEventStore
from orchestrix.infrastructure.memory.store import InMemoryEventStore


@dataclass(frozen=True, kw_only=True)
class RepoOpened(Event):
    owner: str


@dataclass(frozen=True, kw_only=True)
class RepoDeposited(Event):
    amount: Decimal


@dataclass
class Account(AggregateRoot):
    owner: str = ""
    balance: Decimal = Decimal(0)
    history: list[Decimal] = field(default_factory=list)

    def open(self, owner: str) -> None:
        self._apply_event(RepoOpened(owner=owner))

    def deposit(self, amount: Decimal) -> None:
        self._apply_event(RepoDeposited(amount=amount))

    def _when_repo_opened(self, event: RepoOpened) -> None:
        self.owner = event.owner

    def _when_repo_deposited(self, event: RepoDeposited) -> None:
        self.balance += event.amount
        self.history.append(event.amount)


def opened(store: InMemoryEventStore, deposits: int = 0) -> Account:
    repository = AggregateRepository[Account](event_store=store)
    account = Account(aggregate_id="ACC-1")
    account.open("Alice")
    for _ in range(deposits):
        account.deposit(Decimal("1.10"))
    repository.save(account)
    return account


def test_save_then_load_rebuilds_state() -> None:
    store = InMemoryEventStore()
    opened(store, deposits=3)
    loaded = AggregateRepository[Account](event_store=store).load(Account, "ACC-1")
    assert (loaded.owner, loaded.balance, loaded.version) == ("Alice", Decimal("3.30"), 4)
    assert loaded.uncommitted_events == []


def test_save_commits_and_a_second_save_appends() -> None:
    store = InMemoryEventStore()
    repository = AggregateRepository[Account](event_store=store)
    account = opened(store)
    assert account.uncommitted_events == []
    account.deposit(Decimal(5))
    repository.save(account)
    assert len(store.load("ACC-1")) == 2


def test_save_returns_the_checkpoint_of_its_last_event_for_read_your_writes() -> None:
    store = InMemoryEventStore()
    repository = AggregateRepository[Account](event_store=store)
    account = Account(aggregate_id="ACC-1")
    account.open("Alice")
    account.deposit(Decimal(2))
    checkpoint = repository.save(account)
    assert checkpoint == list(store.read_all())[-1].checkpoint
    assert repository.save(account) is None  # nothing new to store


async def test_save_async_returns_the_checkpoint_of_its_last_event() -> None:
    store = InMemoryAsyncEventStore()
    repository = AggregateRepository[Account](event_store=store)
    account = Account(aggregate_id="ACC-1")
    account.open("Alice")
    first = await repository.save_async(account)
    account.deposit(Decimal(2))
    second = await repository.save_async(account)
    assert first is not None and second is not None and second > first
    assert await repository.save_async(account) is None


def test_saving_nothing_writes_nothing() -> None:
    store = InMemoryEventStore()
    AggregateRepository[Account](event_store=store).save(Account(aggregate_id="x"))
    assert store.load("x") == []


def test_two_writers_from_the_same_version_second_fails_nothing_lost() -> None:
    store = InMemoryEventStore()
    opened(store)
    repository = AggregateRepository[Account](event_store=store)
    first, second = repository.load(Account, "ACC-1"), repository.load(Account, "ACC-1")
    first.deposit(Decimal(1))
    second.deposit(Decimal(2))
    repository.save(first)
    with pytest.raises(ConcurrencyError) as caught:
        repository.save(second)
    assert (caught.value.expected_version, caught.value.actual_version) == (1, 2)
    assert second.uncommitted_events != []  # still there: the caller can reload and retry
    assert repository.load(Account, "ACC-1").balance == Decimal(1)


def test_creating_an_existing_aggregate_again_conflicts() -> None:
    store = InMemoryEventStore()
    opened(store)
    again = Account(aggregate_id="ACC-1")
    again.open("Mallory")
    with pytest.raises(ConcurrencyError):
        AggregateRepository[Account](event_store=store).save(again)


def test_missing_aggregate_is_a_value_error_and_orchestrix_error() -> None:
    repository = AggregateRepository[Account](event_store=InMemoryEventStore())
    with pytest.raises(AggregateNotFoundError) as caught:
        repository.load(Account, "nope")
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, OrchestrixError)
    assert "nope" in str(caught.value)


def test_sync_methods_on_async_store_name_the_async_ones() -> None:
    repository = AggregateRepository[Account](event_store=InMemoryAsyncEventStore())
    with pytest.raises(StoreUsageError, match="load_async"):
        repository.load(Account, "ACC-1")
    with pytest.raises(StoreUsageError, match="save_async"):
        repository.save(Account(aggregate_id="ACC-1"))


async def test_async_twins_with_async_store() -> None:
    store = InMemoryAsyncEventStore()
    repository = AggregateRepository[Account](event_store=store, snapshot_every=2)
    account = Account(aggregate_id="A")
    account.open("Bob")
    account.deposit(Decimal(7))
    await repository.save_async(account)
    loaded = await repository.load_async(Account, "A")
    assert (loaded.owner, loaded.balance, loaded.version) == ("Bob", Decimal(7), 2)
    snapshot = await store.load_snapshot_async("A")
    assert snapshot is not None and snapshot.version == 2
    first, second = loaded, await repository.load_async(Account, "A")
    first.deposit(Decimal(1))
    second.deposit(Decimal(1))
    await repository.save_async(first)
    with pytest.raises(ConcurrencyError):
        await repository.save_async(second)
    with pytest.raises(AggregateNotFoundError):
        await repository.load_async(Account, "missing")


async def test_async_methods_accept_a_sync_store() -> None:
    store = InMemoryEventStore()
    opened(store, deposits=1)
    loaded = await AggregateRepository[Account](event_store=store).load_async(Account, "ACC-1")
    assert loaded.balance == Decimal("1.10")


def test_snapshot_every_n_events() -> None:
    store = InMemoryEventStore()
    repository = AggregateRepository[Account](event_store=store, snapshot_every=3)
    account = Account(aggregate_id="S")
    account.open("Carol")
    account.deposit(Decimal(1))
    repository.save(account)
    assert store.load_snapshot("S") is None
    account.deposit(Decimal(1))
    repository.save(account)
    snapshot = store.load_snapshot("S")
    assert snapshot is not None
    assert (snapshot.version, snapshot.aggregate_type) == (3, "Account")
    assert snapshot.state["balance"] == "2"


def test_snapshot_plus_tail_equals_full_replay() -> None:
    store = InMemoryEventStore()
    repository = AggregateRepository[Account](event_store=store, snapshot_every=4)
    account = Account(aggregate_id="T")
    account.open("Dan")
    repository.save(account)
    for amount in range(1, 10):
        account.deposit(Decimal(amount))
        repository.save(account)
    snapshot = store.load_snapshot("T")
    assert snapshot is not None and snapshot.version == 8
    from_snapshot = repository.load(Account, "T")
    replayed = Account(aggregate_id="T")
    replayed._replay_events(store.load("T"))
    assert from_snapshot == replayed
    assert from_snapshot.history == [Decimal(n) for n in range(1, 10)]


def test_loading_uses_the_snapshot_and_only_the_tail() -> None:
    store = InMemoryEventStore()
    opened(store, deposits=2)
    store.save_snapshot(
        Snapshot("ACC-1", "Account", 3, {"owner": "From snapshot", "balance": "100", "history": []})
    )
    loaded = AggregateRepository[Account](event_store=store).load(Account, "ACC-1")
    assert (loaded.owner, loaded.balance, loaded.version) == ("From snapshot", Decimal(100), 3)


@pytest.mark.parametrize(
    "snapshot",
    [
        Snapshot("ACC-1", "SomeOtherAggregate", 3, {"owner": "x", "balance": "1", "history": []}),
        Snapshot("ACC-1", "Account", 3, {"owner": "x", "balance": "1"}, schema_version=99),
        Snapshot("ACC-1", "Account", 3, {"owner": "x", "balance": "not-a-number", "history": []}),
        Snapshot("ACC-1", "Account", 3, {"owner": "x"}),
    ],
    ids=["other-type", "stale-schema", "corrupt-value", "missing-fields"],
)
def test_unfit_snapshot_is_ignored(snapshot: Snapshot, caplog: pytest.LogCaptureFixture) -> None:
    store = InMemoryEventStore()
    opened(store, deposits=2)
    store.save_snapshot(snapshot)
    with caplog.at_level(logging.INFO, logger="orchestrix"):
        loaded = AggregateRepository[Account](event_store=store).load(Account, "ACC-1")
    assert (loaded.owner, loaded.balance, loaded.version) == ("Alice", Decimal("2.20"), 3)
    assert "Ignoring" in caplog.text


def test_take_snapshot_records_type_schema_and_state() -> None:
    account = Account(aggregate_id="Z", owner="Eve", balance=Decimal("1.5"), version=4)
    snapshot = take_snapshot(account)
    assert snapshot.aggregate_type == "Account"
    assert snapshot.schema_version == Account.snapshot_schema_version
    assert snapshot.state == {"owner": "Eve", "balance": "1.5", "history": []}


def test_snapshot_every_must_be_positive() -> None:
    with pytest.raises(ValueError, match="snapshot_every"):
        AggregateRepository[Account](event_store=InMemoryEventStore(), snapshot_every=0)


@dataclass
class Ledger(AggregateRoot):
    """State the codec cannot snapshot once a Decimal lands in an untyped dict."""

    notes: dict[str, Any] = field(default_factory=dict)

    def note(self, key: str, value: Any) -> None:
        self._apply_event(RepoNoted(key=key))
        self.notes[key] = value

    def _when_repo_noted(self, event: RepoNoted) -> None:
        self.notes.setdefault(event.key, None)


@dataclass(frozen=True, kw_only=True)
class RepoNoted(Event):
    key: str


def test_a_snapshot_that_cannot_be_encoded_never_fails_the_save(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = InMemoryEventStore()
    repository = AggregateRepository[Ledger](event_store=store, snapshot_every=1)
    ledger = Ledger(aggregate_id="L")
    ledger.note("price", Decimal("1.50"))
    with caplog.at_level(logging.WARNING):
        repository.save(ledger)  # the event is committed: no error, no retry, no double apply
    assert repository.snapshot_failures == 1
    assert "snapshot failed" in caplog.text
    assert store.load_snapshot("L") is None
    assert [event.key for event in store.load("L")] == ["price"]  # type: ignore[attr-defined]


async def test_a_snapshot_that_cannot_be_encoded_never_fails_the_async_save() -> None:
    repository = AggregateRepository[Ledger](InMemoryAsyncEventStore(), snapshot_every=1)
    ledger = Ledger(aggregate_id="L")
    ledger.note("price", Decimal("1.50"))
    await repository.save_async(ledger)
    assert repository.snapshot_failures == 1


def test_a_stored_snapshot_never_aliases_the_live_aggregate() -> None:
    store = InMemoryEventStore()
    repository = AggregateRepository[Account](event_store=store, snapshot_every=1)
    account = Account(aggregate_id="A")
    account.open("Alice")
    account.deposit(Decimal(1))
    repository.save(account)
    account.deposit(Decimal(5))  # not saved
    account.history.append(Decimal(99))
    snapshot = store.load_snapshot("A")
    assert snapshot is not None
    assert snapshot.state["history"] == ["1"]
    loaded = repository.load(Account, "A")
    assert (loaded.balance, loaded.history) == (Decimal(1), [Decimal(1)])


def test_untyped_state_in_a_stored_snapshot_never_aliases_an_aggregate() -> None:
    # Untyped values (`dict[str, Any]` here) are where state could be stored as the very
    # objects the aggregate goes on changing: neither the saved aggregate nor one loaded from
    # the snapshot may change the stored snapshot without a save.
    store = InMemoryEventStore()
    repository = AggregateRepository[Ledger](event_store=store, snapshot_every=1)
    ledger = Ledger(aggregate_id="L")
    ledger.note("log", [1])
    repository.save(ledger)
    ledger.notes["log"].append("unsaved change of the saved aggregate")
    loaded = repository.load(Ledger, "L")
    assert loaded.notes == {"log": [1]}
    loaded.notes["log"].append("unsaved change of a loaded aggregate")
    snapshot = store.load_snapshot("L")
    assert snapshot is not None
    assert snapshot.state["notes"] == {"log": [1]}
    assert repository.load(Ledger, "L").notes == {"log": [1]}
