"""PostgreSQL implementations of the Orchestrix stores, on asyncpg.

The event store (`store`), the projection and saga state stores, what projection runners need
(checkpoints beside the read model, advisory locks, LISTEN/NOTIFY wake-ups, the log's head),
the measured connection pool (`connection_pool`) and the schema migrations they share
(`schema`). asyncpg is imported only inside this package.
"""

from orchestrix.core.common.exceptions import StoreUnavailableError
from orchestrix.infrastructure.postgres.checkpoint_store import PostgreSQLCheckpointStore
from orchestrix.infrastructure.postgres.connection_pool import (
    ConnectionPool,
    PoolConfig,
    PoolMetrics,
)
from orchestrix.infrastructure.postgres.log_head import PostgreSQLLogHead
from orchestrix.infrastructure.postgres.projection_lock import PostgreSQLProjectionLock
from orchestrix.infrastructure.postgres.projection_state_store import (
    PostgreSQLProjectionStateStore,
)
from orchestrix.infrastructure.postgres.saga_state_store import PostgreSQLSagaStateStore
from orchestrix.infrastructure.postgres.schema import migrate
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore
from orchestrix.infrastructure.postgres.wake_up import PostgreSQLWakeUp

__all__ = [
    "ConnectionPool",
    "PoolConfig",
    "PoolMetrics",
    "PostgreSQLCheckpointStore",
    "PostgreSQLEventStore",
    "PostgreSQLLogHead",
    "PostgreSQLProjectionLock",
    "PostgreSQLProjectionStateStore",
    "PostgreSQLSagaStateStore",
    "PostgreSQLWakeUp",
    "StoreUnavailableError",
    "migrate",
]
