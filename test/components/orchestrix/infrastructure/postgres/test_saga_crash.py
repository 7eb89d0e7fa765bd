"""Sagas and deadlines on PostgreSQL survive SIGKILL (see `crash_scenarios`)."""

from __future__ import annotations

import pytest

from test.components.orchestrix.core.execution.crash_scenarios import CrashScenarios
from test.components.orchestrix.infrastructure.postgres.conftest import SchemaFactory

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


class TestPostgreSQLSagaCrash(CrashScenarios):
    backend = "postgres"

    @pytest.fixture
    def target(self, postgres_dsn: str, new_schema: SchemaFactory) -> str:
        return f"{postgres_dsn}|{new_schema()}"
