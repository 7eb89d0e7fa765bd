"""Which event store a command works on: `--store`, `--dsn`, `--schema` or their variables.

`--dsn` is a SQLite file path or a `postgresql://` connection string; `--store` may be left
out, since the DSN says which backend it is. Without either, the embedded default applies: the
SQLite file `orchestrix.sqlite3` in the current folder. The same settings come from
`ORCHESTRIX_STORE`, `ORCHESTRIX_DSN` and `ORCHESTRIX_SCHEMA`, so a shell can set them once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import click

from orchestrix.cli.errors import CliError

type Backend = Literal["sqlite", "postgres"]

DEFAULT_SQLITE_FILE = "orchestrix.sqlite3"
DEFAULT_SCHEMA = "orchestrix"
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True, slots=True)
class StoreChoice:
    """A store as the user named it: the backend, where it is, and (PostgreSQL) its schema."""

    backend: Backend
    dsn: str
    schema: str = DEFAULT_SCHEMA

    def describe(self) -> str:
        """Where the store is, for messages; a PostgreSQL password never appears."""
        if self.backend == "sqlite":
            return f"SQLite file {self.dsn!r}"
        parts = urlsplit(self.dsn)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if _has_port(self.dsn) else ""
        return f"PostgreSQL schema {self.schema!r} on {host}{port}{parts.path or '/'}"


def _has_port(dsn: str) -> bool:
    try:
        return urlsplit(dsn).port is not None
    except ValueError:  # a malformed port: connecting will report it
        return False


def choose_store(backend: str | None, dsn: str | None, schema: str) -> StoreChoice:
    """The store named by the options, checked for contradictions."""
    is_postgres_dsn = dsn is not None and dsn.startswith(_POSTGRES_SCHEMES)
    if backend is None:
        backend = "postgres" if is_postgres_dsn else "sqlite"
    if backend == "postgres":
        if dsn is None:
            raise CliError(
                "PostgreSQL needs a DSN: pass --dsn postgresql://... or set ORCHESTRIX_DSN"
            )
        if not is_postgres_dsn:
            raise CliError(
                f"A PostgreSQL DSN starts with postgresql:// or postgres://, not {dsn!r}"
            )
        if not schema:
            raise CliError("The PostgreSQL schema name must not be empty")
        return StoreChoice("postgres", dsn, schema)
    if is_postgres_dsn:
        raise CliError("--store sqlite takes a file path, but --dsn is a PostgreSQL DSN")
    return StoreChoice("sqlite", dsn or DEFAULT_SQLITE_FILE)


def store_options[R](command: Callable[..., R]) -> Callable[..., R]:
    """Add `--store`, `--dsn` and `--schema` to a command, which receives `store: StoreChoice`."""

    @click.option(
        "--schema",
        envvar="ORCHESTRIX_SCHEMA",
        show_envvar=True,
        default=DEFAULT_SCHEMA,
        show_default=True,
        help="PostgreSQL schema holding the tables.",
    )
    @click.option(
        "--dsn",
        envvar="ORCHESTRIX_DSN",
        show_envvar=True,
        help=f"SQLite file or postgresql:// DSN  [default: {DEFAULT_SQLITE_FILE}]",
    )
    @click.option(
        "--store",
        "backend",
        type=click.Choice(["sqlite", "postgres"]),
        envvar="ORCHESTRIX_STORE",
        show_envvar=True,
        help="Backend; guessed from --dsn when left out.",
    )
    @functools.wraps(command)
    def with_store(backend: str | None, dsn: str | None, schema: str, **options: Any) -> R:
        return command(store=choose_store(backend, dsn, schema), **options)

    return with_store


__all__ = [
    "DEFAULT_SCHEMA",
    "DEFAULT_SQLITE_FILE",
    "Backend",
    "StoreChoice",
    "choose_store",
    "store_options",
]
