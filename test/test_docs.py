"""The Python examples in README.md and docs/ run as written, so they cannot rot.

Every ```python block runs as a module of its own. An HTML comment right before a block, which
the site does not show but the Markdown source does, changes how it is tested:

- `<!-- docs-test: needs postgres -->`: the block runs against the test server. It reads
  `ORCHESTRIX_DSN` and `ORCHESTRIX_SCHEMA`, which point it at a schema of its own, dropped
  afterwards (skipped without a server, a failure in CI like every PostgreSQL test).
- `<!-- docs-test: needs rabbitmq -->`: the block runs against the test broker. It reads
  `ORCHESTRIX_AMQP_URL` and `ORCHESTRIX_AMQP_NAMESPACE`, a namespace of its own whose
  exchanges and queues are deleted afterwards (skipped without a broker, failing in CI).
  `needs postgres and rabbitmq` gives a block both.
- `<!-- docs-test: pending REASON -->`: the block shows an API that is not released yet. It
  still runs and must fail; the day it passes the test fails too, so the marker (and the note
  on the page) go with it. Reported as XFAIL with the reason.
- `<!-- docs-test: skip REASON -->`: the block cannot run in a test at all (say, a server that
  never returns). Reported as XFAIL [NOTRUN] with the reason.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import sys
import types
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from test.conftest import delete_rabbitmq_names

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
CODE_BLOCK = re.compile(
    r"(?:<!--\s*docs-test:\s*(?P<directive>.*?)\s*-->\s*\n)?```python\n(?P<code>.*?)```",
    re.DOTALL,
)
OPT_OUT = re.compile(r"(?P<kind>pending|skip)\s+(?P<reason>\S.*)", re.DOTALL)
NEEDS = re.compile(r"needs (?P<services>\w+(?: and \w+)*)")
SERVICES = frozenset({"postgres", "rabbitmq"})
NEEDS_POSTGRES = "needs postgres"
NEEDS_RABBITMQ = "needs rabbitmq"


@dataclass(frozen=True)
class Example:
    where: str
    code: str
    directive: str

    @property
    def needs(self) -> frozenset[str]:
        """The services the block runs against."""
        found = NEEDS.fullmatch(self.directive)
        return frozenset(found["services"].split(" and ")) if found else frozenset()

    def marks(self) -> list[pytest.MarkDecorator]:
        opt_out = OPT_OUT.fullmatch(self.directive)
        if opt_out is None:
            return []
        reason = f"docs-test {opt_out['kind']}: {opt_out['reason']}"
        if opt_out["kind"] == "skip":
            return [pytest.mark.xfail(run=False, reason=reason)]
        return [pytest.mark.xfail(strict=True, reason=f"{reason} (remove the marker once it runs)")]


def examples() -> list[Example]:
    found = []
    for document in DOCUMENTS:
        matches = CODE_BLOCK.finditer(document.read_text(encoding="utf-8"))
        for number, match in enumerate(matches, start=1):
            where = f"{document.relative_to(ROOT)}#{number}"
            found.append(Example(where, match["code"], match["directive"] or ""))
    return found


EXAMPLES = examples()


@pytest.mark.parametrize(
    "example", [pytest.param(e, id=e.where, marks=e.marks()) for e in EXAMPLES]
)
def test_example_runs(
    example: Example, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "postgres" in example.needs:
        dsn: str = request.getfixturevalue("postgres_dsn")
        schema = f"docs_{uuid.uuid4().hex[:16]}"
        monkeypatch.setenv("ORCHESTRIX_DSN", dsn)
        monkeypatch.setenv("ORCHESTRIX_SCHEMA", schema)
        request.addfinalizer(lambda: asyncio.run(_drop_schema(dsn, schema)))
    if "rabbitmq" in example.needs:
        url: str = request.getfixturevalue("rabbitmq_url")
        namespace = f"docs{uuid.uuid4().hex[:16]}"
        monkeypatch.setenv("ORCHESTRIX_AMQP_URL", url)
        monkeypatch.setenv("ORCHESTRIX_AMQP_NAMESPACE", namespace)
        request.addfinalizer(lambda: delete_rabbitmq_names(url, f"{namespace}."))
    # Run as a real module: dataclasses look their module up in sys.modules.
    module = types.ModuleType(re.sub(r"\W", "_", f"docs_example_{example.where}"))
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(example.code, example.where, "exec"), module.__dict__)


async def _drop_schema(dsn: str, schema: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await connection.close()


def test_there_are_examples() -> None:
    assert EXAMPLES, "README.md should show at least one runnable example"


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.where for e in EXAMPLES])
def test_every_marker_is_known_and_gives_a_reason(example: Example) -> None:
    known_needs = bool(example.needs) and example.needs <= SERVICES
    assert not example.directive or known_needs or OPT_OUT.fullmatch(example.directive), (
        f"{example.where}: unknown docs-test marker {example.directive!r}"
    )


def test_blocks_that_use_postgres_say_so() -> None:
    """Without the marker a block would reach a real database outside a throw-away schema."""
    unmarked = [
        e.where
        for e in EXAMPLES
        if ("ORCHESTRIX_DSN" in e.code or "PostgreSQLEventStore" in e.code)
        and "postgres" not in e.needs
    ]
    assert not unmarked, f"add <!-- docs-test: {NEEDS_POSTGRES} --> before: {unmarked}"


def test_blocks_that_use_rabbitmq_say_so() -> None:
    """Without the marker a block would use the broker outside a namespace of its own."""
    unmarked = [
        e.where for e in EXAMPLES if "ORCHESTRIX_AMQP_" in e.code and "rabbitmq" not in e.needs
    ]
    assert not unmarked, f"add <!-- docs-test: {NEEDS_RABBITMQ} --> before: {unmarked}"


def test_python_blocks_use_the_python_fence() -> None:
    """A block fenced as `py` or `python3` would silently escape these tests."""
    other = re.compile(r"^```(?:py|py3|python3|pycon)\s*$", re.MULTILINE)
    offenders = [str(d.relative_to(ROOT)) for d in DOCUMENTS if other.search(d.read_text())]
    assert not offenders, f"fence Python code as ```python in: {offenders}"


def test_the_readme_opens_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```sh\n(.*?)```", readme, re.DOTALL)
    assert first_block is not None and readme.index("```sh") < readme.index("\n## ")
    commands = [line.split("#")[0].strip() for line in first_block[1].splitlines()]
    assert commands == ["uv run python -m orchestrix.banking_demo", "uv run pytest"]


def test_the_readme_links_point_at_files() -> None:
    prose = re.sub(r"```.*?```", "", (ROOT / "README.md").read_text(), flags=re.DOTALL)
    links = re.findall(r"\]\(((?!https?://)[^)#]+)", prose)
    assert links
    assert [link for link in links if not (ROOT / link).exists()] == []


PUBLIC_PACKAGES = (
    "orchestrix.core.messaging",
    "orchestrix.core.eventsourcing",
    "orchestrix.core.common",
    "orchestrix.core.execution",
    "orchestrix.infrastructure.memory",
    "orchestrix.infrastructure.sqlite",
    "orchestrix.infrastructure.postgres",
    "orchestrix.infrastructure.rabbitmq",
    "orchestrix.infrastructure.observability",
    "orchestrix.testing",
)


def test_the_api_reference_covers_every_public_name() -> None:
    """Each name a package exports is documented: its module has a `:::` entry in
    docs/reference/, or a documented module re-exports it in its `__all__`."""
    entries = {
        match
        for page in (ROOT / "docs" / "reference").glob("*.md")
        for match in re.findall(r"^::: ([\w.]+)$", page.read_text(), re.MULTILINE)
    }
    reexported = {
        (module, name)
        for module in entries
        for name in getattr(importlib.import_module(module), "__all__", ())
    }
    undocumented = []
    for package_name in PUBLIC_PACKAGES:
        package = importlib.import_module(package_name)
        for name in package.__all__:
            module = getattr(getattr(package, name), "__module__", "") or ""
            if not module.startswith("orchestrix.") or module in entries:
                continue
            if not any((documented, name) in reexported for documented in entries):
                undocumented.append(f"{package_name}.{name} (defined in {module})")
    assert not undocumented, f"add their modules to docs/reference/: {undocumented}"
