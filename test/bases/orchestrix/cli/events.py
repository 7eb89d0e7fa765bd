"""Events the command line tests store and read back."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orchestrix.core.messaging.message import Event


@dataclass(frozen=True, kw_only=True)
class ParcelBooked(Event, type_name="cli_test.ParcelBooked"):
    parcel_id: str
    weight: Decimal


@dataclass(frozen=True, kw_only=True)
class ParcelShipped(Event, type_name="cli_test.ParcelShipped"):
    parcel_id: str


def parcel_history(parcel_id: str) -> list[Event]:
    return [
        ParcelBooked(parcel_id=parcel_id, weight=Decimal("1.25")),
        ParcelShipped(parcel_id=parcel_id),
    ]
