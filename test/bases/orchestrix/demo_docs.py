"""A demo's docs page shows an excerpt of what it prints; the excerpt must stay true."""

from __future__ import annotations

import re
from pathlib import Path

DEMO_PAGES = Path(__file__).resolve().parents[3] / "docs" / "demos"


def assert_page_shows_real_output(page: str, printed: str) -> None:
    """Every line of the page's ```text block, other than `...`, is a line the demo printed."""
    text = (DEMO_PAGES / page).read_text(encoding="utf-8")
    blocks = re.findall(r"```text\n(.*?)```", text, re.DOTALL)
    assert blocks, f"docs/demos/{page} shows no output"
    printed_lines = printed.splitlines()
    shown = [line for block in blocks for line in block.splitlines() if line.strip() != "..."]
    assert [line for line in shown if line not in printed_lines] == []
