"""Shared fixtures and the rule for tests that need a real service.

A test that needs a service (PostgreSQL, RabbitMQ, ...) calls `require_service`: on a machine
without the service it is skipped with the reason, but in CI (`CI=true`) it fails, because a
skipped integration test there would hide a broken build.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
from urllib.parse import urlsplit

import aio_pika
import pytest

DEFAULT_POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(name: str, host: str, port: int) -> None:
    """Skip (or, in CI, fail) the calling test unless `host:port` accepts connections."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError as error:
        reason = f"{name} is not reachable at {host}:{port} ({error})"
    if running_in_ci():
        pytest.fail(f"{reason}; integration tests must not skip in CI", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def postgres_dsn() -> str:
    """The test server's DSN (`ORCHESTRIX_TEST_POSTGRES_DSN`, default: the local server)."""
    dsn = os.environ.get("ORCHESTRIX_TEST_POSTGRES_DSN", DEFAULT_POSTGRES_DSN)
    parts = urlsplit(dsn)
    require_service("PostgreSQL", parts.hostname or "127.0.0.1", parts.port or 5432)
    return dsn


def rabbitmq_test_url() -> str:
    """The test broker's URL (`ORCHESTRIX_TEST_RABBITMQ_URL`, default: the local broker)."""
    return os.environ.get("ORCHESTRIX_TEST_RABBITMQ_URL", DEFAULT_RABBITMQ_URL)


@pytest.fixture
def rabbitmq_url() -> str:
    """The test broker's URL; skips (fails in CI) when the broker is unreachable."""
    url = rabbitmq_test_url()
    parts = urlsplit(url)
    require_service("RabbitMQ", parts.hostname or "127.0.0.1", parts.port or 5672)
    return url


def delete_rabbitmq_names(url: str, prefix: str) -> None:
    """Delete every queue and exchange on the broker at `url` whose name starts with `prefix`
    (listed with `rabbitmqctl`): what a test, or a test run, declared in its namespace."""
    queues, exchanges = _rabbitmq_names("queues", prefix), _rabbitmq_names("exchanges", prefix)
    if queues or exchanges:
        asyncio.run(_delete_rabbitmq_names(url, queues, exchanges))


def _rabbitmq_names(kind: str, prefix: str) -> list[str]:
    listed = subprocess.run(
        ["rabbitmqctl", "-q", f"list_{kind}", "name"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return [line for line in listed.stdout.split() if line.startswith(prefix)]


async def _delete_rabbitmq_names(url: str, queues: list[str], exchanges: list[str]) -> None:
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        for queue in queues:
            await channel.queue_delete(queue)
        for exchange in exchanges:
            await channel.exchange_delete(exchange)
    finally:
        await connection.close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: it would hide an integration that did not run."""
    if not running_in_ci() or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped:
        reporter.write_line(
            f"CI: {len(skipped)} test(s) skipped; skips are failures in CI", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
