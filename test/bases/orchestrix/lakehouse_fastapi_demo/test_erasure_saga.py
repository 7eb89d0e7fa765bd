"""The erasure run as a saga: a failing step puts the files back and leaves the request
approved; a run cut short by the process dying is resumed when the service starts again."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx

from orchestrix.lakehouse_fastapi_demo import Lakehouse, Settings, create_app
from orchestrix.lakehouse_fastapi_demo.models import RunErasure
from test.bases.orchestrix.lakehouse_fastapi_demo.conftest import LakeSteps, settings_for


class ProcessDied(BaseException):
    """Stands for the process dying: nothing after it runs, not even compensation."""


class FlakyLakehouse(Lakehouse):
    """Its key erasure fails (or kills the process) as many times as asked."""

    def __init__(self, settings: Settings, failures: int, fatal: bool = False) -> None:
        super().__init__(settings)
        self.failures, self.fatal = failures, fatal

    async def _erase_keys(self, subject_id: str, reason: str) -> bool:
        if self.failures:
            self.failures -= 1
            if self.fatal:
                raise ProcessDied
            raise ConnectionError("key store unreachable")
        return await super()._erase_keys(subject_id, reason)


async def approved_erasure(lake: LakeSteps) -> tuple[str, str]:
    await lake.orders()
    batch_id = await lake.published()
    erasure = await lake.ok(
        "POST", "/api/erasures", 201, json={"subject_id": "C-2", "requested_by": "dpo"}
    )
    request_id = erasure["request_id"]
    await lake.ok("POST", f"/api/erasures/{request_id}/approve", json={"approved_by": "legal"})
    return batch_id, request_id


def files_of(service: Lakehouse) -> dict[str, bytes]:
    root = service.settings.files_dir
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.csv"))}


async def test_a_failed_run_restores_the_files_and_can_be_run_again(tmp_path: Path) -> None:
    service = FlakyLakehouse(settings_for(tmp_path / "lake"), failures=1)
    app = create_app(service.settings, lakehouse=service)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lake") as client:
            lake = LakeSteps(client)
            batch_id, request_id = await approved_erasure(lake)
            before = files_of(service)
            failed = await client.post(f"/api/erasures/{request_id}/run")
            assert failed.status_code == 503 and "rolled back" in failed.json()["detail"]
            assert files_of(service) == before  # the rows are back, the copies gone
            assert (await lake.ok("GET", f"/api/erasures/{request_id}"))["state"] == "approved"
            ran = await lake.ok("POST", f"/api/erasures/{request_id}/run")
            assert ran["rows_removed"] == 1
            raw = files_of(service)[f"raw/orders/{batch_id}.csv"]
            assert b"C-2" not in raw and b"C-1" in raw


async def test_a_run_cut_short_resumes_when_the_service_starts_again(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "lake")
    dying = FlakyLakehouse(settings, failures=1, fatal=True)
    app = create_app(settings, lakehouse=dying)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lake") as client:
            lake = LakeSteps(client)
            batch_id, request_id = await approved_erasure(lake)
            with contextlib.suppress(ProcessDied):
                await dying.run_erasure(RunErasure(request_id=request_id))
    # The rows were removed before the process died; the run was never recorded.
    assert b"C-2" not in files_of(dying)[f"raw/orders/{batch_id}.csv"]

    restarted = Lakehouse(settings)  # a new process on the same data directory
    app = create_app(settings, lakehouse=restarted)
    async with app.router.lifespan_context(app):  # start-up resumes the saga
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lake") as client:
            lake = LakeSteps(client)
            erasure = await lake.ok("GET", f"/api/erasures/{request_id}")
            for _ in range(100):  # the read model follows the recovered run's events
                if erasure["state"] == "executed":
                    break
                await asyncio.sleep(0.05)
                erasure = await lake.ok("GET", f"/api/erasures/{request_id}")
            assert (erasure["state"], erasure["rows_removed"]) == ("executed", 1)
            verified = await lake.ok("POST", f"/api/erasures/{request_id}/verify")
            assert verified["clean"] is True
    assert not any((settings.files_dir / "erasure-backups").rglob("*.csv"))
