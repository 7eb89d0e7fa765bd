"""PostgreSQL implementations of the Orchestrix stores, on asyncpg.

The event store (`store`), the projection and saga state stores, the measured connection pool
(`connection_pool`) and the schema migrations they share (`schema`). asyncpg is imported only
inside this package.
"""

from orchestrix.core.common.exceptions import StoreUnavailableError
from orchestrix.infrastructure.postgres._horizon import LogHoldback
from orchestrix.infrastructure.postgres.connection_pool import (
    ConnectionPool,
    PoolConfig,
    PoolMetrics,
    PoolNotInitializedError,
)
from orchestrix.infrastructure.postgres.projection_state_store import (
    PostgreSQLProjectionStateStore,
)
from orchestrix.infrastructure.postgres.saga_state_store import PostgreSQLSagaStateStore
from orchestrix.infrastructure.postgres.schema import migrate, migrate_database
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore

__all__ = [
    "ConnectionPool",
    "LogHoldback",
    "PoolConfig",
    "PoolMetrics",
    "PoolNotInitializedError",
    "PostgreSQLEventStore",
    "PostgreSQLProjectionStateStore",
    "PostgreSQLSagaStateStore",
    "StoreUnavailableError",
    "migrate",
    "migrate_database",
]
