"""Fixtures for the lakehouse tests: the app on a fresh data directory, a client, and steps.

`lake` is an httpx client bound to the app (its lifespan runs: backend opened, projection
started); `LakeSteps` drives the process the way a person or a script would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from orchestrix.lakehouse_fastapi_demo import Lakehouse, Settings, create_app

SECRET = b"test-secret-of-the-lakehouse-0123456789"

ORDERS = {
    "name": "orders",
    "subject_column": "customer_id",
    "columns": [
        {"name": "customer_id", "personal": True, "treatment": "hash"},
        {"name": "email", "personal": True},
        {"name": "age", "type": "integer", "personal": True, "treatment": "generalise"},
        {"name": "amount", "type": "decimal"},
    ],
}
CONTRACT = {
    "owner": "sales",
    "retention_days": 30,
    "rules": [
        {"kind": "not_null", "column": "email"},
        {"kind": "range", "column": "age", "minimum": 0, "maximum": 130},
        {"kind": "unique", "column": "email"},
    ],
}
GOOD_CSV = (
    "customer_id,email,age,amount\n"
    "C-1,ada@example.com,37,12.50\n"
    "C-2,bob@example.com,45,3.10\n"
    "C-3,cy@example.com,29,7.00\n"
)


@dataclass
class LakeSteps:
    """The lakehouse's process, step by step, through its HTTP API."""

    client: httpx.AsyncClient

    async def ok(self, method: str, url: str, status: int = 200, **options: Any) -> Any:
        response = await self.client.request(method, url, **options)
        assert response.status_code == status, response.text
        return response.json()

    async def orders(self, contract: bool = True) -> None:
        await self.ok("POST", "/api/datasets", 201, json=ORDERS)
        if contract:
            await self.ok("PUT", "/api/datasets/orders/contract", json=CONTRACT)

    async def upload(self, csv: str | bytes = GOOD_CSV, dataset: str = "orders") -> str:
        ticket = await self.ok("POST", f"/api/datasets/{dataset}/uploads", 201)
        content = csv.encode() if isinstance(csv, str) else csv
        await self.ok("PUT", ticket["upload_url"] + "&filename=orders.csv", 201, content=content)
        return str(ticket["batch_id"])

    async def step(self, batch_id: str, action: str, status: int = 200, **body: Any) -> Any:
        options: dict[str, Any] = {"json": body} if body else {}
        return await self.ok("POST", f"/api/batches/{batch_id}/{action}", status, **options)

    async def published(self, csv: str = GOOD_CSV) -> str:
        batch_id = await self.upload(csv)
        for action in ("append", "quality", "privacy", "publish"):
            await self.step(batch_id, action)
        return batch_id


def settings_for(folder: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=folder, secret=SECRET, **overrides)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path / "lake", max_upload_bytes=64 * 1024)


@pytest.fixture
async def service(settings: Settings) -> Lakehouse:
    return Lakehouse(settings)


@pytest.fixture
async def client(settings: Settings, service: Lakehouse) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, lakehouse=service)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lake") as client:
            yield client


@pytest.fixture
def lake(client: httpx.AsyncClient) -> LakeSteps:
    return LakeSteps(client)
