"""The SQLite event store (stdlib `sqlite3`, WAL): the embedded, durable default.

`SQLiteEventStore` for sync code, `SQLiteAsyncEventStore` for async code; both read and write
the same file format, so a file written by one opens in the other. `SQLiteSagaStateStore`
keeps saga states, in the same file or another.
"""

from orchestrix.infrastructure.sqlite.async_store import SQLiteAsyncEventStore
from orchestrix.infrastructure.sqlite.saga_state_store import SQLiteSagaStateStore
from orchestrix.infrastructure.sqlite.store import SQLiteEventStore

__all__ = ["SQLiteAsyncEventStore", "SQLiteEventStore", "SQLiteSagaStateStore"]
