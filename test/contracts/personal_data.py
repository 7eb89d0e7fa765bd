"""The personal-data contract: every event store with protection seals, redacts and erases alike.

A store's test module subclasses `PersonalDataContract` and provides `protected`: a fresh,
empty store with personal-data protection (a fresh key store and cipher), wrapped in
`SyncStoreUnderTest` or `AsyncStoreUnderTest`. What the backend's files or tables hold is
checked in the backend's own tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import pytest

from orchestrix.core.common.exceptions import (
    EventDecodingError,
    MissingSubjectError,
    SubjectErasedError,
    UnknownSubjectError,
)
from orchestrix.core.eventsourcing.aggregate import AggregateRepository, AggregateRoot
from orchestrix.core.eventsourcing.erasure import (
    SubjectErased,
    erase_subject,
    erase_subject_async,
    erasure_stream,
)
from orchestrix.core.messaging.message import Event
from orchestrix.core.messaging.personal import REDACTED, Personal, is_redacted
from test.contracts.event_store import AsyncStoreUnderTest, StoreUnderTest

# --- events and an aggregate with personal data ----------------------------------------------

type Customers = Annotated[str, Personal("customer_id")]


@dataclass(frozen=True)
class PostalAddress:
    street: str
    city: str


@dataclass(frozen=True, kw_only=True)
class CustomerRegistered(Event):
    customer_id: str
    name: Customers
    born: Annotated[date, Personal("customer_id")]
    credit: Annotated[Decimal, Personal("customer_id")]
    address: Annotated[PostalAddress, Personal("customer_id")]
    tags: Annotated[list[str], Personal("customer_id")] = field(default_factory=list)
    phone: Annotated[str | None, Personal("customer_id")] = None
    plan: str = "basic"


@dataclass(frozen=True, kw_only=True)
class PaymentMade(Event):
    """Personal data of two subjects in one event."""

    payer_id: str
    payee_id: str
    payer_name: Annotated[str, Personal("payer_id")]
    payee_name: Annotated[str, Personal("payee_id")]
    amount: Decimal


def registered(customer_id: str, name: str, **overrides: Any) -> CustomerRegistered:
    values: dict[str, Any] = {
        "customer_id": customer_id,
        "name": name,
        "born": date(1990, 4, 1),
        "credit": Decimal("1234.50"),
        "address": PostalAddress("1 High Street", "Leeds"),
        "tags": ["vip"],
        "phone": "+44 113 496 0000",
    }
    return CustomerRegistered(**{**values, **overrides})


PERSONAL = ("name", "born", "credit", "address", "tags", "phone")


@dataclass
class CustomerAccount(AggregateRoot):
    name: str = ""
    plan: str = ""
    payments: int = 0

    def register(self, name: str) -> None:
        self._apply_event(registered(self.aggregate_id, name))

    def pay(self, payee_id: str) -> None:
        self._apply_event(
            PaymentMade(
                payer_id=self.aggregate_id,
                payee_id=payee_id,
                payer_name=self.name,
                payee_name="someone",
                amount=Decimal(1),
            )
        )

    def _when_customer_registered(self, event: CustomerRegistered) -> None:
        self.name, self.plan = event.name, event.plan

    def _when_payment_made(self, event: PaymentMade) -> None:
        self.payments += 1


async def erase(store: StoreUnderTest, subject: str, reason: str = "") -> SubjectErased:
    """Erase through the sync or async API, as the store needs."""
    if isinstance(store, AsyncStoreUnderTest):
        return await erase_subject_async(store.store, subject, reason=reason)
    return erase_subject(store.store, subject, reason=reason)


# --- the contract ----------------------------------------------------------------------------


class PersonalDataContract:
    """Every store with personal-data protection passes these."""

    @pytest.fixture
    async def protected(self) -> StoreUnderTest:
        raise NotImplementedError("subclasses provide a protected store")

    async def test_personal_fields_round_trip(self, protected: StoreUnderTest) -> None:
        events = [registered("c-1", "Ann Smith"), registered("c-1", "Ann", phone=None, tags=[])]
        await protected.save("customer-1", events)
        assert await protected.load("customer-1") == events
        assert [r.event for r in await protected.read_all()] == events

    async def test_events_without_personal_fields_are_untouched(
        self, protected: StoreUnderTest
    ) -> None:
        record = SubjectErased(subject_id="x", erased_at=registered("c", "n").timestamp)
        await protected.save("plain", [record])
        assert await protected.load("plain") == [record]

    async def test_erasure_redacts_only_the_subjects_fields(
        self, protected: StoreUnderTest
    ) -> None:
        ann, bob = registered("c-1", "Ann"), registered("c-2", "Bob")
        await protected.save("customer-1", [ann])
        await protected.save("customer-2", [bob])
        record = await erase(protected, "c-1", reason="request 42")
        (loaded,) = await protected.load("customer-1")
        for name in PERSONAL:
            assert getattr(loaded, name) is REDACTED
        assert (loaded.id, loaded.customer_id, loaded.plan) == (ann.id, "c-1", "basic")
        assert loaded.timestamp == ann.timestamp
        assert await protected.load("customer-2") == [bob]
        logged = [r.event for r in await protected.read_all()]
        assert is_redacted(logged[0].name) and logged[1] == bob and logged[2] == record
        assert (record.subject_id, record.streams, record.reason) == (
            "c-1",
            ("customer-1",),
            "request 42",
        )

    async def test_one_event_can_hold_data_of_two_subjects(self, protected: StoreUnderTest) -> None:
        payment = PaymentMade(
            payer_id="c-1", payee_id="c-2", payer_name="Ann", payee_name="Bob", amount=Decimal(5)
        )
        await protected.save("payment-1", [payment])
        await erase(protected, "c-2")
        (loaded,) = await protected.load("payment-1")
        assert (loaded.payer_name, loaded.payee_name, loaded.amount) == ("Ann", REDACTED, 5)

    async def test_erasure_is_recorded_once(self, protected: StoreUnderTest) -> None:
        await protected.save("customer-1", [registered("c-1", "Ann")])
        first = await erase(protected, "c-1", reason="first")
        again = await erase(protected, "c-1", reason="second")
        assert again == first
        assert await protected.load(erasure_stream("c-1")) == [first]

    async def test_an_unknown_subject_is_refused_and_nothing_written(
        self, protected: StoreUnderTest
    ) -> None:
        with pytest.raises(UnknownSubjectError):
            await erase(protected, "nobody")
        assert await protected.read_all() == []

    async def test_an_erased_subject_gets_no_new_personal_data(
        self, protected: StoreUnderTest
    ) -> None:
        await protected.save("customer-1", [registered("c-1", "Ann")])
        await erase(protected, "c-1")
        with pytest.raises(SubjectErasedError):
            await protected.save("customer-1", [registered("c-1", "Ann again")])
        assert len(await protected.load("customer-1")) == 1

    async def test_redacted_events_can_be_copied(self, protected: StoreUnderTest) -> None:
        await protected.save("customer-1", [registered("c-1", "Ann")])
        await erase(protected, "c-1")
        (redacted,) = await protected.load("customer-1")
        await protected.save("archive", [redacted.__class__(**{**redacted.__dict__, "id": "copy"})])
        (copied,) = await protected.load("archive")
        assert copied.name is REDACTED and copied.plan == "basic"

    @pytest.mark.parametrize("subject", [None, ""])
    async def test_personal_data_needs_its_subject(
        self, protected: StoreUnderTest, subject: Any
    ) -> None:
        with pytest.raises(MissingSubjectError):
            await protected.save("customer-1", [registered(subject, "Ann")])
        assert await protected.load("customer-1") == []

    async def test_aggregates_rebuild_after_erasure(self, protected: StoreUnderTest) -> None:
        repository = AggregateRepository[CustomerAccount](protected.store, snapshot_every=2)
        account = CustomerAccount(aggregate_id="c-1")
        account.register("Ann")
        account.pay("c-2")  # a snapshot, sealed for c-1 and c-2
        await _save(repository, protected, account)
        snapshot = await protected.load_snapshot("c-1")
        assert snapshot is not None and snapshot.state["name"] == "Ann"
        await erase(protected, "c-1")
        loaded = await _load(repository, protected, "c-1")
        assert (loaded.name, loaded.plan, loaded.payments, loaded.version) == (
            REDACTED,
            "basic",
            1,
            2,
        )

    async def test_snapshots_of_an_erased_subject_are_not_read(
        self, protected: StoreUnderTest
    ) -> None:
        repository = AggregateRepository[CustomerAccount](protected.store, snapshot_every=1)
        account = CustomerAccount(aggregate_id="c-1")
        account.register("Ann")
        await _save(repository, protected, account)
        await erase(protected, "c-1")
        with pytest.raises(EventDecodingError, match="erased subject"):
            await protected.load_snapshot("c-1")

    async def test_a_projection_rebuilds_after_erasure(self, protected: StoreUnderTest) -> None:
        await protected.save("customer-1", [registered("c-1", "Ann")])
        await protected.save("customer-2", [registered("c-2", "Bob")])
        await erase(protected, "c-1")
        names: dict[str, str | None] = {}
        for recorded in await protected.read_all():
            event = recorded.event
            if isinstance(event, CustomerRegistered):
                names[event.customer_id] = None if is_redacted(event.name) else event.name
        assert names == {"c-1": None, "c-2": "Bob"}


async def _save(
    repository: AggregateRepository[CustomerAccount], store: StoreUnderTest, account: Any
) -> None:
    if isinstance(store, AsyncStoreUnderTest):
        await repository.save_async(account)
    else:
        repository.save(account)


async def _load(
    repository: AggregateRepository[CustomerAccount], store: StoreUnderTest, aggregate_id: str
) -> CustomerAccount:
    if isinstance(store, AsyncStoreUnderTest):
        return await repository.load_async(CustomerAccount, aggregate_id)
    return repository.load(CustomerAccount, aggregate_id)
