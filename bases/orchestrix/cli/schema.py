"""What `db migrate` would do: a database's schema version and the migrations it lacks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PendingMigration:
    """One migration a database lacks, as the SQL that migrating would run."""

    version: int
    name: str
    sql: str


@dataclass(frozen=True, slots=True)
class SchemaPlan:
    """A database's schema version and the migrations that would bring it up to date."""

    current: int
    latest: int
    pending: tuple[PendingMigration, ...]

    @property
    def up_to_date(self) -> bool:
        return self.current == self.latest


__all__ = ["PendingMigration", "SchemaPlan"]
