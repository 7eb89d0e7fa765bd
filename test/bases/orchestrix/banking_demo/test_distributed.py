"""The distributed mode with real processes, a real broker and a real database: a command
worker, a projection worker and the api, each an OS process started the way the docs say."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import subprocess
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from orchestrix.banking_demo.distributed import Deployment
from orchestrix.banking_demo.stores import in_postgres
from test.bases.orchestrix.demo_docs import assert_page_shows_real_output
from test.conftest import delete_rabbitmq_names

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq, pytest.mark.slow]


@pytest.fixture
def deployment(postgres_dsn: str, postgres_schema: str, rabbitmq_url: str) -> Iterator[Deployment]:
    namespace = f"orxb{uuid.uuid4().hex[:10]}"
    yield Deployment(postgres_dsn, postgres_schema, rabbitmq_url, namespace)
    delete_rabbitmq_names(rabbitmq_url, f"{namespace}.")


def start(deployment: Deployment, role: str, log: Path) -> subprocess.Popen[str]:
    """Start `role` and wait for the line saying it serves."""
    process = subprocess.Popen(
        deployment.command_line(role), stdout=subprocess.PIPE, stderr=log.open("w"), text=True
    )
    assert process.stdout is not None
    said = process.stdout.readline()
    assert " ready: " in said, f"the {role} did not start: {said!r}, {log.read_text()}"
    return process


def assert_the_api_told_the_story(story: str) -> tuple[str, str, str]:
    """The api's story as it should end; returns the ids of Alice, Bob and Carol."""
    alice, bob, carol = re.findall(r"ACC-[0-9a-f]{8}-\d", story)[:3]
    completed, failed = sorted(set(re.findall(r"TR-[0-9a-f]{8}-\d", story)))
    lines = story.splitlines()
    for line in (
        f"  Alice  {alice}  balance 100.00",
        "  read model: Alice 150.25; Carol's account is closed",
        f"  {completed} completed",
        f"  {failed} failed (account {carol} is closed)",
        f"  Bob    {bob}  open     120.00",
        "      transfer returned      +25.00   120.00",
        f"  Carol  {carol}  closed     0.00",
        "  Every balance equals its account's own, rebuilt from its events: True",
    ):
        assert line in lines, f"missing {line!r} in:\n{story}"
    return alice, bob, carol


async def balances(deployment: Deployment, ids: tuple[str, ...]) -> list[Decimal]:
    async with in_postgres(deployment.dsn, deployment.schema) as stores:
        views = [await stores.ledger.account(account_id) for account_id in ids]
    return [view.balance for view in views if view is not None]


def test_worker_projector_and_api_as_three_processes(
    deployment: Deployment, tmp_path: Path
) -> None:
    started: list[subprocess.Popen[str]] = []
    try:
        for role in ("worker", "projector"):
            started.append(start(deployment, role, tmp_path / f"{role}.log"))
        api = subprocess.run(
            deployment.command_line("api"), capture_output=True, text=True, timeout=120, check=False
        )
        assert api.returncode == 0, api.stderr
        ids = assert_the_api_told_the_story(api.stdout)
        assert_page_shows_real_output("banking.md", api.stdout, run="distributed")
        for process in started:
            process.send_signal(signal.SIGTERM)
        for process, role in zip(started, ("worker", "projector"), strict=True):
            assert process.wait(timeout=60) == 0, (tmp_path / f"{role}.log").read_text()
    finally:
        for process in started:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
    # What the api read is what the projection worker left in PostgreSQL.
    amounts = ["80.25", "120.00", "0.00"]
    assert asyncio.run(balances(deployment, ids)) == [Decimal(a) for a in amounts]
    for role in ("worker", "projector"):
        assert "Traceback" not in (tmp_path / f"{role}.log").read_text()


def test_without_a_role_it_starts_all_three_and_stops_them(deployment: Deployment) -> None:
    finished = subprocess.run(
        deployment.command_line(), capture_output=True, text=True, timeout=180, check=False
    )
    assert finished.returncode == 0, finished.stderr
    assert_the_api_told_the_story(finished.stdout)
    assert "Traceback" not in finished.stderr


def test_a_standby_projector_takes_over_from_one_killed(
    deployment: Deployment, tmp_path: Path
) -> None:
    started: list[subprocess.Popen[str]] = []
    try:
        worker = start(deployment, "worker", tmp_path / "worker.log")
        first = start(deployment, "projector", tmp_path / "first.log")
        second = start(deployment, "projector", tmp_path / "second.log")  # stands by
        started += [worker, first, second]
        api = deployment.command_line("api")
        ran = subprocess.run(api, capture_output=True, text=True, timeout=120, check=False)
        assert ran.returncode == 0, ran.stderr
        first.kill()  # SIGKILL: its lock goes with its connection
        assert first.wait(timeout=30) == -signal.SIGKILL
        ran = subprocess.run(api, capture_output=True, text=True, timeout=120, check=False)
        assert ran.returncode == 0, ran.stderr
        assert_the_api_told_the_story(ran.stdout)
        for process in (worker, second):
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0
    finally:
        for process in started:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
