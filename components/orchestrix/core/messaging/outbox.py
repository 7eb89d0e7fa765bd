"""The transactional outbox port: events saved by a store, waiting to be published.

A store with an outbox records every saved event as an outbox entry in the same transaction
as the event itself, so an event is published if and only if it was saved. A relay claims
pending entries, publishes them and marks them sent (see `outbox_relay`). Claims keep each
stream in order across relays: a batch holds a stream's entries only from its oldest pending
one on, without gaps, so no relay can publish version 3 of a stream while another still holds
version 2 (the mistake gruelbox's outbox made, issue #198).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import NamedTuple, Protocol

from orchestrix.core.messaging.message import Event


class OutboxEntry(NamedTuple):
    """A saved event waiting to be published, with its global position and stream version."""

    position: int
    aggregate_id: str
    version: int
    event: Event


class OutboxBatch(Protocol):
    """Entries claimed by one relay until its `claim` block ends."""

    @property
    def entries(self) -> Sequence[OutboxEntry]:
        """The claimed entries, oldest first."""
        ...

    async def mark_sent(self, entries: Sequence[OutboxEntry]) -> None:
        """Record these entries as published; the others return to pending when the block
        ends."""
        ...


class Outbox(Protocol):
    """Pending events of a store, claimed in batches by relays."""

    def claim(self, limit: int) -> AbstractAsyncContextManager[OutboxBatch]:
        """Up to `limit` pending entries no other relay holds, oldest first, each stream from
        its oldest pending entry on and without gaps."""
        ...

    async def pending_count(self) -> int:
        """How many entries wait to be published."""
        ...

    async def prune(self, sent_before: datetime) -> int:
        """Delete the entries published before `sent_before`; returns how many."""
        ...


def in_stream_order(
    candidates: Sequence[OutboxEntry], oldest_pending: Mapping[str, int]
) -> list[OutboxEntry]:
    """The candidates a relay may publish now: per stream, the run of consecutive versions
    that starts at the stream's oldest pending version (another relay holds it otherwise).

    `candidates` are the pending entries a relay could claim, in position order;
    `oldest_pending` maps each of their streams to its oldest pending version, claimed or not.
    """
    next_version: dict[str, int] = {}
    kept: list[OutboxEntry] = []
    for entry in candidates:
        stream = entry.aggregate_id
        if entry.version == next_version.get(stream, oldest_pending.get(stream)):
            next_version[stream] = entry.version + 1
            kept.append(entry)
    return kept


__all__ = ["Outbox", "OutboxBatch", "OutboxEntry", "in_stream_order"]
