"""The read model: each account's balance and history, and how each transfer ended.

Three SQL tables, written only by the `bank-ledger` projection (`projection.py`) and read by
anyone. Amounts are kept in whole cents (integers), exact in every database. The same SQL
runs on SQLite and PostgreSQL: statements use `$1`-style parameters, which become SQLite's
`:p1`. On a SQLite file or in PostgreSQL the tables sit beside the projection's checkpoint and
are written through its transaction, so each event changes them exactly once; `--store
memory` keeps them in an in-memory SQLite database.
"""

from __future__ import annotations

import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from orchestrix.infrastructure.postgres import ConnectionPool


_PARAMETER = re.compile(r"\$(\d+)")


def to_cents(amount: Decimal) -> int:
    return int(amount * 100)


def from_cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


@dataclass(frozen=True)
class AccountView:
    account_id: str
    owner: str
    balance: Decimal
    status: str


@dataclass(frozen=True)
class Entry:
    """One line of an account's history: `transfer to Bob  -70.00  80.25`."""

    kind: str  # opened, deposit, withdrawal, transfer out, transfer in, transfer returned
    amount: Decimal  # signed: what the line did to the balance
    balance: Decimal  # after it
    transfer_id: str | None
    counterparty: str | None  # the other account's owner, for a transfer

    @property
    def what(self) -> str:
        if self.kind == "transfer out":
            return f"transfer to {self.counterparty}"
        if self.kind == "transfer in":
            return f"transfer from {self.counterparty}"
        return self.kind


@dataclass(frozen=True)
class TransferView:
    transfer_id: str
    source: str
    destination: str
    amount: Decimal
    status: str  # requested, completed, failed
    reason: str | None


class Sql(Protocol):
    """One connection, whichever the database: what the ledger's statements need."""

    async def execute(self, statement: str, *values: object) -> None: ...

    async def fetch(self, statement: str, *values: object) -> list[tuple[Any, ...]]: ...


class SQLiteSql:
    """`$1`, `$2`, ... become SQLite's named parameters `:p1`, `:p2`, ..."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    async def execute(self, statement: str, *values: object) -> None:
        self.connection.execute(*_named(statement, values))

    async def fetch(self, statement: str, *values: object) -> list[tuple[Any, ...]]:
        return self.connection.execute(*_named(statement, values)).fetchall()


def _named(statement: str, values: tuple[object, ...]) -> tuple[str, dict[str, object]]:
    parameters = {f"p{number}": value for number, value in enumerate(values, start=1)}
    return _PARAMETER.sub(r":p\1", statement), parameters


class PostgreSQLSql:
    def __init__(self, connection: Any) -> None:  # an asyncpg connection
        self.connection = connection

    async def execute(self, statement: str, *values: object) -> None:
        await self.connection.execute(statement, *values)

    async def fetch(self, statement: str, *values: object) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await self.connection.fetch(statement, *values)]


class Tables:
    """The tables' names, under a prefix (`"schema".` on PostgreSQL), and their DDL."""

    def __init__(self, prefix: str = "") -> None:
        self.accounts = f"{prefix}bank_accounts"
        self.history = f"{prefix}bank_history"
        self.transfers = f"{prefix}bank_transfers"
        self.create = (
            f"CREATE TABLE IF NOT EXISTS {self.accounts} (account_id TEXT PRIMARY KEY, "
            "owner TEXT NOT NULL, balance_cents BIGINT NOT NULL, status TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.history} (position BIGINT PRIMARY KEY, "
            "account_id TEXT NOT NULL, kind TEXT NOT NULL, amount_cents BIGINT NOT NULL, "
            "balance_cents BIGINT NOT NULL, transfer_id TEXT, counterparty TEXT)",
            f"CREATE TABLE IF NOT EXISTS {self.transfers} (transfer_id TEXT PRIMARY KEY, "
            "source TEXT NOT NULL, destination TEXT NOT NULL, amount_cents BIGINT NOT NULL, "
            "status TEXT NOT NULL, reason TEXT)",
        )


class Ledger(ABC):
    """Queries over the tables; `writing(connection)` is what the projection writes through."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    @abstractmethod
    async def create(self) -> None:
        """Create the tables if they are missing."""

    @abstractmethod
    def writing(self, connection: Any) -> Sql:
        """Statements on `connection`, the projection's transaction (None: at least once)."""

    @abstractmethod
    def reading(self) -> AbstractAsyncContextManager[Sql]:
        """A connection to read committed rows with."""

    @abstractmethod
    async def close(self) -> None: ...

    async def reset(self, sql: Sql) -> None:
        """Empty the tables (before the projection rebuilds them)."""
        for table in (self.tables.accounts, self.tables.history, self.tables.transfers):
            await sql.execute(f"DELETE FROM {table}")

    async def account(self, account_id: str) -> AccountView | None:
        async with self.reading() as sql:
            rows = await sql.fetch(
                f"SELECT owner, balance_cents, status FROM {self.tables.accounts} "
                "WHERE account_id = $1",
                account_id,
            )
        if not rows:
            return None
        owner, balance, status = rows[0]
        return AccountView(account_id, owner, from_cents(balance), status)

    async def history(self, account_id: str) -> list[Entry]:
        async with self.reading() as sql:
            rows = await sql.fetch(
                "SELECT h.kind, h.amount_cents, h.balance_cents, h.transfer_id, other.owner "
                f"FROM {self.tables.history} h LEFT JOIN {self.tables.accounts} other "
                "ON other.account_id = h.counterparty WHERE h.account_id = $1 ORDER BY h.position",
                account_id,
            )
        return [
            Entry(kind, from_cents(amount), from_cents(balance), transfer_id, counterparty)
            for kind, amount, balance, transfer_id, counterparty in rows
        ]

    async def transfer(self, transfer_id: str) -> TransferView | None:
        async with self.reading() as sql:
            rows = await sql.fetch(
                "SELECT source, destination, amount_cents, status, reason "
                f"FROM {self.tables.transfers} WHERE transfer_id = $1",
                transfer_id,
            )
        if not rows:
            return None
        source, destination, amount, status, reason = rows[0]
        return TransferView(transfer_id, source, destination, from_cents(amount), status, reason)


class SQLiteLedger(Ledger):
    """The tables in the SQLite file at `path` (":memory:" for a database of its own), read
    through a connection of its own."""

    def __init__(self, path: str) -> None:
        super().__init__(Tables())
        self.path = path
        self.connection = sqlite3.connect(path, isolation_level=None, timeout=10)

    async def create(self) -> None:
        for statement in self.tables.create:
            self.connection.execute(statement)

    def writing(self, connection: sqlite3.Connection | None) -> Sql:
        """The projection's transaction when it has one, else (in memory) our own."""
        return SQLiteSql(self.connection if connection is None else connection)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Sql]:
        yield SQLiteSql(self.connection)

    async def close(self) -> None:
        self.connection.close()


class PostgreSQLLedger(Ledger):
    """The tables in `schema`, beside the event store's, read through its pool."""

    def __init__(self, pool: ConnectionPool, schema: str) -> None:
        super().__init__(Tables(f'"{schema}".'))
        self.pool = pool
        self.schema = schema

    async def create(self) -> None:
        """Create the tables once, however many processes start together."""
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                f"banking_demo:{self.schema}",
            )
            for statement in self.tables.create:
                await connection.execute(statement)

    def writing(self, connection: Any) -> Sql:
        return PostgreSQLSql(connection)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Sql]:
        async with self.pool.acquire() as connection:
            yield PostgreSQLSql(connection)

    async def close(self) -> None:
        """The pool belongs to the event store, which closes it."""
