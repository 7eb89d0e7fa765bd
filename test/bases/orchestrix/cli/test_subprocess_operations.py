"""The operator's commands as real processes, on SQLite and PostgreSQL: projections listed,
dead letters replayed, a projection rebuilt and a saga resumed, with the user's code imported
from the folder the command runs in; and a rebuild stopped with Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest

from test.bases.orchestrix.cli import events, order_saga, parcel_projection
from test.bases.orchestrix.cli.conftest import Target
from test.bases.orchestrix.cli.events import parcel_history
from test.bases.orchestrix.cli.order_saga import CRASH_IN, LEDGER
from test.bases.orchestrix.cli.parcel_projection import FAILING, parcels
from test.bases.orchestrix.cli.test_subprocess import SCRIPT, run

SHOP = """
from cli_events import ParcelBooked, ParcelShipped
from cli_orders import orders
from cli_parcels import parcels
"""

SLOW = """
import asyncio
from pathlib import Path

from cli_events import ParcelBooked, ParcelShipped
from orchestrix.core.eventsourcing.projection import ProjectionEngine
from orchestrix.core.messaging.message import Event


def parcels(checkpoints):
    engine = ProjectionEngine("parcels", checkpoints)

    @engine.on(Event)
    async def slowly(event):
        Path("started").touch()
        await asyncio.sleep(0.05)

    return engine
"""


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A folder with the user's code: the events, the projection and the saga."""
    folder = tmp_path / "shop"
    folder.mkdir()
    for module, name in ((events, "cli_events"), (parcel_projection, "cli_parcels")):
        shutil.copy(str(module.__file__), folder / f"{name}.py")
    shutil.copy(str(order_saga.__file__), folder / "cli_orders.py")
    (folder / "shop.py").write_text(SHOP)
    (folder / "slow.py").write_text(SLOW)
    return folder


def test_operations_end_to_end(
    target: Target, shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for parcel_id in ("P-1", "P-2"):
        target.seed(parcel_id, parcel_history(parcel_id))
    monkeypatch.setenv(FAILING, "P-2")
    target.run_projection(parcels, skip_failures=True)
    monkeypatch.delenv(FAILING)
    env = {**target.env, LEDGER: str(tmp_path / "ledger.txt")}

    listed = run("projection", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "parcels" in listed.stdout
    status = run("projection", "status", "parcels", env=env)
    assert "Dead letters:    2" in status.stdout
    dead = run("dlq", "list", env=env)
    assert dead.stdout.count("ValueError: cannot count parcel P-2") == 2

    replayed = run("dlq", "replay", "shop:parcels", env=env, cwd=shop)
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == "Replayed 2 of 2 dead-lettered event(s) of projection 'parcels'\n"
    assert target.read_model() == {"P-1": 2, "P-2": 2}

    rebuilt = run("projection", "rebuild", "shop:parcels", "--yes", env=env, cwd=shop)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.startswith("Rebuilt projection 'parcels': 4 event(s) in ")
    assert "4/4" in rebuilt.stderr
    assert target.read_model() == {"P-1": 2, "P-2": 2}

    unknown = run("projection", "rebuild", "nowhere:parcels", "--yes", env=env, cwd=shop)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("Error: No module named 'nowhere'")
    assert "Traceback" not in unknown.stderr

    monkeypatch.setenv(LEDGER, env[LEDGER])
    monkeypatch.setenv(CRASH_IN, "charge")
    target.run_saga("O-1", order_id="O-1", amount=Decimal("3.50"))
    monkeypatch.delenv(CRASH_IN)
    unfinished = run("saga", "list", "--status", "unfinished", env=env)
    assert "O-1" in unfinished.stdout
    shown = run("saga", "show", "O-1", env=env)
    assert "Decimal('3.50')" in shown.stdout
    resumed = run("saga", "resume", "O-1", "--saga", "shop:orders", env=env, cwd=shop)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout == "Saga 'O-1' (order) resumed from step 'charge': completed\n"
    assert Path(env[LEDGER]).read_text().splitlines()[-1] == "ship O-1"


def test_ctrl_c_stops_a_rebuild_with_one_line(sqlite_target: Target, shop: Path) -> None:
    for number in range(20):
        sqlite_target.seed(f"P-{number}", parcel_history(f"P-{number}"))
    sqlite_target.run_projection(parcels)
    rebuild = subprocess.Popen(
        [str(SCRIPT), "projection", "rebuild", "slow:parcels", "--yes"],
        env={**os.environ, **sqlite_target.env},
        cwd=shop,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (shop / "started").exists():
            assert rebuild.poll() is None, rebuild.communicate()
            assert time.monotonic() < deadline, "the rebuild did not start"
            time.sleep(0.02)
        rebuild.send_signal(signal.SIGINT)
        out, err = rebuild.communicate(timeout=60)
    finally:
        if rebuild.poll() is None:
            rebuild.kill()
    assert rebuild.returncode == 1, err
    assert out == ""
    last = err.splitlines()[-1]
    assert last.startswith("Error: Interrupted after ")
    assert last.endswith("A worker started on it goes on from there; a new rebuild starts over")
    assert "Traceback" not in err
