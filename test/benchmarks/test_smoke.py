"""Every benchmark runs end to end in its quick mode; figures are printed, never asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def run_quick(script: str, *arguments: str) -> str:
    finished = subprocess.run(
        [sys.executable, str(HERE / script), "--quick", *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


@pytest.mark.parametrize(
    ("script", "rows"),
    [
        (
            "bench_bus.py",
            [
                "sync bus, 1 no-op handler, default logging",
                "sync bus, 5 no-op handlers",
                "sync bus, subscribe and publish alternating",
                "subscribe/publish alternating",
                "async bus, 1 handler, awaited one by one",
                "async bus, 5 handlers",
            ],
        ),
        (
            "bench_store.py",
            [
                "memory: 1 event per save",
                "minimal locked store",
                "sqlite: load a 10k-event stream",
                "sqlite: read_all over 10k events",
                "store bookkeeping",
            ],
        ),
        ("bench_repository.py", ["load + replay 1,000 events"]),
        ("bench_message.py", ["construct an event (1 field)"]),
        ("bench_codec.py", ["small (3 fields + metadata)", "every type"]),
        (
            "bench_personal.py",
            [
                "seal on save, 3 personal fields",
                "open on load, 3 personal fields",
                "memory store, 1 event per save",
                "floor: raw AES-GCM encryption of one value",
            ],
        ),
        (
            "bench_observability.py",
            [
                "off runs the plain methods (the code without instrumentation): True",
                "sync bus publish, 1 no-op handler",
                "memory store, 1 event per save",
                "on, 1 % sampled",
            ],
        ),
    ],
)
def test_benchmark_prints_every_row(script: str, rows: list[str]) -> None:
    output = run_quick(script)
    for row in rows:
        assert row in output


def test_postgres_benchmark_prints_every_row(postgres_dsn: str) -> None:
    output = run_quick("bench_postgres.py", "--dsn", postgres_dsn)
    for row in ("sequential", "concurrent writers", "100 events/commit", "load a", "catch-up"):
        assert row in output


def test_observability_benchmark_times_postgres_appends(postgres_dsn: str) -> None:
    output = run_quick("bench_observability.py", "--dsn", postgres_dsn)
    assert "PostgreSQL append, 1 event per commit, sequential" in output


def test_rabbitmq_benchmark_prints_every_row(rabbitmq_url: str, postgres_dsn: str) -> None:
    output = run_quick("bench_rabbitmq.py", "--url", rabbitmq_url, "--dsn", postgres_dsn)
    for row in ("publish with confirms + consume + ack", "outbox relay"):
        assert row in output


def test_saga_benchmark_prints_every_row(postgres_dsn: str) -> None:
    output = run_quick("bench_saga.py", "--dsn", postgres_dsn)
    for row in (
        "0.50 per transition",
        "sqlite, synchronous=FULL",
        "sqlite, synchronous=NORMAL",
        "floor via a worker thread",
        "postgres",
    ):
        assert row in output


def test_projection_benchmark_prints_every_row(postgres_dsn: str) -> None:
    output = run_quick("bench_projection.py", "--dsn", postgres_dsn)
    for row in (
        "catch-up from SQLite, trivial read model",
        "catch-up from SQLite, exactly-once SQLite model",
        "catch-up from PostgreSQL, trivial read model",
        "ours (checkpoint in PostgreSQL)",
        "floor (raw LISTEN + fetch by position)",
    ):
        assert row in output


def test_lakehouse_benchmark_prints_every_row() -> None:
    output = run_quick("bench_lakehouse.py")
    for row in (
        "command endpoint (create a batch, read your writes)",
        "bare FastAPI SQLite insert",
        "read endpoint from the projection",
        "bare FastAPI read of the same table",
        "read ratio ours/bare",
    ):
        assert row in output
