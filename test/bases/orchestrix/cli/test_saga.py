"""`orchestrix saga list | show | resume`: stored sagas seen and an interrupted one resumed from
another process's point of view, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from orchestrix.core.execution.saga_state import SagaStatus
from test.bases.orchestrix.cli.conftest import Target, invoke
from test.bases.orchestrix.cli.order_saga import CRASH_IN, FAIL_IN, LEDGER

MODULE = "test.bases.orchestrix.cli.order_saga"


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ledger.txt"
    monkeypatch.setenv(LEDGER, str(path))
    return path


def interrupted(target: Target, monkeypatch: pytest.MonkeyPatch, saga_id: str) -> None:
    """An `order` saga whose process died in the middle of its `charge` step."""
    monkeypatch.setenv(CRASH_IN, "charge")
    target.run_saga(saga_id, order_id=saga_id, amount=Decimal("9.99"))
    monkeypatch.delenv(CRASH_IN)


def test_list_shows_every_saga_and_filters(
    target: Target, ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target.run_saga("O-1", order_id="O-1", amount=Decimal("5"))
    interrupted(target, monkeypatch, "O-2")
    result = invoke("saga", "list", *target.options)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if "O-" in line]
    cells = [[cell.strip() for cell in row.strip("│ ").split("│")] for row in rows]
    assert [row[:4] for row in cells] == [
        ["O-1", "order", "completed", "ship"],
        ["O-2", "order", "in_progress", "charge"],
    ]

    unfinished = invoke("saga", "list", "--status", "unfinished", "--json", *target.options)
    assert [entry["saga_id"] for entry in json.loads(unfinished.stdout)] == ["O-2"]
    done = invoke("saga", "list", "--status", "completed", "--json", *target.options)
    assert [entry["saga_id"] for entry in json.loads(done.stdout)] == ["O-1"]
    none = invoke("saga", "list", "--type", "invoice", *target.options)
    assert none.stdout == "No saga matches\n"


def test_a_store_without_sagas(target: Target) -> None:
    assert invoke("db", "migrate", *target.options).exit_code == 0
    result = invoke("saga", "list", *target.options)
    assert result.exit_code == 0, result.output
    assert result.stdout == "No saga is stored here\n"
    missing = invoke("saga", "show", "O-404", *target.options)
    assert missing.exit_code == 1
    assert missing.stderr == "Error: No saga with id 'O-404' is stored\n"


def test_show_lists_the_steps_with_results_and_errors(
    target: Target, ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    interrupted(target, monkeypatch, "O-3")
    result = invoke("saga", "show", "O-3", *target.options)
    assert result.exit_code == 0, result.output
    assert "Status:     in_progress" in result.stdout
    assert "  amount    Decimal('9.99')" in result.stdout
    steps = [line for line in result.stdout.splitlines() if line.startswith("│")]
    cells = [[cell.strip() for cell in row.strip("│ ").split("│")] for row in steps]
    assert [(row[0], row[1], row[4]) for row in cells] == [
        ("reserve", "completed", "'R-O-3'"),
        ("charge", "pending", "-"),
    ]

    shown = json.loads(invoke("saga", "show", "O-3", "--json", *target.options).stdout)
    assert shown["arguments"] == {"order_id": "O-3", "amount": {"$decimal": "9.99"}}
    assert [(step["step"], step["result"]) for step in shown["steps"]] == [
        ("reserve", "R-O-3"),
        ("charge", None),
    ]


def test_resume_continues_from_the_interrupted_step(
    target: Target, ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    interrupted(target, monkeypatch, "O-4")
    result = invoke("saga", "resume", "O-4", "--saga", f"{MODULE}:orders", *target.options)
    assert result.exit_code == 0, result.output
    assert result.stdout == "Saga 'O-4' (order) resumed from step 'charge': completed\n"
    assert ledger.read_text().splitlines() == [
        "reserve O-4",
        "charge O-4 9.99 for R-O-4",  # the run the crash interrupted
        "charge O-4 9.99 for R-O-4",  # run again on resume
        "ship O-4",
    ]
    assert target.saga_state("O-4").status is SagaStatus.COMPLETED

    again = invoke("saga", "resume", "O-4", "--saga", f"{MODULE}:orders", *target.options)
    assert again.exit_code == 0
    assert again.stdout == "Saga 'O-4' had already ended (completed): nothing to resume\n"


def test_a_step_failing_on_resume_is_compensated(
    target: Target, ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    interrupted(target, monkeypatch, "O-5")
    monkeypatch.setenv(FAIL_IN, "ship")
    result = invoke("saga", "resume", "O-5", "--saga", f"{MODULE}:orders_later", *target.options)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Saga 'O-5' (order) resumed from step 'charge': failed (ship refused)\n"
    )
    assert ledger.read_text().splitlines()[-3:] == ["ship O-5", "refund O-5 9.99", "release R-O-5"]


def test_a_saga_instance_runs_on_the_store_the_command_opened(
    target: Target, ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    interrupted(target, monkeypatch, "O-6")
    result = invoke("saga", "resume", "O-6", "--saga", f"{MODULE}:ORDER_SAGA", *target.options)
    assert result.exit_code == 0, result.output
    assert target.saga_state("O-6").status is SagaStatus.COMPLETED


@pytest.mark.parametrize(
    ("definition", "complaint"),
    [
        ("invoices", "Error: Saga 'O-7' is a 'order' saga, not 'invoice'\n"),
        ("STEPS", "Error: test.bases.orchestrix.cli.order_saga:STEPS is a list, not a Saga"),
        ("nowhere", "Error: 'test.bases.orchestrix.cli.order_saga' has no attribute 'nowhere'\n"),
    ],
)
def test_a_wrong_definition_is_a_one_line_error(
    sqlite_target: Target,
    ledger: Path,
    monkeypatch: pytest.MonkeyPatch,
    definition: str,
    complaint: str,
) -> None:
    interrupted(sqlite_target, monkeypatch, "O-7")
    result = invoke(
        "saga", "resume", "O-7", "--saga", f"{MODULE}:{definition}", *sqlite_target.options
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(complaint)
    assert result.stderr.count("\n") == 1
    assert sqlite_target.saga_state("O-7").status is SagaStatus.IN_PROGRESS


def test_older_than_protects_a_saga_a_process_may_be_running(
    sqlite_target: Target, ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    interrupted(sqlite_target, monkeypatch, "O-8")
    result = invoke(
        "saga",
        "resume",
        "O-8",
        "--saga",
        f"{MODULE}:orders",
        "--older-than",
        "3600",
        *sqlite_target.options,
    )
    assert result.exit_code == 1
    assert "less than --older-than 3600: a process may still be running it" in result.stderr
    assert sqlite_target.saga_state("O-8").status is SagaStatus.IN_PROGRESS


def test_resume_needs_the_definition(sqlite_target: Target) -> None:
    result = invoke("saga", "resume", "O-1", *sqlite_target.options)
    assert result.exit_code == 2
    assert "Missing option '--saga'" in result.stderr


def test_a_sqlite_file_may_hold_sagas_only(
    sqlite_target: Target, ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    interrupted(sqlite_target, monkeypatch, "O-9")  # no event store in this file
    result = invoke("saga", "list", "--json", *sqlite_target.options)
    assert result.exit_code == 0, result.output
    assert [entry["status"] for entry in json.loads(result.stdout)] == ["in_progress"]
    missing = invoke("saga", "list", "--dsn", str(ledger.with_name("nothing.db")))
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: No SQLite file at ")
