"""Sagas and deadlines on a SQLite file survive SIGKILL (see `crash_scenarios`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from test.components.orchestrix.core.execution.crash_scenarios import CrashScenarios

pytestmark = pytest.mark.slow


class TestSQLiteSagaCrash(CrashScenarios):
    backend = "sqlite"

    @pytest.fixture
    def target(self, tmp_path: Path) -> str:
        return str(tmp_path / "app.db")
