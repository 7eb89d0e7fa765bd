"""Two consumer OS processes: commands are shared (each handled once), events fan out (each
handler sees each event once, whichever process runs it)."""

from __future__ import annotations

import asyncio
import collections
import signal
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from orchestrix.core.messaging.topics import TopicNaming
from test.components.orchestrix.infrastructure.rabbitmq.conftest import BusOpener
from test.components.orchestrix.infrastructure.rabbitmq.messages import (
    DepositMoney,
    MoneyDeposited,
)
from test.components.orchestrix.infrastructure.rabbitmq.waiting import start_ready, wait_until

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]

WORKER = "test.components.orchestrix.infrastructure.rabbitmq._worker"


def start_worker(url: str, namespace: str, log: Path) -> subprocess.Popen[str]:
    return start_ready(WORKER, url, namespace, str(log))


def lines(*logs: Path) -> list[tuple[str, str]]:
    found = []
    for log in logs:
        if log.exists():
            found += [tuple(line.split()) for line in log.read_text().splitlines() if line]
    return found  # type: ignore[return-value]


async def test_two_processes_share_commands_and_each_handler_sees_every_event(
    open_bus: BusOpener, rabbitmq_url: str, namespace: str, tmp_path: Path
) -> None:
    logs = [tmp_path / "worker-0.log", tmp_path / "worker-1.log"]
    workers = [start_worker(rabbitmq_url, namespace, log) for log in logs]
    try:
        bus = await open_bus(
            topic_naming=TopicNaming(app_prefix="test.components.orchestrix.infrastructure")
        )
        commands = [DepositMoney(account_id="A", amount=Decimal(n)) for n in range(200)]
        events = [MoneyDeposited(account_id="A", amount=Decimal(n)) for n in range(100)]
        await asyncio.gather(*map(bus.publish, commands), *map(bus.publish, events))
        expected = len(commands) + 2 * len(events)
        await wait_until(lambda: len(lines(*logs)) >= expected, 60, "every delivery")
        await asyncio.sleep(0.5)  # a duplicate would show up now
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            assert worker.wait(30) == 0
    handled = collections.Counter(lines(*logs))
    assert all(count == 1 for count in handled.values()), handled.most_common(3)
    assert {m for kind, m in handled if kind == "command"} == {c.id for c in commands}
    for handler in ("ledger", "audit"):
        assert {m for kind, m in handled if kind == handler} == {e.id for e in events}
    per_worker = [sum(1 for kind, _ in lines(log) if kind == "command") for log in logs]
    assert all(per_worker), f"competing consumers should both work: {per_worker}"
