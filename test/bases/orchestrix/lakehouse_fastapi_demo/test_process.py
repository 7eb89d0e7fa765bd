"""The whole process through httpx against the app, plus what each part leaves behind."""

from __future__ import annotations

import asyncio
import sqlite3

from orchestrix.lakehouse_fastapi_demo import Lakehouse
from test.bases.orchestrix.lakehouse_fastapi_demo.conftest import GOOD_CSV, LakeSteps
from test.bases.orchestrix.lakehouse_fastapi_demo.scenario import whole_process


async def test_the_whole_process_through_the_api(lake: LakeSteps, service: Lakehouse) -> None:
    await whole_process(lake)
    raw = sorted(p for p in service.settings.files_dir.rglob("*.csv"))
    assert [p.relative_to(service.settings.files_dir).parts[0] for p in raw] == [
        "published",
        "raw",
    ]
    assert "C-1" not in raw[1].read_text() and "C-2" in raw[1].read_text()
    assert not (service.settings.files_dir / "erasure-backups").exists() or not any(
        (service.settings.files_dir / "erasure-backups").rglob("*.csv")
    )


async def test_everything_lives_in_one_sqlite_file_by_default(
    lake: LakeSteps, service: Lakehouse
) -> None:
    await lake.orders()
    await lake.published()
    with sqlite3.connect(service.settings.sqlite_path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        batches = connection.execute("SELECT count(*) FROM lake_batches").fetchone()[0]
    assert {"lake_batches", "lake_datasets", "lake_events", "lake_erasures"} <= tables
    assert batches == 1


async def test_a_dataset_without_personal_columns_publishes_after_the_checks(
    lake: LakeSteps,
) -> None:
    await lake.ok(
        "POST",
        "/api/datasets",
        201,
        json={"name": "prices", "columns": [{"name": "sku"}, {"name": "price", "type": "decimal"}]},
    )
    batch_id = await lake.upload("sku,price\nA,1.50\nB,2\n", dataset="prices")
    await lake.step(batch_id, "append")
    checked = await lake.step(batch_id, "quality")
    assert checked["next_actions"] == ["publish", "quarantine"]
    published = await lake.step(batch_id, "publish")
    consumed = await lake.step(batch_id, "consume", consumer="shop")
    assert published["state"] == "published"
    assert (await lake.client.get(consumed["download_url"])).text == "sku,price\nA,1.50\nB,2\n"


async def test_a_quarantined_batch_stays_out_of_reach(lake: LakeSteps) -> None:
    await lake.orders()
    batch_id = await lake.upload()
    await lake.step(batch_id, "append")
    quarantined = await lake.step(batch_id, "quarantine", reason="values look made up")
    assert (quarantined["state"], quarantined["next_actions"]) == ("quarantined", [])
    assert quarantined["quarantine_reason"] == "values look made up"


async def test_reads_after_a_checkpoint_wait_for_it(lake: LakeSteps) -> None:
    await lake.orders()
    created = await lake.ok("POST", "/api/datasets/orders/uploads", 201)
    batch = await lake.ok(
        "GET", f"/api/batches/{created['batch_id']}?after={created['checkpoint']}"
    )
    assert batch["state"] == "awaiting_upload"


async def test_health_readiness_metrics_and_local_docs(lake: LakeSteps, service: Lakehouse) -> None:
    assert await lake.ok("GET", "/healthz") == {"status": "ok"}
    ready = await lake.ok("GET", "/readyz")
    assert ready["status"] == "ready" and ready["projection"] in {"catching_up", "live"}
    await asyncio.wait_for(service.backend.runner.wait_caught_up(), timeout=30)
    assert (await lake.ok("GET", "/readyz"))["projection"] == "live"
    await lake.orders()
    await lake.upload(GOOD_CSV)
    metrics = await lake.client.get("/metrics")
    assert metrics.status_code == 200
    assert "orchestrix_core_storage_operations_total" in metrics.text
    docs = await lake.client.get("/docs")
    assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text
    assert "http" not in docs.text.split("<body>")[0].replace("http-equiv", "")
    script = await lake.client.get("/docs-assets/swagger-ui-bundle.js")
    assert script.status_code == 200
    schema = await lake.ok("GET", "/openapi.json")
    assert "/api/batches/{batch_id}/publish" in schema["paths"]
    page = await lake.client.get("/")
    assert page.status_code == 200 and "<title>Orchestrix lakehouse</title>" in page.text
    assert "//" not in "".join(
        line for line in page.text.splitlines() if "src=" in line or "href=" in line
    ).replace("/static/", "")
