"""Sagas and deadlines across SIGKILL, in real OS processes; subclassed once per backend.

A subclass provides `backend` (`"sqlite"` or `"postgres"`) and a `target` fixture (the SQLite
file, or `DSN|SCHEMA`). Each scenario starts `crash_worker` children, kills one with SIGKILL
at a known point (or a random one), starts another to recover, and then counts the effects
the steps and commands wrote.
"""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import asyncpg

from orchestrix.core.execution.saga_state import SagaState, SagaStatus
from orchestrix.infrastructure.postgres.connection_pool import ConnectionPool, PoolConfig
from orchestrix.infrastructure.postgres.saga_state_store import PostgreSQLSagaStateStore
from orchestrix.infrastructure.sqlite.saga_state_store import SQLiteSagaStateStore

WORKER = "test.components.orchestrix.core.execution.crash_worker"
ROOT = Path(__file__).resolve().parents[5]


class CrashScenarios:
    backend: ClassVar[str]

    def start(self, target: str, *arguments: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", WORKER, self.backend, target, *arguments],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )

    def wait_for(self, child: subprocess.Popen[str], line: str, timeout: float = 60) -> None:
        assert child.stdout is not None
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            got = child.stdout.readline()
            if not got:
                break
            seen.append(got.strip())
            if got.strip() == line:
                return
        child.kill()
        raise AssertionError(f"child never printed {line!r}; it printed {seen}")

    def kill(self, child: subprocess.Popen[str]) -> None:
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
        assert child.stdout is not None
        child.stdout.close()

    def run(self, target: str, *arguments: str) -> list[str]:
        finished = subprocess.run(
            [sys.executable, "-m", WORKER, self.backend, target, *arguments],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert finished.returncode == 0, finished.stderr
        return finished.stdout.splitlines()

    def effects(self, target: str, saga_id: str) -> Counter[str]:
        rows = self.query(target, "SELECT name FROM {effects} WHERE saga_id = {saga}", saga_id)
        return Counter(name for (name,) in rows)

    def query(self, target: str, sql: str, *values: Any) -> list[tuple[Any, ...]]:
        if self.backend == "sqlite":
            connection = sqlite3.connect(target)
            try:
                rows = connection.execute(sql.format(effects="effects", saga="?"), values)
                return rows.fetchall()
            finally:
                connection.close()
        dsn, schema = target.split("|")

        async def fetch() -> list[tuple[Any, ...]]:
            connection = await asyncpg.connect(dsn)
            try:
                found = await connection.fetch(
                    sql.format(effects=f'"{schema}".effects', saga="$1"), *values
                )
            finally:
                await connection.close()
            return [tuple(row) for row in found]

        return asyncio.run(fetch())

    def states(self, target: str) -> dict[str, SagaState]:
        async def load() -> dict[str, SagaState]:
            if self.backend == "sqlite":
                store: Any = SQLiteSagaStateStore(target)
                pool = None
            else:
                dsn, schema = target.split("|")
                pool = ConnectionPool(dsn, PoolConfig(min_size=1, max_size=1))
                await pool.initialize()
                store = PostgreSQLSagaStateStore(pool, schema)
            try:
                found = await store.list_by_status(*SagaStatus)
            finally:
                await (store.close() if pool is None else pool.close())
            return {state.saga_id: state for state in found}

        return asyncio.run(load())

    def crash_in(self, target: str, policy: str, hang: str, fail: str = "") -> None:
        child = self.start(target, "transfer", policy, hang, fail)
        self.wait_for(child, f"in {hang}")
        self.kill(child)

    def test_a_saga_killed_in_a_step_resumes_and_completes(self, target: str) -> None:
        self.crash_in(target, "continue", "credit")
        assert self.states(target)["T-1"].status is SagaStatus.IN_PROGRESS
        assert self.effects(target, "T-1") == Counter(debit=1)

        assert self.run(target, "recover", "continue") == [
            "in credit",
            "in notify",
            "recovered T-1 completed",
        ]
        state = self.states(target)["T-1"]
        assert state.status is SagaStatus.COMPLETED
        assert state.step_results == {
            "debit": "debit done",
            "credit": "credit done",
            "notify": "notify done",
        }
        assert self.effects(target, "T-1") == Counter(debit=1, credit=1, notify=1)
        assert self.run(target, "recover", "continue") == []  # nothing left to resume

    def test_a_saga_killed_in_a_step_compensates_when_it_says_so(self, target: str) -> None:
        self.crash_in(target, "compensate", "credit")
        assert self.run(target, "recover", "compensate") == [
            "in undo debit",
            "recovered T-1 failed",
        ]
        state = self.states(target)["T-1"]
        assert state.error == "Step 'credit' was interrupted"
        assert self.effects(target, "T-1") == Counter({"debit": 1, "undo debit": 1})

    def test_a_saga_killed_while_compensating_finishes_compensating(self, target: str) -> None:
        self.crash_in(target, "continue", "undo credit", fail="notify")
        assert self.states(target)["T-1"].status is SagaStatus.COMPENSATING
        assert self.run(target, "recover", "continue")[-1] == "recovered T-1 failed"
        state = self.states(target)["T-1"]
        assert state.error == "notify refused"
        assert {name: step.status for name, step in state.step_statuses.items()} == {
            "debit": "compensated",
            "credit": "compensated",
            "notify": "failed",
        }
        assert self.effects(target, "T-1") == Counter(
            {"debit": 1, "credit": 1, "undo credit": 1, "undo debit": 1}
        )

    def test_sagas_killed_at_random_moments_all_complete_with_each_effect_once(
        self, target: str
    ) -> None:
        rng = random.Random(11)
        recovered = 0
        for round_number in range(3):
            child = self.start(target, "loop", f"L{round_number}")
            self.wait_for(child, "in debit")
            time.sleep(rng.uniform(0.05, 0.4))
            self.kill(child)
            recovered += int(self.run(target, "recover-loop")[-1].split()[-1])
        assert recovered > 0, "no kill landed inside a saga"
        states = self.states(target)
        assert len(states) > 3
        assert {state.status for state in states.values()} == {SagaStatus.COMPLETED}
        rows = self.query(target, "SELECT saga_id, name FROM {effects} WHERE saga_id <> {saga}", "")
        assert Counter(rows) == Counter(
            {(saga_id, name): 1 for saga_id in states for name in ("debit", "credit", "notify")}
        )

    def test_a_deadline_set_before_a_kill_fires_after_the_restart(self, target: str) -> None:
        child = self.start(target, "place")
        self.wait_for(child, "placed")
        self.wait_for(child, "in send C")  # C is saved with its command and deadline pending
        self.kill(child)
        assert self.run(target, "fire") == ["recovered 1", "fired A C"]
        orders = self.query(target, "SELECT saga_id, name FROM {effects} WHERE run = {saga}", 0)
        assert sorted(orders) == [
            ("A", "CancelOrder"),
            ("A", "ChargeCard"),
            ("B", "ChargeCard"),
            ("B", "ShipOrder"),
            ("C", "CancelOrder"),
            ("C", "ChargeCard"),
        ]
        # A second restart finds nothing left to do, and sends nothing again.
        assert self.run(target, "fire-again") == ["fired 0"]
        assert len(self.query(target, "SELECT * FROM {effects} WHERE run >= {saga}", 0)) == 6

    def test_a_message_redelivered_after_a_kill_issues_its_command_once(self, target: str) -> None:
        child = self.start(target, "deliver", "D", "hold")
        self.wait_for(child, "delivered D deadlines 1")
        self.kill(child)  # its broker or subscription delivers the message again
        assert self.run(target, "deliver", "D", "exit") == ["delivered D deadlines 1"]
        assert self.run(target, "deliver", "D", "exit") == ["delivered D deadlines 1"]
        assert self.effects(target, "D") == Counter(ChargeCard=1)
