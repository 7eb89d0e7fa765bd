"""Aggregates and their repository (the public import path of both)."""

from orchestrix.core.eventsourcing.aggregate_root import AggregateRoot
from orchestrix.core.eventsourcing.repository import AggregateRepository

__all__ = ["AggregateRepository", "AggregateRoot"]
