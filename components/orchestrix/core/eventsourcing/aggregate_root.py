"""Aggregate roots: state rebuilt from events, with changes recorded as new events.

An event of type `OrderCreated` is applied by the aggregate's `_when_order_created` method.
Two spellings of a type name are tried, in order: the first release's (`_to_snake_case`: an
underscore before every capital, so `XMLParser` routes to `_when_x_m_l_parser`), then the
word-based one (`snake_case`: `_when_xml_parser`, and `billing.InvoiceSent` to
`_when_billing_invoice_sent`). The lookup is done once per aggregate class and event type,
then cached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from orchestrix.core.common.naming import snake_case
from orchestrix.core.messaging.message import Event

type _Applier = Callable[[Any, Event], None]

_routes: dict[type, dict[str, _Applier | None]] = {}


def _applier(aggregate: AggregateRoot, event_type: str) -> _Applier | None:
    aggregate_type = type(aggregate)
    routes = _routes.setdefault(aggregate_type, {})
    if event_type not in routes:
        names = (aggregate._to_snake_case(event_type), snake_case(event_type))
        routes[event_type] = next(
            (
                method
                for name in names
                if (method := getattr(aggregate_type, f"_when_{name}", None)) is not None
            ),
            None,
        )
    return routes[event_type]


@dataclass
class AggregateRoot:
    """Base of event-sourced aggregates.

    `version` counts every event applied (loaded or new), so it equals the stream version once
    saved; `uncommitted_events` holds the new ones until the repository stores them. Bump
    `snapshot_schema_version` when the aggregate's fields change shape: older snapshots are
    then ignored and the aggregate is rebuilt from its events.
    """

    snapshot_schema_version: ClassVar[int] = 1

    aggregate_id: str = ""
    version: int = 0
    uncommitted_events: list[Event] = field(default_factory=list, init=False, repr=False)

    def _apply_event(self, event: Event) -> None:
        """Apply a new event to the state and record it for saving."""
        self._when(event)
        self.uncommitted_events.append(event)
        self.version += 1

    def _when(self, event: Event) -> None:
        """Route `event` to `_when_<snake_case_of_type>`; no such method leaves state as is."""
        apply = _applier(self, event.type)
        if apply is not None:
            apply(self, event)

    @staticmethod
    def _to_snake_case(name: str) -> str:
        """The first release's rule: lower-case, with `_` before every capital but the first
        (`AccountOpened` → `account_opened`, `XMLParser` → `x_m_l_parser`)."""
        return "".join(
            f"_{char.lower()}" if char.isupper() and index else char.lower()
            for index, char in enumerate(name)
        )

    def mark_events_committed(self) -> None:
        """Forget the recorded events once they are stored."""
        self.uncommitted_events = []

    def _replay_events(self, events: Iterable[Event]) -> None:
        """Rebuild state from stored events, without recording them."""
        routes = _routes.setdefault(type(self), {})
        count = 0
        for event in events:
            apply = routes[event.type] if event.type in routes else _applier(self, event.type)
            if apply is not None:
                apply(self, event)
            count += 1
        self.version += count


__all__ = ["AggregateRoot", "snake_case"]
