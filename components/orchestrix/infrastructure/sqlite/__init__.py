"""The SQLite event store (stdlib `sqlite3`, WAL): the embedded, durable default.

`SQLiteEventStore` for sync code, `SQLiteAsyncEventStore` for async code; both read and write
the same file format, so a file written by one opens in the other. The saga, process and
deadline stores keep their tables in the same file or another; `SQLiteOutbox` and
`SQLiteInbox` keep the transactional outbox and a consumer's inbox in such a file.
`SQLiteCheckpointStore` keeps projection checkpoints beside a read model in a SQLite file
(exactly once), with a file lock per projection; `SQLiteLogHead` measures how far a projection
lags.
`SQLiteInbox` keep the transactional outbox and a consumer's inbox in such a file, and
`SQLiteKeyStore` the data keys of personal-data protection.
"""

from orchestrix.infrastructure.sqlite.async_store import SQLiteAsyncEventStore
from orchestrix.infrastructure.sqlite.checkpoint_store import SQLiteCheckpointStore
from orchestrix.infrastructure.sqlite.deadline_store import SQLiteDeadlineStore
from orchestrix.infrastructure.sqlite.inbox import SQLiteInbox
from orchestrix.infrastructure.sqlite.key_store import SQLiteKeyStore
from orchestrix.infrastructure.sqlite.log_head import SQLiteLogHead
from orchestrix.infrastructure.sqlite.outbox import SQLiteOutbox
from orchestrix.infrastructure.sqlite.process_store import SQLiteProcessStateStore
from orchestrix.infrastructure.sqlite.projection_lock import SQLiteProjectionLock
from orchestrix.infrastructure.sqlite.saga_state_store import SQLiteSagaStateStore
from orchestrix.infrastructure.sqlite.store import SQLiteEventStore

__all__ = [
    "SQLiteAsyncEventStore",
    "SQLiteCheckpointStore",
    "SQLiteDeadlineStore",
    "SQLiteEventStore",
    "SQLiteInbox",
    "SQLiteKeyStore",
    "SQLiteLogHead",
    "SQLiteOutbox",
    "SQLiteProcessStateStore",
    "SQLiteProjectionLock",
    "SQLiteSagaStateStore",
]
