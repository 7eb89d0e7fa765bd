"""PostgreSQL implementations of the Orchestrix stores, on asyncpg.

The event store (`store`), the projection, saga, process and deadline stores, the measured
connection pool (`connection_pool`), the transactional outbox and the inbox, and the schema
migrations they share (`schema`). asyncpg is imported only inside this package.
"""

from orchestrix.core.common.exceptions import StoreUnavailableError
from orchestrix.infrastructure.postgres.connection_pool import (
    ConnectionPool,
    PoolConfig,
    PoolMetrics,
)
from orchestrix.infrastructure.postgres.deadline_store import PostgreSQLDeadlineStore
from orchestrix.infrastructure.postgres.inbox import PostgreSQLInbox
from orchestrix.infrastructure.postgres.outbox import PostgreSQLOutbox
from orchestrix.infrastructure.postgres.process_store import PostgreSQLProcessStateStore
from orchestrix.infrastructure.postgres.projection_state_store import (
    PostgreSQLProjectionStateStore,
)
from orchestrix.infrastructure.postgres.saga_state_store import PostgreSQLSagaStateStore
from orchestrix.infrastructure.postgres.schema import migrate
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore

__all__ = [
    "ConnectionPool",
    "PoolConfig",
    "PoolMetrics",
    "PostgreSQLDeadlineStore",
    "PostgreSQLEventStore",
    "PostgreSQLInbox",
    "PostgreSQLOutbox",
    "PostgreSQLProcessStateStore",
    "PostgreSQLProjectionStateStore",
    "PostgreSQLSagaStateStore",
    "StoreUnavailableError",
    "migrate",
]
