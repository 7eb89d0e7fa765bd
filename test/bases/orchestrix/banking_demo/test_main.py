"""The whole story end to end, on each backend: the balances, the transfer that completed, the
one that failed and gave the money back, the read model equal to the accounts rebuilt from
their events, and the story it prints."""

from __future__ import annotations

import sqlite3
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from orchestrix.banking_demo.aggregate import AccountStatus, InsufficientFundsError, TransferStatus
from orchestrix.banking_demo.main import IN_A_TEMPORARY_FILE, main, run
from orchestrix.banking_demo.projection import PROJECTION
from orchestrix.banking_demo.stores import BankStores, in_memory, in_postgres, in_sqlite
from orchestrix.banking_demo.story import Outcome
from test.bases.orchestrix.demo_docs import assert_page_shows_real_output
from test.bases.orchestrix.demo_exits import one_line_exit

BALANCES = {"Alice": Decimal("80.25"), "Bob": Decimal("100.00"), "Carol": Decimal("0.00")}


def assert_the_story_ended_as_told(outcome: Outcome, story: str) -> None:
    alice, bob, carol = (outcome.account_ids[name] for name in ("Alice", "Bob", "Carol"))
    completed, failed = outcome.transfer_ids
    assert {name: view.balance for name, view in outcome.accounts.items()} == BALANCES
    assert {name: account.balance for name, account in outcome.aggregates.items()} == BALANCES
    assert [view.status for view in outcome.accounts.values()] == ["open", "open", "closed"]
    assert outcome.aggregates["Carol"].status is AccountStatus.CLOSED
    assert [(e.what, e.amount, e.balance) for e in outcome.histories["Bob"]] == [
        ("opened", Decimal("50.00"), Decimal("50.00")),
        ("withdrawal", Decimal("-20.00"), Decimal("30.00")),
        ("transfer from Alice", Decimal("70.00"), Decimal("100.00")),
        ("transfer to Carol", Decimal("-25.00"), Decimal("75.00")),
        ("transfer returned", Decimal("25.00"), Decimal("100.00")),
    ]
    reason = f"account {carol} is closed"
    assert [(t.transfer_id, t.status, t.reason) for t in outcome.transfers] == [
        (completed, "completed", None),
        (failed, "failed", reason),
    ]
    assert [(r.status, r.reason) for r in outcome.transfer_records] == [
        (TransferStatus.COMPLETED, ""),
        (TransferStatus.FAILED, reason),
    ]
    assert isinstance(outcome.refused, InsufficientFundsError)

    lines = story.splitlines()
    for line in (
        f"  Alice  {alice}  balance 100.00",
        "  Alice deposits 50.25: balance 150.25",
        f"  Bob withdraws 500.00: refused: Cannot withdraw 500.00 from {bob}: balance is 30.00",
        f"  {completed} Bob credited 70.00",
        "  read model: Alice 80.25, Bob 100.00",
        "  read model: Carol's account is closed",
        f"  {failed} Carol's account refused it: {reason}",
        f"  {failed} Bob re-credited 25.00",
        f"  {failed} failed: {reason}",
        "  read model: Bob 100.00",
        f"  Transfers: {completed} completed; {failed} failed ({reason})",
        "  Every balance equals its account's own, rebuilt from its events: True",
        "  Projection lag: 0 events",
    ):
        assert line in lines
    # The process gives the money back only after the destination refused it.
    assert lines.index(f"  {failed} Carol's account refused it: {reason}") < lines.index(
        f"  {failed} Bob re-credited 25.00"
    )


async def test_on_sqlite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "bank.sqlite3"
    async with in_sqlite(database, IN_A_TEMPORARY_FILE) as stores:  # as the docs show it
        outcome = await run(stores)
        head = await stores.head.head()
        state = await stores.checkpoints.load_state(PROJECTION)
    story = capsys.readouterr().out
    assert_the_story_ended_as_told(outcome, story)
    assert "5. The read model, kept by the projection bank-ledger (exactly once):" in story
    assert_page_shows_real_output("banking.md", story)
    # The read model and its checkpoint are in the same file, at the end of the log.
    assert state is not None and state.checkpoint == head
    with sqlite3.connect(database) as connection:
        (rows,) = connection.execute("SELECT count(*) FROM bank_history").fetchone()
    assert rows == sum(len(history) for history in outcome.histories.values())


async def test_running_again_on_the_same_file_adds_accounts_of_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "bank.sqlite3"
    async with in_sqlite(database, "first") as stores:
        first = await run(stores)
    async with in_sqlite(database, "second") as stores:
        second = await run(stores)
    assert set(first.account_ids.values()).isdisjoint(second.account_ids.values())
    assert_the_story_ended_as_told(second, capsys.readouterr().out)


async def test_in_memory(capsys: pytest.CaptureFixture[str]) -> None:
    async with in_memory() as stores:
        outcome = await run(stores)
    story = capsys.readouterr().out
    assert_the_story_ended_as_told(outcome, story)
    assert "5. The read model, kept by the projection bank-ledger (at least once):" in story


@pytest.mark.postgres
async def test_on_postgresql(
    postgres_dsn: str, postgres_schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stores: BankStores
    async with in_postgres(postgres_dsn, postgres_schema) as stores:
        outcome = await run(stores)
    story = capsys.readouterr().out
    assert f"Stores: PostgreSQL, schema {postgres_schema!r}" in story.splitlines()
    assert_the_story_ended_as_told(outcome, story)
    assert "5. The read model, kept by the projection bank-ledger (exactly once):" in story


def test_main_runs_on_the_chosen_store(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "argv", ["banking", "--store", "memory"])
    main()
    assert "Stores: in memory" in capsys.readouterr().out.splitlines()

    database = tmp_path / "kept.sqlite3"
    monkeypatch.setattr(sys, "argv", ["banking", "--db", str(database)])
    main()
    assert f"Stores: SQLite file {str(database)!r}" in capsys.readouterr().out.splitlines()
    assert database.exists()


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["--store", "memory", "--db", "x.sqlite3"], "--db is for --store sqlite"),
        (["--store", "postgres"], "--store postgres needs --dsn"),
        (["--dsn", "postgresql://localhost/test"], "--dsn is only for --store postgres"),
        (["--distributed"], "--distributed needs --dsn"),
        (
            ["--distributed", "--dsn", "postgresql://localhost/test", "--db", "x.sqlite3"],
            "--distributed runs on PostgreSQL",
        ),
        (["--role", "api"], "--role is for --distributed"),
    ],
)
def test_contradicting_options_are_refused(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    complaint: str,
) -> None:
    monkeypatch.setattr(sys, "argv", ["banking", *arguments])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert complaint in capsys.readouterr().err


@pytest.mark.parametrize(
    ("dsn", "said"),
    [
        ("postgresql://postgres@127.0.0.1:1/test", "PostgreSQL is unavailable"),  # port 1: nobody
        ("db.internal:5432/bank", "Validation failed for 'connection_string'"),
    ],
    ids=["unreachable", "malformed"],
)
@pytest.mark.parametrize("distributed", [[], ["--distributed", "--role", "api"]])
def test_a_database_it_cannot_use_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    distributed: list[str],
    dsn: str,
    said: str,
) -> None:
    store = [] if distributed else ["--store", "postgres"]
    argv = ["banking", *store, *distributed, "--dsn", dsn]
    assert one_line_exit(main, argv, monkeypatch, capsys).startswith(f"banking: {said}")


def test_a_file_it_cannot_open_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["banking", "--db", str(tmp_path / "no" / "bank.sqlite3")]
    error = one_line_exit(main, argv, monkeypatch, capsys)
    assert error.startswith("banking: Cannot open the SQLite event store")


@pytest.mark.postgres
def test_an_unreachable_broker_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    postgres_dsn: str,
    postgres_schema: str,
) -> None:
    broker = "amqp://guest:guest@127.0.0.1:1/"  # nothing listens on port 1
    arguments = ["--distributed", "--role", "api", "--dsn", postgres_dsn, "--broker", broker]
    monkeypatch.setattr(sys, "argv", ["banking", *arguments, "--schema", postgres_schema])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    error = capsys.readouterr().err
    assert error.startswith("banking: Cannot connect to RabbitMQ") and "Traceback" not in error
