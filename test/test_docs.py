"""The Python examples in README.md and docs/ run as written, so they cannot rot."""

from __future__ import annotations

import os
import re
import sys
import types
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from test.conftest import DEFAULT_POSTGRES_DSN, require_service

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
CODE_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def examples() -> list[tuple[str, str]]:
    found = []
    for document in DOCUMENTS:
        for number, block in enumerate(CODE_BLOCK.findall(document.read_text()), start=1):
            found.append((f"{document.relative_to(ROOT)}#{number}", block))
    return found


@pytest.mark.parametrize(("where", "code"), examples(), ids=[w for w, _ in examples()])
def test_example_runs(where: str, code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if "PostgreSQLEventStore(" in code:
        parts = urlsplit(os.environ.get("ORCHESTRIX_TEST_POSTGRES_DSN", DEFAULT_POSTGRES_DSN))
        require_service("PostgreSQL", parts.hostname or "127.0.0.1", parts.port or 5432)
    # Run as a real module: dataclasses look their module up in sys.modules.
    module = types.ModuleType(re.sub(r"\W", "_", f"docs_example_{where}"))
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(code, where, "exec"), module.__dict__)


def test_there_are_examples() -> None:
    assert examples(), "README.md should show at least one runnable example"
