"""`orchestrix stream show ID`: the stream as a table or JSON; a missing one is an error."""

from __future__ import annotations

import json
from decimal import Decimal

from test.bases.orchestrix.cli.conftest import Target, invoke
from test.bases.orchestrix.cli.events import parcel_history


def test_the_table_shows_version_type_time_and_id(target: Target) -> None:
    history = parcel_history("P-7")
    target.seed("P-7", history)
    target.seed("P-8", parcel_history("P-8"))
    result = invoke("stream", "show", "P-7", *target.options)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if any(e.id in line for e in history)]
    assert len(rows) == 2
    for version, (row, event) in enumerate(zip(rows, history, strict=True), start=1):
        cells = [cell.strip() for cell in row.strip("│ ").split("│")]
        assert cells == [str(version), event.type, event.timestamp.isoformat(), event.id]


def test_json_carries_every_field(target: Target) -> None:
    history = parcel_history("P-9")
    target.seed("P-9", history)
    result = invoke("stream", "show", "P-9", "--json", *target.options)
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert [entry["version"] for entry in shown] == [1, 2]
    assert [entry["id"] for entry in shown] == [event.id for event in history]
    assert [entry["type"] for entry in shown] == ["cli_test.ParcelBooked", "cli_test.ParcelShipped"]
    assert Decimal(shown[0]["weight"]) == Decimal("1.25")
    assert shown[1]["parcel_id"] == "P-9"


def test_a_missing_stream_is_a_one_line_error(target: Target) -> None:
    target.seed("P-1", parcel_history("P-1"))
    result = invoke("stream", "show", "P-404", *target.options)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: Stream 'P-404' not found in the {_description(target)}"
    )
    assert result.stderr.count("\n") == 1


def test_an_unmigrated_store_is_not_created_by_reading(target: Target) -> None:
    result = invoke("stream", "show", "P-1", *target.options)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "orchestrix db migrate" in result.stderr
    again = invoke("db", "migrate", "--dry-run", *target.options)
    assert "schema version 0 of" in again.stdout


def _description(target: Target) -> str:
    if target.backend == "sqlite":
        return f"SQLite file {target.dsn!r}"
    return f"PostgreSQL schema {target.schema!r}"
