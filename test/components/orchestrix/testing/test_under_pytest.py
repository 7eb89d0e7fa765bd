"""What a user sees when a scenario fails in their own pytest run: the diff, at their line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

USER_TEST = """
from dataclasses import dataclass

from orchestrix.core.eventsourcing.aggregate import AggregateRoot
from orchestrix.core.messaging.message import Event
from orchestrix.testing import AggregateScenario


@dataclass(frozen=True, kw_only=True)
class KettleFilled(Event):
    litres: float


@dataclass
class Kettle(AggregateRoot):
    def fill(self, litres: float) -> None:
        self._apply_event(KettleFilled(litres=litres))


def test_filling() -> None:
    scenario = AggregateScenario(Kettle, "K-1").when(lambda kettle: kettle.fill(1.5))
    scenario.then(KettleFilled(litres=1.7))
"""


def test_a_failing_scenario_reads_as_a_diff_at_the_users_line(tmp_path: Path) -> None:
    (tmp_path / "test_kettle.py").write_text(USER_TEST)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_kettle.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1
    report = result.stdout
    assert ">       scenario.then(KettleFilled(litres=1.7))" in report
    assert "E       - KettleFilled(litres=1.7)\nE       + KettleFilled(litres=1.5)" in report
    assert "E         event 1 (KettleFilled): litres: expected 1.7, got 1.5" in report
    assert "test_kettle.py:22: ScenarioAssertionError" in report
    assert "orchestrix/testing/" not in report  # the helpers' own frames are hidden
