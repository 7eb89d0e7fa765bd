"""Without the PostgreSQL driver the SQLite commands still work, and PostgreSQL ones say what
to install: the `cli` extra does not pull in the `postgres` one, nor the `rabbitmq` one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BLOCK_DRIVERS = """
import sys
for driver in ("asyncpg", "aio_pika"):
    sys.modules[driver] = None  # as if the driver were not installed
from orchestrix.cli.app import cli
cli(sys.argv[1:], prog_name="orchestrix")
"""


def orchestrix_without_drivers(*arguments: str) -> subprocess.CompletedProcess[str]:
    """The command line where neither the PostgreSQL nor the RabbitMQ driver is installed."""
    return subprocess.run(
        [sys.executable, "-c", BLOCK_DRIVERS, *arguments],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )


def test_sqlite_needs_no_driver(tmp_path: Path) -> None:
    database = str(tmp_path / "events.sqlite3")
    migrated = orchestrix_without_drivers("db", "migrate", "--dsn", database)
    assert migrated.returncode == 0, migrated.stderr
    tailed = orchestrix_without_drivers("events", "tail", "--no-follow", "--dsn", database)
    assert tailed.returncode == 0, tailed.stderr
    for group in ("projection", "saga", "dlq"):
        listed = orchestrix_without_drivers(group, "list", "--dsn", database)
        assert listed.returncode == 0, listed.stderr


def test_postgres_names_the_extra() -> None:
    result = orchestrix_without_drivers("db", "migrate", "--dsn", "postgresql://localhost/db")
    assert result.returncode == 1
    assert result.stderr == (
        "Error: PostgreSQL needs the 'postgres' extra (asyncpg is missing): "
        "pip install 'orchestrix[cli,postgres]'\n"
    )


def test_rabbitmq_names_the_extra() -> None:
    result = orchestrix_without_drivers("dlq", "list", "--amqp-url", "amqp://localhost/")
    assert result.returncode == 1
    assert result.stderr == (
        "Error: RabbitMQ needs the 'rabbitmq' extra (aio-pika is missing): "
        "pip install 'orchestrix[cli,rabbitmq]'\n"
    )
