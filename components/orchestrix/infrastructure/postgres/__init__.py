"""PostgreSQL implementations of the Orchestrix stores, on asyncpg.

The event store (`store`), the projection, saga, process and deadline stores, what projection
runners need (checkpoints beside the read model, advisory locks, LISTEN/NOTIFY wake-ups, the
log's head), the measured connection pool (`connection_pool`), the transactional outbox and the
inbox, and the schema migrations they share (`schema`). asyncpg is imported only inside this
package; without it, importing the package says how to install it.
The event store (`store`), the projection, saga, process and deadline stores, the measured
connection pool (`connection_pool`), the transactional outbox and the inbox, the key store of
personal-data protection, and the schema migrations they share (`schema`). asyncpg is imported
only inside this package; without it, importing the package says how to install it.
"""

try:
    import asyncpg  # noqa: F401
except ImportError as missing:  # pragma: no cover - only where asyncpg is not installed
    raise ImportError(
        "PostgreSQL support requires asyncpg. Install with: pip install 'orchestrix[postgres]'",
        name="asyncpg",
    ) from missing

from orchestrix.core.common.exceptions import StoreUnavailableError
from orchestrix.infrastructure.postgres._horizon import LogHoldback
from orchestrix.infrastructure.postgres.checkpoint_store import PostgreSQLCheckpointStore
from orchestrix.infrastructure.postgres.connection_pool import (
    ConnectionPool,
    PoolConfig,
    PoolMetrics,
    PoolNotInitializedError,
)
from orchestrix.infrastructure.postgres.deadline_store import PostgreSQLDeadlineStore
from orchestrix.infrastructure.postgres.inbox import PostgreSQLInbox
from orchestrix.infrastructure.postgres.json_encoder import OrchestrixJSONEncoder
from orchestrix.infrastructure.postgres.key_store import PostgreSQLKeyStore
from orchestrix.infrastructure.postgres.log_head import PostgreSQLLogHead
from orchestrix.infrastructure.postgres.outbox import PostgreSQLOutbox
from orchestrix.infrastructure.postgres.process_store import PostgreSQLProcessStateStore
from orchestrix.infrastructure.postgres.projection_lock import PostgreSQLProjectionLock
from orchestrix.infrastructure.postgres.projection_state_store import (
    PostgreSQLProjectionStateStore,
)
from orchestrix.infrastructure.postgres.saga_state_store import PostgreSQLSagaStateStore
from orchestrix.infrastructure.postgres.schema import migrate, migrate_database
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore
from orchestrix.infrastructure.postgres.wake_up import PostgreSQLWakeUp

__all__ = [
    "ConnectionPool",
    "LogHoldback",
    "OrchestrixJSONEncoder",
    "PoolConfig",
    "PoolMetrics",
    "PoolNotInitializedError",
    "PostgreSQLCheckpointStore",
    "PostgreSQLDeadlineStore",
    "PostgreSQLEventStore",
    "PostgreSQLInbox",
    "PostgreSQLKeyStore",
    "PostgreSQLLogHead",
    "PostgreSQLOutbox",
    "PostgreSQLProcessStateStore",
    "PostgreSQLProjectionLock",
    "PostgreSQLProjectionStateStore",
    "PostgreSQLSagaStateStore",
    "PostgreSQLWakeUp",
    "StoreUnavailableError",
    "migrate",
    "migrate_database",
]
