"""The whole process, once, as one scenario: run against the app in process, through a real
uvicorn server, and on PostgreSQL."""

from __future__ import annotations

from test.bases.orchestrix.lakehouse_fastapi_demo.conftest import LakeSteps


async def whole_process(lake: LakeSteps) -> None:
    """Register, contract, upload, append, check, protect, publish, consume, list events,
    replay, and erase a data subject (dry run, approve, run, verify)."""
    await lake.orders()
    dataset = await lake.ok("GET", "/api/datasets/orders")
    assert dataset["contract"]["retention_days"] == 30
    assert [c["name"] for c in dataset["columns"] if c["personal"]] == [
        "customer_id",
        "email",
        "age",
    ]

    batch_id = await lake.upload()
    batch = await lake.step(batch_id, "append")
    assert (batch["state"], batch["rows"]) == ("appended", 3)  # read your own write
    batch = await lake.step(batch_id, "quality")
    assert batch["state"] == "checked"
    assert [(r["rule"], r["passed"]) for r in batch["quality"]] == [
        ("schema", True),
        ("not_null(email)", True),
        ("range(age)", True),
        ("unique(email)", True),
    ]
    assert batch["next_actions"] == ["protect", "quarantine"]
    batch = await lake.step(batch_id, "privacy")
    assert {t["column"]: t["treatment"] for t in batch["treatments"]} == {
        "customer_id": "hash",
        "email": "mask",
        "age": "generalise",
    }
    batch = await lake.step(batch_id, "publish")
    assert batch["state"] == "published"

    consumed = await lake.step(batch_id, "consume", consumer="analytics")
    await lake.step(batch_id, "consume", consumer="analytics")
    consumed = await lake.step(batch_id, "consume", consumer="finance")
    assert consumed["consumers"] == {"analytics": 2, "finance": 1}
    download = await lake.client.get(consumed["download_url"])
    assert download.status_code == 200
    published = download.text.splitlines()
    assert published[0] == "customer_id,email,age,amount"
    assert published[1].split(",")[1:] == ["a***@example.com", "30-39", "12.50"]
    assert "ada@example.com" not in download.text and "C-1" not in download.text

    events = await lake.ok("GET", f"/api/batches/{batch_id}/events")
    assert [event["summary"].split(":")[0] for event in events] == [
        "Upload URL issued",
        "File received",
        "Appended as a batch",
        "Quality passed",
        "Privacy rules applied",
        "Published",
        "Consumed by analytics",
        "Consumed by analytics",
        "Consumed by finance",
    ]
    dataset_events = await lake.ok("GET", "/api/datasets/orders/events")
    assert len(dataset_events) == 2 + len(events)

    replayed = await lake.ok("POST", "/api/datasets/orders/replay")
    assert replayed["matches_live"] is True
    # The register's three events (one per data subject) are not on the timeline.
    assert replayed["event_count"] == len(dataset_events) + 3 == len(replayed["events"]) + 3
    assert replayed["batches"][0]["consumers"] == {"analytics": 2, "finance": 1}

    report = await lake.ok("GET", "/api/subjects/C-1")
    assert report["erased"] is False
    assert report["records"] == [
        {
            "dataset": "orders",
            "batch_id": batch_id,
            "rows": [1],
            "erased_at": None,
            "values": [{"email": "ada@example.com", "age": "37"}],
        }
    ]

    erasure = await lake.ok(
        "POST", "/api/erasures", 201, json={"subject_id": "C-1", "requested_by": "dpo"}
    )
    request_id = erasure["request_id"]
    assert erasure["state"] == "planned"
    assert erasure["found"] == [{"dataset": "orders", "batch_id": batch_id, "rows": [1]}]
    approved = await lake.ok(
        "POST", f"/api/erasures/{request_id}/approve", json={"approved_by": "legal"}
    )
    assert approved["state"] == "approved"
    ran = await lake.ok("POST", f"/api/erasures/{request_id}/run")
    assert (ran["state"], ran["rows_removed"], ran["keys_erased"]) == ("executed", 1, True)
    verified = await lake.ok("POST", f"/api/erasures/{request_id}/verify")
    assert (verified["state"], verified["clean"], verified["findings"]) == ("verified", True, [])
    batch = await lake.ok("GET", f"/api/batches/{batch_id}")
    assert batch["rows"] == 2
    report = await lake.ok("GET", "/api/subjects/C-1")
    assert report["erased"] is True and report["records"][0]["values"] is None
    other = await lake.ok("GET", "/api/subjects/C-2")
    assert other["records"][0]["values"] == [{"email": "bob@example.com", "age": "45"}]
    again = await lake.client.get(consumed["download_url"])
    assert len(again.text.splitlines()) == 3  # header and the two other subjects
    timeline = await lake.ok("GET", f"/api/erasures/{request_id}/events")
    assert [event["type"] for event in timeline] == [
        "lakehouse.ErasureRequested",
        "lakehouse.ErasureApproved",
        "lakehouse.SubjectRowsRemoved",
        "lakehouse.ErasureExecuted",
        "lakehouse.ErasureVerified",
    ]
