"""`orchestrix projection list | status | rebuild`: projections seen and rebuilt from outside
the process that runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from test.bases.orchestrix.cli.conftest import Target, invoke
from test.bases.orchestrix.cli.events import parcel_history
from test.bases.orchestrix.cli.parcel_projection import FAILING, NAME, parcels

MODULE = "test.bases.orchestrix.cli.parcel_projection"


def seeded(target: Target, *parcel_ids: str) -> None:
    for parcel_id in parcel_ids:
        target.seed(parcel_id, parcel_history(parcel_id))


def test_list_shows_checkpoint_health_and_lag(target: Target) -> None:
    seeded(target, "P-1", "P-2")
    target.run_projection(parcels)
    seeded(target, "P-3")  # stored after the projection ran: it lags by two events
    result = invoke("projection", "list", "--json", *target.options)
    assert result.exit_code == 0, result.output
    (shown,) = json.loads(result.stdout)
    assert shown["name"] == NAME
    assert shown["healthy"] is True
    assert (shown["error_count"], shown["dead_letters"], shown["lag_events"]) == (0, 0, 2)
    assert shown["lag_seconds"] >= 0

    table = invoke("projection", "list", *target.options)
    assert table.exit_code == 0, table.output
    (row,) = [line for line in table.stdout.splitlines() if f" {NAME} " in line]
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells[0] == NAME
    assert cells[1] == shown["checkpoint"]
    assert cells[2:6] == ["healthy", "0", "0", "2"]


def test_list_of_a_store_without_projections(target: Target) -> None:
    seeded(target, "P-1")
    result = invoke("projection", "list", *target.options)
    assert result.exit_code == 0, result.output
    assert result.stdout == "No projection has a checkpoint in this store yet\n"
    assert json.loads(invoke("projection", "list", "--json", *target.options).stdout) == []


def test_status_shows_one_projection_and_its_dead_letters(
    target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded(target, "P-1", "P-2")
    monkeypatch.setenv(FAILING, "P-2")
    target.run_projection(parcels, skip_failures=True)
    result = invoke("projection", "status", NAME, *target.options)
    assert result.exit_code == 0, result.output
    assert "Health:          healthy" in result.stdout
    assert "Errors:          2" in result.stdout
    assert "Dead letters:    2" in result.stdout
    assert "Behind the log:  0 event(s)" in result.stdout
    assert "ValueError: cannot count parcel P-2" in result.stdout

    shown = json.loads(invoke("projection", "status", NAME, "--json", *target.options).stdout)
    assert shown["dead_letters"] == 2
    assert [letter["stream_id"] for letter in shown["dead_lettered"]] == ["P-2", "P-2"]
    assert shown["dead_lettered"][0]["error_type"] == "ValueError"


def test_an_unknown_projection_is_a_one_line_error(target: Target) -> None:
    seeded(target, "P-1")
    target.run_projection(parcels)
    result = invoke("projection", "status", "parcles", *target.options)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Unknown projection 'parcles' in the ")
    assert result.stderr.endswith("; the projections are: 'parcels'\n")
    assert result.stderr.count("\n") == 1


def test_rebuild_replays_the_log_into_an_emptied_read_model(target: Target) -> None:
    seeded(target, "P-1", "P-2")
    target.run_projection(parcels)
    seeded(target, "P-3")
    assert target.read_model() == {"P-1": 2, "P-2": 2}
    result = invoke("projection", "rebuild", f"{MODULE}:parcels", "--yes", *target.options)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Rebuilt projection '{NAME}': 6 event(s) in ")
    assert "events/s), now at checkpoint " in result.stdout
    assert "6/6" in result.stderr  # the bar's last state
    assert target.read_model() == {"P-1": 2, "P-2": 2, "P-3": 2}
    listed = json.loads(invoke("projection", "list", "--json", *target.options).stdout)
    assert listed[0]["lag_events"] == 0


def test_rebuild_takes_an_async_factory_and_small_batches(target: Target) -> None:
    seeded(target, "P-1", "P-2")
    target.run_projection(parcels)
    result = invoke(
        "projection",
        "rebuild",
        f"{MODULE}:parcels_later",
        "--batch-size",
        "1",
        "--yes",
        *target.options,
    )
    assert result.exit_code == 0, result.output
    assert "4 event(s)" in result.stdout
    assert target.read_model() == {"P-1": 2, "P-2": 2}


def test_rebuild_asks_first(target: Target) -> None:
    seeded(target, "P-1")
    target.run_projection(parcels)
    declined = invoke("projection", "rebuild", f"{MODULE}:parcels", *target.options, input="n\n")
    assert declined.exit_code == 1
    assert "Empty the read model of projection 'parcels' and replay 2 event(s)" in declined.stderr
    assert "Aborted" in declined.stderr
    accepted = invoke("projection", "rebuild", f"{MODULE}:parcels", *target.options, input="y\n")
    assert accepted.exit_code == 0, accepted.output


def test_a_failing_handler_stops_the_rebuild_in_one_line(
    target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded(target, "P-1", "P-2")
    target.run_projection(parcels)
    monkeypatch.setenv(FAILING, "P-2")
    result = invoke("projection", "rebuild", f"{MODULE}:parcels", "--yes", *target.options)
    assert result.exit_code == 1
    error = result.stderr.splitlines()[-1]
    assert error.startswith("Error: Projection 'parcels' stopped at event ")
    assert "ValueError: cannot count parcel P-2" in error
    assert "Traceback" not in result.output
    assert target.read_model() == {"P-1": 2}


def test_skip_failures_dead_letters_and_goes_on(
    target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded(target, "P-1", "P-2", "P-3")
    target.run_projection(parcels)
    monkeypatch.setenv(FAILING, "P-2")
    result = invoke(
        "projection", "rebuild", f"{MODULE}:parcels", "--yes", "--skip-failures", *target.options
    )
    assert result.exit_code == 0, result.output
    assert "6 event(s)" in result.stdout
    assert "; 2 event(s) dead-lettered (orchestrix dlq list --projection parcels)" in result.stdout
    assert target.read_model() == {"P-1": 2, "P-3": 2}


def test_a_broken_reset_changes_nothing(target: Target) -> None:
    seeded(target, "P-1")
    target.run_projection(parcels)
    result = invoke("projection", "rebuild", f"{MODULE}:broken_reset", "--yes", *target.options)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Resetting projection 'parcels' failed, so nothing changed: "
        "PermissionError: the read model is read-only\n"
    )
    assert target.read_model() == {"P-1": 2}


def test_rebuild_refuses_while_a_worker_holds_the_lock(target: Target) -> None:
    import asyncio

    seeded(target, "P-1")
    target.run_projection(parcels)

    async def rebuild_while_locked() -> str:
        async with target.checkpoints() as (_, checkpoints):
            lock = checkpoints.lock(NAME)
            assert await lock.acquire()
            try:
                result = await asyncio.to_thread(
                    invoke, "projection", "rebuild", f"{MODULE}:parcels", "--yes", *target.options
                )
            finally:
                await lock.release()
        assert result.exit_code == 1
        return result.stderr

    assert asyncio.run(rebuild_while_locked()) == (
        "Error: Projection 'parcels' is being run by another process, which holds its lock: "
        "stop it, then rebuild\n"
    )


@pytest.mark.parametrize(
    ("name", "complaint"),
    [
        ("parcels", "'parcels' is not a name of the form MODULE:OBJECT"),
        ("no_such_module_here:parcels", "No module named 'no_such_module_here'"),
        (f"{MODULE}:missing", f"'{MODULE}' has no attribute 'missing'"),
        (f"{MODULE}:NOT_CALLABLE", "is a int, not a ProjectionEngine or a function returning one"),
        (f"{MODULE}:not_a_projection", "returned a str, not a ProjectionEngine"),
        (f"{MODULE}:parcels.x", "has no attribute 'x'"),
    ],
)
def test_a_bad_module_object_is_a_one_line_error(
    sqlite_target: Target, name: str, complaint: str
) -> None:
    seeded(sqlite_target, "P-1")
    sqlite_target.run_projection(parcels)
    result = invoke("projection", "rebuild", name, "--yes", *sqlite_target.options)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert complaint in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_module_that_fails_to_import_is_one_line(
    sqlite_target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded(sqlite_target, "P-1")
    (tmp_path / "cli_broken_projection.py").write_text("raise RuntimeError('no config')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    result = invoke(
        "projection", "rebuild", "cli_broken_projection:parcels", "--yes", *sqlite_target.options
    )
    assert result.stderr == (
        "Error: Cannot import 'cli_broken_projection': RuntimeError: no config\n"
    )


def test_a_projection_that_never_ran_there_is_refused(sqlite_target: Target) -> None:
    seeded(sqlite_target, "P-1")
    result = invoke("projection", "rebuild", f"{MODULE}:parcels", "--yes", *sqlite_target.options)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Projection 'parcels' has no checkpoint in the SQLite")


def test_checkpoints_in_a_file_of_their_own(tmp_path: Path, sqlite_target: Target) -> None:
    seeded(sqlite_target, "P-1")
    elsewhere = tmp_path / "read-model.sqlite3"
    missing = invoke("projection", "list", "--checkpoints", str(elsewhere), *sqlite_target.options)
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: No SQLite file at ")
    elsewhere.touch()
    empty = invoke("projection", "list", "--checkpoints", str(elsewhere), *sqlite_target.options)
    assert empty.stdout == "No projection has a checkpoint in this store yet\n"


def test_checkpoints_is_for_sqlite_only(postgres_target: Target) -> None:
    seeded(postgres_target, "P-1")
    result = invoke("projection", "list", "--checkpoints", "x.db", *postgres_target.options)
    assert result.exit_code == 1
    assert "--checkpoints names a SQLite file" in result.stderr


def test_an_unmigrated_store_says_to_migrate(postgres_target: Target) -> None:
    result = invoke("projection", "list", *postgres_target.options)
    assert result.exit_code == 1
    assert "run 'orchestrix db migrate' first" in result.stderr
