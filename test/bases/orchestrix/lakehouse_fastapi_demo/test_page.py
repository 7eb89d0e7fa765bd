"""The page as a person uses it: headless Chromium (Debian's package) driven by Playwright.

Load the page, upload a CSV file with the form, append it, run the quality checks, apply the
privacy rules, publish, and watch the timeline follow; a screenshot of the end is kept in
`test-artifacts/` (not committed).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from test.bases.orchestrix.lakehouse_fastapi_demo.conftest import CONTRACT, GOOD_CSV, ORDERS
from test.bases.orchestrix.lakehouse_fastapi_demo.test_uvicorn import serve
from test.conftest import running_in_ci

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        reason = "Chromium is not installed (apt-get install chromium)"
        if running_in_ci():
            pytest.fail(f"{reason}; page tests must not skip in CI", pytrace=False)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    yield from serve(tmp_path / "lake")


def test_upload_check_protect_and_publish_from_the_page(
    chromium: Path, server: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    httpx.post(f"{server}/api/datasets", json=ORDERS).raise_for_status()
    httpx.put(f"{server}/api/datasets/orders/contract", json=CONTRACT).raise_for_status()
    csv = tmp_path / "orders.csv"
    csv.write_text(GOOD_CSV)
    profile = tmp_path / "profile"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(chromium),
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(server)
            expect(page.locator("[data-dataset=orders]")).to_be_visible()
            expect(page.locator("#status")).to_contain_text("ready")

            page.select_option("#upload-dataset", "orders")
            page.set_input_files("#upload-file", str(csv))
            page.click("#upload-form button[type=submit]")
            timeline = page.locator("[data-testid=timeline]")
            expect(timeline).to_contain_text("File received: orders.csv")
            expect(page.locator("[data-dataset=orders] .state")).to_have_text("uploaded")

            for action, seen in (
                ("append", "Appended as a batch: 3 rows"),
                ("check", "Quality passed"),
                ("protect", "Privacy rules applied"),
                ("publish", "Published"),
            ):
                page.click(f"[data-action={action}]")
                expect(timeline).to_contain_text(seen)
            expect(page.locator("[data-testid=quality]")).to_contain_text("unique(email)")
            expect(page.locator("[data-dataset=orders] .state")).to_have_text("published")
            expect(page.locator("[data-action=consume]")).to_be_visible()
            assert timeline.locator("li").count() == 6
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "lakehouse-page.png"), full_page=True)
            assert errors == []
        finally:
            browser.close()
    shutil.rmtree(profile, ignore_errors=True)
