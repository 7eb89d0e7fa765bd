"""A database moved to another server (pg_dump, pg_restore) keeps its whole log, in order.

The log orders events by transaction id. Restored on a server whose transaction counter is
behind the stored ids, the old store showed none of the restored events until the new
server's counter passed them, sorted new events before old ones, and a projection resuming
from its checkpoint never saw them. The test starts a second PostgreSQL cluster of its own
(`initdb` + `pg_ctl`, as the `postgres` user when run as root) on a free port.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from orchestrix.core.eventsourcing.event_log import START, Checkpoint, RecordedEvent
from orchestrix.core.messaging.message import Event
from orchestrix.infrastructure.postgres.schema import migrate, migrate_database
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore
from test.components.orchestrix.infrastructure.postgres.conftest import StoreOpener
from test.conftest import running_in_ci

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PACKAGED_SERVERS = Path("/usr/lib/postgresql")  # Debian's layout: <version>/bin/initdb


@dataclass(frozen=True, kw_only=True)
class PgMoved(Event):
    n: int


def unavailable(reason: str) -> None:
    if running_in_ci():
        pytest.fail(f"{reason}; this test must not skip in CI", pytrace=False)
    pytest.skip(reason)


def server_tool(name: str) -> str:
    """`name` from PATH, else from the newest server package installed."""
    found = shutil.which(name)
    if found is not None:
        return found
    versions = sorted(PACKAGED_SERVERS.glob("*/bin"), key=_version, reverse=True)
    for bin_dir in versions:
        if (bin_dir / name).exists():
            return str(bin_dir / name)
    unavailable(f"{name} (from the PostgreSQL server package) is not installed")
    raise AssertionError("not reached")


def _version(bin_dir: Path) -> list[int]:
    return [int(part) for part in bin_dir.parent.name.split(".") if part.isdigit()]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def second_server() -> Iterator[str]:
    """A throw-away PostgreSQL cluster on a free port; its DSN. Stopped and removed after."""
    initdb, pg_ctl = server_tool("initdb"), server_tool("pg_ctl")
    as_owner: list[str] = []
    if os.geteuid() == 0:  # initdb and the server refuse to run as root
        runuser = shutil.which("runuser")
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            owner = None
        if runuser is None or owner is None:
            unavailable("running as root needs runuser and a postgres user to start a server")
        assert owner is not None and runuser is not None
        as_owner = [runuser, "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="orchestrix-pg-"))
    if as_owner:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data, port = root / "data", free_port()
    run = [*as_owner, pg_ctl, "-D", str(data)]
    try:
        subprocess.run(
            [*as_owner, initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"],
            check=True,
            capture_output=True,
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [*run, "-l", str(root / "log"), "-o", options, "-w", "-t", "60", "start"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*run, "-m", "immediate", "-w", "stop"], check=False)
        shutil.rmtree(root, ignore_errors=True)


def copy_schema(source_dsn: str, target_dsn: str, schema: str, dump: Path) -> None:
    """pg_dump the schema from one server and pg_restore it into the other."""
    subprocess.run(
        [server_tool("pg_dump"), "-Fc", "-n", schema, "-f", str(dump), source_dsn],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [server_tool("pg_restore"), "--no-owner", "-d", target_dsn, str(dump)],
        check=True,
        capture_output=True,
    )


async def log_of(store: PostgreSQLEventStore, after: Checkpoint = START) -> list[RecordedEvent]:
    return [recorded async for recorded in store.read_all(after)]


async def counter_of(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        xmax: int = await connection.fetchval(
            "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
        )
        return xmax
    finally:
        await connection.close()


async def push_counter_past(dsn: str, xid: int) -> None:
    """Spend transaction ids on a server until its counter passes `xid`."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            f"""DO $$ BEGIN
                WHILE pg_current_xact_id()::text::bigint < {xid} LOOP COMMIT; END LOOP;
            END $$"""
        )
    finally:
        await connection.close()


@pytest.fixture
async def written(
    open_store: StoreOpener, postgres_dsn: str, second_server: str
) -> AsyncIterator[tuple[PostgreSQLEventStore, list[RecordedEvent]]]:
    """A store on the main server with seven events whose ids are ahead of the second
    server's counter (as they would be after months of use)."""
    await push_counter_past(postgres_dsn, await counter_of(second_server) + 2000)
    store = await open_store()
    for stream, count in (("a", 3), ("b", 2), ("a", 2)):
        await store.save(stream, [PgMoved(n=i) for i in range(count)])
    yield store, await log_of(store)


async def test_a_restored_database_keeps_its_log_readable_and_in_order(
    written: tuple[PostgreSQLEventStore, list[RecordedEvent]],
    postgres_dsn: str,
    second_server: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    source, log = written
    assert len(log) == 7
    copy_schema(postgres_dsn, second_server, source.schema, tmp_path / "dump")
    # The condition that hid the events: stored ids beyond what the new server handed out.
    assert log[-1].tx_id >= await counter_of(second_server)

    moved = PostgreSQLEventStore(second_server, 1, 2, schema=source.schema)
    with caplog.at_level(logging.WARNING):
        await moved.initialize()
    try:
        assert "another PostgreSQL server" in caplog.text
        assert await log_of(moved) == log  # same events, ids, positions: same checkpoints
        assert await log_of(moved, log[3].checkpoint) == log[4:]
        assert await log_of(moved, log[-1].checkpoint) == []

        checkpoint = await moved.save("a", [PgMoved(n=99)], expected_version=5)
        assert checkpoint is not None and checkpoint > log[-1].checkpoint
        (new,) = await log_of(moved, log[-1].checkpoint)  # a projection resuming sees it
        assert (new.event.n, new.checkpoint) == (99, checkpoint)  # type: ignore[attr-defined]
        assert await log_of(moved) == [*log, new]
        assert [e.n for e in await moved.load("a")] == [0, 1, 2, 0, 1, 99]  # type: ignore[attr-defined]

        caplog.clear()
        again = PostgreSQLEventStore(second_server, 1, 1, schema=source.schema)
        await again.initialize()  # nothing left to repair
        await again.close()
        assert "another PostgreSQL server" not in caplog.text
    finally:
        await moved.close()


async def test_db_migrate_repairs_a_restored_database(
    written: tuple[PostgreSQLEventStore, list[RecordedEvent]],
    postgres_dsn: str,
    second_server: str,
    tmp_path: Path,
) -> None:
    source, log = written
    database = f"moved_{source.schema}"
    admin = await asyncpg.connect(second_server)
    try:
        await admin.execute(f'CREATE DATABASE "{database}"')
        target = second_server.rsplit("/", 1)[0] + f"/{database}"
        copy_schema(postgres_dsn, target, source.schema, tmp_path / "dump")

        assert await migrate_database(target, source.schema) == []  # nothing to apply...
        connection = await asyncpg.connect(target)
        try:
            offset = await connection.fetchval(f'SELECT tx_offset FROM "{source.schema}".log_clock')
            assert offset > 0  # ...but the clock was set
            assert await migrate(connection, source.schema) == []
            assert (
                await connection.fetchval(f'SELECT tx_offset FROM "{source.schema}".log_clock')
                == offset
            )
        finally:
            await connection.close()
        async with PostgreSQLEventStore(target, 1, 1, schema=source.schema) as moved:
            assert await log_of(moved) == log
            await moved.save("b", [PgMoved(n=7)], expected_version=2)
            assert [r.event.n for r in await log_of(moved, log[-1].checkpoint)] == [7]  # type: ignore[attr-defined]
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


async def test_ids_ahead_of_the_counter_are_repaired_on_the_same_server(
    open_store: StoreOpener, postgres_dsn: str, raw: asyncpg.Connection
) -> None:
    """The same repair without a second server: a stored id the server has not reached."""
    store = await open_store()
    await store.save("s", [PgMoved(n=1)])
    ahead = await counter_of(postgres_dsn) + 10**9
    await raw.execute(f'UPDATE "{store.schema}".events SET tx_id = $1::bigint::text::xid8', ahead)
    reopened = await open_store(schema=store.schema)
    (old,) = await log_of(reopened)
    assert old.tx_id == ahead
    await reopened.save("s", [PgMoved(n=2)], expected_version=1)
    assert [r.event.n for r in await log_of(reopened, old.checkpoint)] == [2]  # type: ignore[attr-defined]
