"""The demo end to end on SQLite: the lag at each step, what readers of the view saw (the
gap of an in-place rebuild, none in the blue/green swap), and the story it prints."""

from __future__ import annotations

import sqlite3
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from orchestrix.projection_demo.main import IN_A_TEMPORARY_FILE, main, run
from orchestrix.projection_demo.models import PRICES, sale
from test.bases.orchestrix.demo_docs import assert_page_shows_real_output
from test.bases.orchestrix.demo_exits import one_line_exit


def units_sold(sales: int) -> dict[str, int]:
    units: Counter[str] = Counter()
    for number in range(sales):
        sold = sale(number)
        units[sold.sku] += sold.quantity
    return dict(units)


async def test_catch_up_follow_rebuild_and_swap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "shop.sqlite3"
    outcome = await run(database, IN_A_TEMPORARY_FILE)

    assert outcome.lags == {
        "new": 2000,
        "caught up": 0,
        "paused": 3,
        "resumed": 0,
        "reset": 2003,
        "green": 2003,
        "end": 0,
    }
    assert dict(outcome.seen["caught up"]) == units_sold(2000)  # type: ignore[arg-type]
    assert dict(outcome.seen["followed"]) == units_sold(2003)  # type: ignore[arg-type]
    assert outcome.seen["reset"] == []  # the gap of a rebuild in place
    assert outcome.seen["rebuilt"] == outcome.seen["followed"]
    assert outcome.columns == {
        "green building": ["sku", "units"],  # readers kept version 1 until the swap
        "green live": ["sku", "units", "revenue"],
    }
    assert outcome.live == "sales-v2"
    assert {sku: (units, Decimal(revenue)) for sku, units, revenue in outcome.seen["green"]} == {
        sku: (units, units * PRICES[sku]) for sku, units in units_sold(2003).items()
    }
    with sqlite3.connect(database) as connection:  # version 1's table is gone; the view stays
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
    assert {"sales", "sales_v2"} <= tables and "sales_v1" not in tables

    story = capsys.readouterr().out
    assert "  right after the reset: readers see 0 rows; lag 2003 events" in story.splitlines()
    assert_page_shows_real_output("projection.md", story)


def test_main_keeps_the_file_it_is_given_and_runs_on_it_again(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    database = tmp_path / "kept.sqlite3"
    monkeypatch.setattr(sys, "argv", ["projection", "--db", str(database)])
    main()
    main()
    story = capsys.readouterr().out.splitlines()
    assert f"Store: SQLite file {str(database)!r}" in story
    assert "  rebuilt from the whole log: the same rows again: True" in story
    assert story[-1] == "  version 1 stopped and its table dropped; version 2's lag: 0 events"
    assert "  right after the reset: readers see 0 rows; lag 4006 events" in story


def test_a_file_it_cannot_open_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["projection", "--db", str(tmp_path / "no" / "x.sqlite3")]
    error = one_line_exit(main, argv, monkeypatch, capsys)
    assert error.startswith("projection: Cannot open the SQLite event store")
