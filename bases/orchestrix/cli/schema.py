"""What `db migrate` would do: a database's schema version and the migrations it lacks."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrix.cli.errors import CliError


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

    def require_known(self, where: str) -> None:
        """Refuse a database that a newer Orchestrix has migrated: this one cannot read it."""
        if self.current > self.latest:
            raise CliError(
                f"The {where} is at schema version {self.current}, newer than the "
                f"{self.latest} this Orchestrix knows: upgrade Orchestrix"
            )


__all__ = ["PendingMigration", "SchemaPlan"]
