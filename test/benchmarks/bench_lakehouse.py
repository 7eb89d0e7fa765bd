"""The lakehouse service under load, beside bare FastAPI endpoints on the same server.

    uv run python test/benchmarks/bench_lakehouse.py            # 3 runs, median shown
    uv run python test/benchmarks/bench_lakehouse.py --quick    # smoke mode, tiny sizes

One uvicorn server on loopback (its own process, SQLite backend) serves the lakehouse and two
bare endpoints added to the same app for the floor; this process sends the requests, with a
few concurrent clients, and times each one.

- command: `POST /api/datasets/<name>/uploads` validates, loads the dataset aggregate, saves
  one event on a new batch stream and waits until the read model shows it (read your writes);
  beside it a bare endpoint does one SQLite insert of a row of the same size and commits, in
  the same file with the same durability (WAL, synchronous=FULL). TARGETS.md asks for the
  figures side by side: requests/s and p99 latency.
- read: `GET /api/batches/<id>` from the projection's table, beside a bare endpoint running
  the same SELECT on the same table and returning the parsed document. Target: at least 0.8 of bare.

Figures from a shared 2-core machine are noisy; compare the ratio, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

if __package__ in (None, ""):  # run as a script: make the bricks importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


@dataclass(frozen=True)
class Sizes:
    requests: int
    clients: int
    runs: int


FULL = Sizes(requests=2000, clients=8, runs=3)
QUICK = Sizes(requests=60, clients=4, runs=1)
SECRET = "benchmark-secret-0123456789abcdef"


# --- the server (run in its own process) -------------------------------------------------------


def serve(port: int, data_dir: Path) -> None:
    """The lakehouse plus the bare floor endpoints, on one uvicorn server."""
    import uvicorn
    from fastapi import Body

    from orchestrix.lakehouse_fastapi_demo import Settings, create_app

    settings = Settings(data_dir=data_dir, secret=SECRET.encode(), docs=False)
    app = create_app(settings)
    path = settings.sqlite_path
    writer = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA synchronous=FULL")
    writer.execute("CREATE TABLE IF NOT EXISTS bare_events (id TEXT PRIMARY KEY, data TEXT)")
    reader = sqlite3.connect(path, check_same_thread=False)
    lock = threading.Lock()

    @app.post("/bare/insert")
    def bare_insert(payload: dict[str, Any] = Body(...)) -> dict[str, str]:  # noqa: B008
        row_id = uuid.uuid4().hex
        with lock:  # one connection, one transaction at a time (as the event store does)
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("INSERT INTO bare_events VALUES (?, ?)", (row_id, json.dumps(payload)))
            writer.execute("COMMIT")
        return {"id": row_id}

    @app.get("/bare/batches/{batch_id}")
    async def bare_read(batch_id: str) -> Any:
        row = reader.execute(
            "SELECT doc FROM lake_batches WHERE batch_id = ?", (batch_id,)
        ).fetchone()
        return json.loads(row[0])

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


# --- the load -----------------------------------------------------------------------------------


@dataclass
class Figures:
    per_second: float
    p99_ms: float


async def load(client: httpx.AsyncClient, sizes: Sizes, request: Any) -> Figures:
    latencies: list[float] = []
    counter = iter(range(sizes.requests))

    async def worker() -> None:
        for index in counter:
            started = time.perf_counter()
            response = await request(client, index)
            latencies.append(time.perf_counter() - started)
            if response.status_code >= 300:
                raise RuntimeError(f"{response.status_code}: {response.text}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(sizes.clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Figures(len(latencies) / elapsed, p99 * 1000)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def measure(base: str, sizes: Sizes) -> dict[str, tuple[Figures, Figures]]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        (
            await client.post("/api/datasets", json={"name": "bench", "columns": [{"name": "a"}]})
        ).raise_for_status()
        ticket = (await client.post("/api/datasets/bench/uploads")).json()
        batch_id = ticket["batch_id"]
        payload = {"batch_id": batch_id, "dataset": "bench", "expires_at": ticket["expires_at"]}

        async def command(c: httpx.AsyncClient, _index: int) -> httpx.Response:
            return await c.post("/api/datasets/bench/uploads")

        async def bare_insert(c: httpx.AsyncClient, _index: int) -> httpx.Response:
            return await c.post("/bare/insert", json=payload)

        async def read(c: httpx.AsyncClient, _index: int) -> httpx.Response:
            return await c.get(f"/api/batches/{batch_id}")

        async def bare_read(c: httpx.AsyncClient, _index: int) -> httpx.Response:
            return await c.get(f"/bare/batches/{batch_id}")

        for warm_up in (command, bare_insert, read, bare_read):
            await load(client, Sizes(20, 2, 1), warm_up)
        return {
            "command": (await load(client, sizes, command), await load(client, sizes, bare_insert)),
            "read": (await load(client, sizes, read), await load(client, sizes, bare_read)),
        }


def run(sizes: Sizes) -> None:
    results: dict[str, list[tuple[Figures, Figures]]] = {"command": [], "read": []}
    for _ in range(sizes.runs):
        with tempfile.TemporaryDirectory(prefix="bench-lakehouse-") as folder:
            port = free_port()
            server = subprocess.Popen(
                [sys.executable, __file__, "--serve", str(port), folder],
                env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
            )
            try:
                base = f"http://127.0.0.1:{port}"
                deadline = time.monotonic() + 30
                while True:
                    try:
                        if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit("the benchmark server did not start")
                    time.sleep(0.1)
                for name, pair in asyncio.run(measure(base, sizes)).items():
                    results[name].append(pair)
            finally:
                server.terminate()
                server.wait(timeout=10)
    print(
        f"lakehouse over uvicorn on loopback, {sizes.requests} requests, {sizes.clients} clients,"
        f" median of {sizes.runs} (shared machine: noisy)"
    )
    labels = {
        "command": (
            "command endpoint (create a batch, read your writes)",
            "bare FastAPI SQLite insert",
        ),
        "read": ("read endpoint from the projection", "bare FastAPI read of the same table"),
    }
    for name, pairs in results.items():
        ours_rate = statistics.median(p[0].per_second for p in pairs)
        bare_rate = statistics.median(p[1].per_second for p in pairs)
        ours_p99 = statistics.median(p[0].p99_ms for p in pairs)
        bare_p99 = statistics.median(p[1].p99_ms for p in pairs)
        ours_label, bare_label = labels[name]
        print(f"  {ours_label:55} {ours_rate:8.0f} req/s  p99 {ours_p99:7.1f} ms")
        print(f"  {bare_label:55} {bare_rate:8.0f} req/s  p99 {bare_p99:7.1f} ms")
        target = "  (target ≥ 0.8)" if name == "read" else ""
        print(f"  {name} ratio ours/bare: {ours_rate / bare_rate:.2f}{target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode: tiny sizes")
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "DIR"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        serve(int(options.serve[0]), Path(options.serve[1]))
        return
    run(QUICK if options.quick else FULL)


if __name__ == "__main__":
    main()
