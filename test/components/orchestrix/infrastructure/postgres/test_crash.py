"""A writer killed with SIGKILL in the middle of saving: every batch is all there or absent."""

from __future__ import annotations

import asyncio
import random
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestrix.core.messaging.message import Event
from test.components.orchestrix.infrastructure.postgres.conftest import StoreOpener

pytestmark = pytest.mark.postgres

BATCH = 50
ROOT = Path(__file__).resolve().parents[5]

WRITER = f"""
import asyncio, sys
from test.components.orchestrix.infrastructure.postgres.test_crash import PgCrashTick
from orchestrix.infrastructure.postgres.store import PostgreSQLEventStore

async def main():
    async with PostgreSQLEventStore(sys.argv[1], 1, 1, schema=sys.argv[2]) as store:
        version = len(await store.load("crash"))
        print("ready", flush=True)
        while True:
            batch = [PgCrashTick(batch=version // {BATCH}, index=i) for i in range({BATCH})]
            await store.save("crash", batch, expected_version=version)
            version += {BATCH}

asyncio.run(main())
"""


@dataclass(frozen=True, kw_only=True)
class PgCrashTick(Event):
    batch: int
    index: int


async def test_a_writer_killed_mid_save_leaves_only_whole_batches(
    open_store: StoreOpener, postgres_dsn: str
) -> None:
    store = await open_store()
    rng = random.Random(4)
    for _ in range(3):
        writer = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WRITER,
            postgres_dsn,
            store.schema,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,  # so the writer imports PgCrashTick from this module
        )
        assert writer.stdout is not None
        assert await asyncio.wait_for(writer.stdout.readline(), 30) == b"ready\n"
        await asyncio.sleep(rng.uniform(0.1, 0.4))
        writer.send_signal(signal.SIGKILL)
        assert await writer.wait() == -signal.SIGKILL

    events = await store.load("crash")
    assert events, "the writer saved nothing before it was killed"
    assert len(events) % BATCH == 0
    assert [(e.batch, e.index) for e in events] == [  # type: ignore[attr-defined]
        (number // BATCH, number % BATCH) for number in range(len(events))
    ]
    logged = [recorded async for recorded in store.read_all()]
    assert [recorded.version for recorded in logged] == list(range(1, len(events) + 1))
    # Nothing half-done is left behind: the next writer appends right after the last batch.
    await store.save("crash", [PgCrashTick(batch=-1, index=0)], expected_version=len(events))
