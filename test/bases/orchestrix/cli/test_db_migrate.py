"""`orchestrix db migrate` creates and upgrades schemas with the stores' own migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from orchestrix.infrastructure.postgres.schema import MIGRATIONS as POSTGRES_MIGRATIONS
from orchestrix.infrastructure.sqlite.schema import MIGRATIONS as SQLITE_MIGRATIONS
from test.bases.orchestrix.cli.conftest import Target, invoke
from test.bases.orchestrix.cli.events import parcel_history

LATEST = {"sqlite": len(SQLITE_MIGRATIONS), "postgres": len(POSTGRES_MIGRATIONS)}


def test_migrate_applies_everything_once_then_nothing(target: Target) -> None:
    first = invoke("db", "migrate", *target.options)
    assert first.exit_code == 0, first.output
    latest = LATEST[target.backend]
    if target.backend == "postgres":
        applied = ", ".join(f"{m.version} {m.name}" for m in POSTGRES_MIGRATIONS)
    else:
        applied = ", ".join(str(number) for number in range(1, latest + 1))
    assert first.stdout.startswith(f"Applied migration{'s' if latest > 1 else ''} {applied} to")
    assert first.stdout.endswith(f"; now at schema version {latest}\n")

    again = invoke("db", "migrate", *target.options)
    assert again.exit_code == 0
    assert f"is up to date at schema version {latest}" in again.stdout

    target.seed("P-1", parcel_history("P-1"))  # the store opens the migrated schema as its own
    assert invoke("stream", "show", "P-1", *target.options).exit_code == 0


def test_dry_run_prints_the_sql_and_changes_nothing(target: Target) -> None:
    result = invoke("db", "migrate", "--dry-run", *target.options)
    assert result.exit_code == 0, result.output
    assert f"schema version 0 of {LATEST[target.backend]}" in result.stdout
    assert "CREATE TABLE events" in result.stdout
    assert result.stdout.count("-- migration ") == LATEST[target.backend]
    still_new = invoke("stream", "show", "P-1", *target.options)
    assert (
        "run 'orchestrix db migrate' first" in still_new.stderr or "No SQLite" in still_new.stderr
    )

    invoke("db", "migrate", *target.options)
    up_to_date = invoke("db", "migrate", "--dry-run", *target.options)
    assert "up to date: nothing to apply" in up_to_date.stdout


def test_the_postgres_dry_run_is_the_shipped_sql(postgres_target: Target) -> None:
    result = invoke("db", "migrate", "--dry-run", *postgres_target.options)
    for migration in POSTGRES_MIGRATIONS:
        assert f"-- migration {migration.version} {migration.name}" in result.stdout
        assert migration.sql.strip().rstrip(";") in result.stdout


def test_a_dry_run_on_a_new_sqlite_file_does_not_create_it(sqlite_target: Target) -> None:
    assert invoke("db", "migrate", "--dry-run", *sqlite_target.options).exit_code == 0
    assert not Path(sqlite_target.dsn).exists()


def test_the_environment_names_the_store(target: Target) -> None:
    result = invoke("db", "migrate", env=target.env)
    assert result.exit_code == 0, result.output
    assert "now at schema version" in result.stdout


def test_a_file_that_is_not_a_database_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list: eggs, milk, and far more text than a database header\n")
    for arguments in (["db", "migrate"], ["db", "migrate", "--dry-run"]):
        result = invoke(*arguments, "--dsn", str(path))
        assert result.exit_code == 1
        assert result.stderr.startswith("Error: ")
        assert result.stderr.count("\n") == 1
        assert "not a database" in result.stderr
    assert path.read_text().startswith("shopping list")


def test_a_file_from_a_newer_orchestrix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    assert invoke("db", "migrate", "--dsn", str(path)).exit_code == 0
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO schema_version (version) VALUES (99)")
    connection.close()
    for dry_run in ([], ["--dry-run"]):
        result = invoke("db", "migrate", *dry_run, "--dsn", str(path))
        assert result.exit_code == 1
        assert f"newer than the {LATEST['sqlite']} this Orchestrix knows" in result.stderr
    shown = invoke("stream", "show", "P-1", "--dsn", str(path))
    assert shown.exit_code == 1
    assert "upgrade Orchestrix" in shown.stderr


@pytest.mark.parametrize(
    ("dsn", "complaint"),
    [
        ("postgresql://postgres@127.0.0.1:1/test", "PostgreSQL is unavailable"),
        ("postgresql://postgres@127.0.0.1:port/test", "Invalid PostgreSQL DSN"),
        ("postgresql://postgres@127.0.0.1:5432/no_such_db_here", 'database "no_such_db_here"'),
    ],
)
def test_bad_dsns_are_one_line_errors(postgres_dsn: str, dsn: str, complaint: str) -> None:
    for arguments in (["db", "migrate"], ["db", "migrate", "--dry-run"], ["events", "tail"]):
        result = invoke(*arguments, "--dsn", dsn)
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("Error: ")
        assert result.stderr.count("\n") == 1
        assert complaint in result.stderr
