"""The demo end to end on SQLite: three shapes stored, one shape loaded, history untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrix.infrastructure.sqlite.store import SQLiteEventStore
from orchestrix.versioning_demo.main import main, run
from orchestrix.versioning_demo.models import SubscriberAdded
from test.bases.orchestrix.demo_docs import assert_page_shows_real_output
from test.bases.orchestrix.demo_exits import one_line_exit


def test_old_events_load_in_todays_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "newsletter.sqlite3"
    outcome = run(database)

    assert [type(event).__schema_version__ for event in outcome.stored] == [1, 2, 3]
    assert [type(event).__name__ for event in outcome.stored] == [
        "SubscriberAddedV1",
        "SubscriberAddedV2",
        "SubscriberAdded",
    ]
    assert all(isinstance(event, SubscriberAdded) for event in outcome.loaded)
    assert [event.id for event in outcome.loaded] == [event.id for event in outcome.stored]
    assert [getattr(event, "language", None) for event in outcome.loaded] == ["en", "en", "fr"]
    assert outcome.logged == outcome.loaded
    assert outcome.subscribers == {
        "ada@example.org": "Ada Lovelace (en)",
        "grace@example.org": "Grace Hopper (en)",
        "margaret@example.org": "Margaret Hamilton (fr)",
    }
    assert outcome.failure_without_upcasters == (
        "AttributeError: 'SubscriberAddedV1' object has no attribute 'first_name'"
    )
    with SQLiteEventStore(database) as reopened:  # history was not rewritten
        assert [type(e).__schema_version__ for e in reopened.load(outcome.stream)] == [1, 2, 3]

    story = capsys.readouterr().out
    assert "Upcaster chain for SubscriberAdded: 1 → 2 → 3" in story
    assert "Same ids and timestamps as stored: True" in story
    assert "read_all (what projections read) gives version 3 too: True" in story
    assert_page_shows_real_output("versioning.md", story)


def test_running_again_on_the_same_file_adds_a_stream_of_its_own(tmp_path: Path) -> None:
    database = tmp_path / "newsletter.sqlite3"
    first, second = run(database), run(database)
    assert first.stream != second.stream
    assert second.logged == second.loaded
    with SQLiteEventStore(database) as store:
        assert len(list(store.read_all())) == 6


def test_a_file_it_cannot_open_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["versioning", "--db", str(tmp_path / "no" / "x.sqlite3")]
    error = one_line_exit(main, argv, monkeypatch, capsys)
    assert error.startswith("versioning: Cannot open the SQLite event store")
