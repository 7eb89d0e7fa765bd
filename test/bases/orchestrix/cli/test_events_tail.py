"""`orchestrix events tail`: the global log after a checkpoint, resumable where it stopped."""

from __future__ import annotations

import json

from test.bases.orchestrix.cli.conftest import Target, invoke
from test.bases.orchestrix.cli.events import parcel_history


def test_prints_the_whole_log_with_checkpoints(target: Target) -> None:
    first, second = parcel_history("P-1"), parcel_history("P-2")
    target.seed("P-1", first)
    target.seed("P-2", second)
    result = invoke("events", "tail", "--no-follow", *target.options)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    expected = [
        ("P-1", 1, first[0]),
        ("P-1", 2, first[1]),
        ("P-2", 1, second[0]),
        ("P-2", 2, second[1]),
    ]
    assert len(lines) == len(expected)
    for line, (stream_id, version, event) in zip(lines, expected, strict=True):
        checkpoint, time, where, type_name, event_id = line.split()
        assert (where, type_name, event_id) == (f"{stream_id}@{version}", event.type, event.id)
        assert time == event.timestamp.isoformat()
    assert result.stderr == f"End of the log after 4 event(s); resume with --after {checkpoint}\n"


def test_resumes_after_the_checkpoint_it_printed(target: Target) -> None:
    target.seed("P-1", parcel_history("P-1"))
    first = invoke("events", "tail", "--no-follow", *target.options)
    resume_at = first.stderr.split("--after ")[1].strip()
    assert (
        invoke("events", "tail", "--no-follow", "--after", resume_at, *target.options).stdout == ""
    )

    later = parcel_history("P-2")
    target.seed("P-2", later)
    result = invoke("events", "tail", "--no-follow", "--after", resume_at, *target.options)
    assert [line.split()[-1] for line in result.stdout.splitlines()] == [e.id for e in later]
    middle = first.stdout.splitlines()[0].split()[0]
    from_middle = invoke("events", "tail", "--no-follow", "--after", middle, *target.options)
    assert len(from_middle.stdout.splitlines()) == 3


def test_json_lines(target: Target) -> None:
    history = parcel_history("P-3")
    target.seed("P-3", history)
    result = invoke("events", "tail", "--no-follow", "--json", *target.options)
    shown = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(entry["stream_id"], entry["version"], entry["id"]) for entry in shown] == [
        ("P-3", 1, history[0].id),
        ("P-3", 2, history[1].id),
    ]
    assert shown[1]["parcel_id"] == "P-3"
    assert all(entry["checkpoint"] for entry in shown)


def test_an_empty_log_prints_nothing(target: Target) -> None:
    assert invoke("db", "migrate", *target.options).exit_code == 0
    result = invoke("events", "tail", "--no-follow", *target.options)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "End of the log after 0 event(s); resume with --after 0\n"


def test_a_postgresql_checkpoint_on_sqlite_is_a_usage_error(sqlite_target: Target) -> None:
    sqlite_target.seed("P-1", parcel_history("P-1"))
    result = invoke("events", "tail", "--no-follow", "--after", "7:1", *sqlite_target.options)
    assert result.exit_code == 2 and result.stdout == ""
    assert "'7:1' is a PostgreSQL checkpoint (TX:POSITION); SQLite's are POSITION" in result.stderr


def test_a_sqlite_checkpoint_on_postgresql_is_a_usage_error(postgres_target: Target) -> None:
    postgres_target.seed("P-1", parcel_history("P-1"))
    result = invoke("events", "tail", "--no-follow", "--after", "4", *postgres_target.options)
    assert result.exit_code == 2 and result.stdout == ""
    assert "'4' is a SQLite checkpoint (POSITION); PostgreSQL's are TX:POSITION" in result.stderr
