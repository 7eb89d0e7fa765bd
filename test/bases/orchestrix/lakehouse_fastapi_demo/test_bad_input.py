"""Bad input: each refusal has its status and says why, and nothing is stored.

"Nothing stored" is checked the same way every time: the event log and the files in the
storage directory are exactly what they were before the refused request.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from orchestrix.lakehouse_fastapi_demo import Lakehouse
from orchestrix.lakehouse_fastapi_demo.handlers import upload_path
from test.bases.orchestrix.lakehouse_fastapi_demo.conftest import ORDERS, LakeSteps


async def stored(service: Lakehouse) -> tuple[int, list[str]]:
    """How many events the log holds, and every file the storage keeps."""
    events = [recorded async for recorded in service.backend.store.read_all()]
    files = service.storage.files()  # type: ignore[attr-defined]
    return len(events), files


@pytest.fixture
async def ready(lake: LakeSteps) -> LakeSteps:
    await lake.orders()
    return lake


async def refused(
    lake: LakeSteps, service: Lakehouse, status: int, method: str, url: str, **options: Any
) -> dict[str, Any]:
    before = await stored(service)
    response = await lake.client.request(method, url, **options)
    assert response.status_code == status, response.text
    assert await stored(service) == before, "a refused request stored something"
    body: dict[str, Any] = response.json()
    return body


def field_of(body: dict[str, Any]) -> list[str]:
    return [".".join(str(part) for part in error["loc"][1:]) for error in body["detail"]]


# --- 422: wrong JSON names the field -----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "orders"}, "columns"),
        ({"name": "orders", "columns": []}, "columns"),
        ({"name": "orders", "columns": [{"name": "a", "type": "uuid"}]}, "columns.0.type"),
        ({"name": "orders", "columns": [{"name": "a"}], "colour": "red"}, "colour"),
        ({"name": 7, "columns": [{"name": "a"}]}, "name"),
        ({"name": "Orders!", "columns": [{"name": "a"}]}, "name"),
        ({"name": "orders", "columns": [{"name": "a"}, {"name": "a"}]}, "columns.1.name"),
        ({"name": "orders", "columns": [{"name": "a;drop"}]}, "columns.0.name"),
        ({"name": "orders", "columns": [{"name": "a", "personal": True}]}, "subject_column"),
        ({"name": "orders", "columns": [{"name": "a"}], "subject_column": "b"}, "subject_column"),
        (
            {"name": "orders", "columns": [{"name": "a", "treatment": "hash"}]},
            "columns.0.treatment",
        ),
    ],
)
async def test_a_wrong_dataset_body_is_a_422_naming_the_field(
    lake: LakeSteps, service: Lakehouse, body: dict[str, Any], field: str
) -> None:
    answer = await refused(lake, service, 422, "POST", "/api/datasets", json=body)
    assert field in field_of(answer)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"owner": "sales", "retention_days": "thirty"}, "retention_days"),
        ({"owner": "", "retention_days": 30}, "owner"),
        ({"owner": "sales", "retention_days": 0}, "retention_days"),
        (
            {"owner": "sales", "retention_days": 30, "rules": [{"kind": "fancy", "column": "age"}]},
            "rules.0.kind",
        ),
        (
            {"owner": "sales", "retention_days": 30, "rules": [{"kind": "unique", "column": "x"}]},
            "rules.0.column",
        ),
        (
            {
                "owner": "sales",
                "retention_days": 30,
                "rules": [{"kind": "range", "column": "email", "minimum": 1}],
            },
            "rules.0.column",
        ),
        (
            {
                "owner": "sales",
                "retention_days": 30,
                "rules": [{"kind": "range", "column": "age", "minimum": 9, "maximum": 1}],
            },
            "rules.0.minimum",
        ),
    ],
)
async def test_a_wrong_contract_is_a_422_naming_the_field(
    ready: LakeSteps, service: Lakehouse, body: dict[str, Any], field: str
) -> None:
    answer = await refused(ready, service, 422, "PUT", "/api/datasets/orders/contract", json=body)
    assert field in field_of(answer)


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("quarantine", {}, "reason"),
        ("quarantine", {"reason": ""}, "reason"),
        ("consume", {"consumer": "   "}, "consumer"),
        ("consume", {"consumer": "bi", "copies": 2}, "copies"),
    ],
)
async def test_a_wrong_step_body_is_a_422_naming_the_field(
    ready: LakeSteps, service: Lakehouse, action: str, body: dict[str, Any], field: str
) -> None:
    batch_id = await ready.published()
    url = f"/api/batches/{batch_id}/{action}"
    answer = await refused(ready, service, 422, "POST", url, json=body)
    assert field in field_of(answer)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject_id": "C-1"}, "requested_by"),
        ({"subject_id": "", "requested_by": "dpo"}, "subject_id"),
        ({"subject_id": ["C-1"], "requested_by": "dpo"}, "subject_id"),
        ({"subject_id": "C-1", "requested_by": "dpo", "reason": "x" * 501}, "reason"),
    ],
)
async def test_a_wrong_erasure_request_is_a_422_naming_the_field(
    ready: LakeSteps, service: Lakehouse, body: dict[str, Any], field: str
) -> None:
    answer = await refused(ready, service, 422, "POST", "/api/erasures", json=body)
    assert field in field_of(answer)


async def test_a_body_that_is_not_json_is_a_422(lake: LakeSteps, service: Lakehouse) -> None:
    await refused(
        lake,
        service,
        422,
        "POST",
        "/api/datasets",
        content=b"{name: orders",
        headers={"Content-Type": "application/json"},
    )


async def test_a_malformed_checkpoint_to_wait_for_is_a_422(ready: LakeSteps) -> None:
    response = await ready.client.get("/api/datasets?after=latest")
    assert response.status_code == 422 and field_of(response.json()) == ["after"]


# --- 404: unknown dataset, batch or request ---------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/api/datasets/nope", None),
        ("GET", "/api/datasets/nope/events", None),
        ("PUT", "/api/datasets/nope/contract", {"owner": "x", "retention_days": 1}),
        ("POST", "/api/datasets/nope/uploads", None),
        ("POST", "/api/datasets/nope/replay", None),
        ("GET", "/api/batches/B-000000000000", None),
        ("GET", "/api/batches/B-000000000000/events", None),
        ("POST", "/api/batches/B-000000000000/append", None),
        ("POST", "/api/batches/B-000000000000/publish", None),
        ("POST", "/api/batches/not-a-batch-id/quality", None),
        ("POST", "/api/batches/B-000000000000/consume", {"consumer": "x"}),
        ("GET", "/api/erasures/ER-000000000000", None),
        ("POST", "/api/erasures/ER-000000000000/approve", {"approved_by": "x"}),
        ("POST", "/api/erasures/ER-000000000000/run", None),
    ],
)
async def test_unknown_things_are_404(
    ready: LakeSteps, service: Lakehouse, method: str, url: str, body: Any
) -> None:
    options = {} if body is None else {"json": body}
    answer = await refused(ready, service, 404, method, url, **options)
    assert answer["detail"].startswith("no ")


# --- 409: a step the state does not allow, with the state --------------------------------------


async def test_consuming_before_publishing_is_a_409_with_the_state(
    ready: LakeSteps, service: Lakehouse
) -> None:
    batch_id = await ready.upload()
    await ready.step(batch_id, "append")
    await ready.step(batch_id, "quality")
    answer = await refused(
        ready, service, 409, "POST", f"/api/batches/{batch_id}/consume", json={"consumer": "bi"}
    )
    assert (answer["state"], answer["action"]) == ("checked", "consume")
    assert answer["allowed"] == ["protect", "quarantine"]


async def test_publishing_a_quarantined_batch_is_a_409_with_the_state(
    ready: LakeSteps, service: Lakehouse
) -> None:
    batch_id = await ready.upload()
    await ready.step(batch_id, "append")
    await ready.step(batch_id, "quarantine", reason="bad source")
    answer = await refused(ready, service, 409, "POST", f"/api/batches/{batch_id}/publish")
    assert answer["state"] == "quarantined"


async def test_steps_out_of_order_are_409(ready: LakeSteps, service: Lakehouse) -> None:
    ticket = await ready.ok("POST", "/api/datasets/orders/uploads", 201)
    batch_id = ticket["batch_id"]
    for action in ("append", "quality", "privacy", "publish"):
        answer = await refused(ready, service, 409, "POST", f"/api/batches/{batch_id}/{action}")
        assert answer["state"] == "awaiting_upload"
    await ready.ok("PUT", ticket["upload_url"], 201, content=b"customer_id\n")
    again = await refused(ready, service, 409, "PUT", ticket["upload_url"], content=b"other\n")
    assert again["state"] == "uploaded"
    assert service.storage.files() == [f"raw/orders/{batch_id}.csv"]  # type: ignore[attr-defined]


async def test_registering_a_dataset_twice_is_a_409(ready: LakeSteps, service: Lakehouse) -> None:
    await refused(ready, service, 409, "POST", "/api/datasets", json=ORDERS)


async def test_an_erasure_approved_by_its_requester_or_run_unapproved_is_refused(
    ready: LakeSteps, service: Lakehouse
) -> None:
    erasure = await ready.ok(
        "POST", "/api/erasures", 201, json={"subject_id": "C-1", "requested_by": "dpo"}
    )
    url = f"/api/erasures/{erasure['request_id']}"
    answer = await refused(
        ready, service, 422, "POST", f"{url}/approve", json={"approved_by": "dpo"}
    )
    assert field_of(answer) == ["approved_by"]
    answer = await refused(ready, service, 409, "POST", f"{url}/run")
    assert answer["state"] == "planned"
    answer = await refused(ready, service, 409, "POST", f"{url}/verify")
    assert answer["allowed"] == ["approve"]


# --- 403: forged or expired signatures ---------------------------------------------------------


@pytest.fixture
async def ticket(ready: LakeSteps) -> dict[str, Any]:
    answer: dict[str, Any] = await ready.ok("POST", "/api/datasets/orders/uploads", 201)
    return answer


def with_query(url: str, **replace: str) -> str:
    path, _, query = url.partition("?")
    parts = dict(pair.split("=", 1) for pair in query.split("&"))
    parts.update(replace)
    return path + "?" + "&".join(f"{k}={v}" for k, v in parts.items())


async def test_a_forged_signature_is_a_403(
    ready: LakeSteps, service: Lakehouse, ticket: dict[str, Any]
) -> None:
    url = ticket["upload_url"]
    forged = with_query(url, signature="0" * 64)
    await refused(ready, service, 403, "PUT", forged, content=b"customer_id\n")
    later = with_query(url, expires=str(int(time.time()) + 10**6))  # extended by hand
    await refused(ready, service, 403, "PUT", later, content=b"customer_id\n")
    unsigned = url.partition("?")[0]
    await refused(ready, service, 403, "PUT", unsigned, content=b"customer_id\n")
    other = await ready.ok("POST", "/api/datasets/orders/uploads", 201)
    elsewhere = other["upload_url"].partition("?")[0] + "?" + url.partition("?")[2]
    await refused(ready, service, 403, "PUT", elsewhere, content=b"customer_id\n")


async def test_an_expired_signature_is_a_403(
    ready: LakeSteps, service: Lakehouse, ticket: dict[str, Any]
) -> None:
    expired = service.signer.sign("PUT", upload_path(ticket["batch_id"]), int(time.time()) - 1)
    answer = await refused(ready, service, 403, "PUT", expired, content=b"customer_id\n")
    assert "expired" in answer["detail"]


async def test_a_download_url_only_downloads(ready: LakeSteps, service: Lakehouse) -> None:
    batch_id = await ready.published()
    consumed = await ready.step(batch_id, "consume", consumer="bi")
    await refused(
        ready, service, 403, "PUT", consumed["download_url"].replace("download", "upload")
    )
    await refused(
        ready, service, 403, "GET", with_query(consumed["download_url"], signature="f" * 64)
    )


# --- 400 / 413: file names and sizes ---------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "/etc/passwd", "a/b.csv", "..", "x\\..\\y.csv", ".hidden", ""]
)
async def test_a_path_as_file_name_is_a_400(
    ready: LakeSteps, service: Lakehouse, ticket: dict[str, Any], name: str
) -> None:
    url = f"{ticket['upload_url']}&filename={name}"
    await refused(ready, service, 400, "PUT", url, content=b"customer_id\n")
    batch = await ready.ok("GET", f"/api/batches/{ticket['batch_id']}")
    assert batch["state"] == "awaiting_upload"


async def test_an_oversized_upload_is_a_413_declared_or_streamed(
    ready: LakeSteps, service: Lakehouse, ticket: dict[str, Any]
) -> None:
    limit = service.settings.max_upload_bytes
    too_big = b"customer_id\n" + b"C-1\n" * (limit // 4)
    answer = await refused(ready, service, 413, "PUT", ticket["upload_url"], content=too_big)
    assert answer["limit"] == limit

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(limit // 1024 + 2):
            yield b"x" * 1024

    await refused(ready, service, 413, "PUT", ticket["upload_url"], content=streamed())
    assert list((service.settings.files_dir / ".incoming").iterdir()) == []
    await ready.ok("PUT", ticket["upload_url"], 201, content=b"customer_id\n")  # still usable


# --- a CSV that does not match the schema: a failed result, never a 500 -------------------------


@pytest.mark.parametrize(
    ("csv", "detail"),
    [
        (b"id,mail\n1,a@b\n", "header does not match"),
        (b"", "empty"),
        (b"customer_id,email,age,amount\nC-1,a@b.c,old,1\n", "age is not integer"),
        (b"customer_id,email,age,amount\nC-1,a@b.c,3,1.2.3\n", "amount is not decimal"),
        (b"customer_id,email,age,amount\nC-1,a@b.c\n", "has 2 cells"),
        (b"customer_id,email,age,amount\nC-1,\xff\xfe,3,1\n", "unreadable"),
        (b'customer_id,email,age,amount\nC-1,"a@b.c,3,1\n', "unreadable"),
    ],
)
async def test_a_csv_that_does_not_match_is_a_failed_quality_result(
    ready: LakeSteps, csv: bytes, detail: str
) -> None:
    batch_id = await ready.upload(csv)
    await ready.step(batch_id, "append")
    batch = await ready.step(batch_id, "quality")
    assert batch["state"] == "failed_quality"
    schema = batch["quality"][0]
    assert schema["rule"] == "schema" and not schema["passed"] and detail in schema["detail"]
    assert batch["next_actions"] == ["quarantine"]


async def test_rule_failures_name_rows_never_values(ready: LakeSteps) -> None:
    csv = (
        "customer_id,email,age,amount\n"
        "C-1,ada@example.com,37,1\n"
        "C-2,,200,1\n"
        "C-3,ada@example.com,-1,1\n"
    )
    batch_id = await ready.upload(csv)
    await ready.step(batch_id, "append")
    batch = await ready.step(batch_id, "quality")
    results = {r["rule"]: r for r in batch["quality"]}
    assert results["schema"]["passed"]
    assert results["not_null(email)"]["examples"] == [2]
    assert results["range(age)"]["examples"] == [2, 3]
    assert results["unique(email)"]["examples"] == [3]
    assert "ada@example.com" not in str(batch["quality"])


async def test_sql_looking_text_is_stored_as_plain_data(ready: LakeSteps) -> None:
    batch_id = await ready.published()
    consumer = "x'); DROP TABLE lake_batches; --"
    consumed = await ready.step(batch_id, "consume", consumer=consumer)
    assert consumed["consumers"] == {consumer: 1}
    assert (await ready.ok("GET", f"/api/batches/{batch_id}"))["consumers"] == {consumer: 1}
