"""A demo's docs page shows an excerpt of what it prints; the excerpt must stay true."""

from __future__ import annotations

import re
from pathlib import Path

DEMO_PAGES = Path(__file__).resolve().parents[3] / "docs" / "demos"
# What differs from run to run: message ids (whole or their first 8 digits) and timestamps.
_UUID = re.compile(r"\b[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\b|\b[0-9a-f]{8}\b")
_BLOCK = re.compile(
    r"(?:<!--\s*demo-output:\s*(?P<run>[\w-]+)\s*-->\s*\n)?```text\n(?P<text>.*?)```", re.DOTALL
)
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?\+00:00")


def _steady(line: str) -> str:
    return _TIMESTAMP.sub("<time>", _UUID.sub("<id>", line))


def assert_page_shows_real_output(page: str, printed: str, run: str | None = None) -> None:
    """Every line of the page's ```text blocks, other than `...`, is a line the demo printed
    (ids and timestamps aside, which change with every run).

    A page showing several kinds of run marks the blocks of one with `<!-- demo-output: RUN
    -->` on the line before; `run` picks those, None the unmarked ones.
    """
    text = (DEMO_PAGES / page).read_text(encoding="utf-8")
    blocks = [found["text"] for found in _BLOCK.finditer(text) if found["run"] == run]
    assert blocks, f"docs/demos/{page} shows no output of {run or 'the demo'}"
    printed_lines = {_steady(line) for line in printed.splitlines()}
    shown = [line for block in blocks for line in block.splitlines() if line.strip() != "..."]
    assert [line for line in shown if _steady(line) not in printed_lines] == []
