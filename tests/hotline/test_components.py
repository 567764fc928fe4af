"""Components: absent packages are skipped, broken ones are not hidden, readiness reports each."""
from __future__ import annotations

import asyncio
import sys

import httpx
import pytest

from hotline import app as app_module
from hotline import components
from hotline.app import create_app


def test_packages_not_written_yet_are_skipped(monkeypatch):
    monkeypatch.setattr(components, "COMPONENT_MODULES", ["hotline.web", "nosuchpkg.component"])
    assert [c.name for c in components.load_components()] == ["hotline"]


def test_a_component_with_a_broken_import_is_not_silently_dropped(monkeypatch, tmp_path):
    pkg = tmp_path / "brokenpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "component.py").write_text("import brokenpkg.api_not_written  # noqa\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(components, "COMPONENT_MODULES", ["brokenpkg.component"])
    with pytest.raises(ModuleNotFoundError, match="api_not_written"):
        components.load_components()
    for name in ("brokenpkg", "brokenpkg.component"):
        sys.modules.pop(name, None)


class _Probe:
    def __init__(self, name, answer):
        self.name, self.answer = name, answer

    def routers(self):
        return []

    async def start(self, kernel, roles):
        return None

    async def stop(self):
        return None

    async def ready(self):
        if self.answer == "hang":
            await asyncio.sleep(60)
        if self.answer == "crash":
            raise RuntimeError("boom")
        return self.answer


async def test_readyz_reports_each_component_and_survives_stuck_or_failing_probes(kernel, monkeypatch):
    monkeypatch.setattr(app_module, "READY_TIMEOUT", 0.2)
    app = create_app(kernel=kernel, components=[_Probe("a", "ok"), _Probe("b", "hang"), _Probe("c", "crash")])
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            r = await c.get("/readyz")
    checks = r.json()["checks"]
    assert r.status_code == 503 and checks["database"] == "ok" and checks["a"] == "ok"
    assert "no answer" in checks["b"] and "boom" in checks["c"]


def test_models_of_packages_absent_from_a_fresh_clone_are_skipped(monkeypatch):
    """An empty package directory is not in git: `supervisor.models` fails on `supervisor` itself."""
    from hotline import db

    monkeypatch.setattr(db, "model_modules", lambda: ["hotline.models", "nosuchpkg.models"])
    assert "users" in db.import_models().tables


async def test_readyz_answers_200_degraded_when_a_component_runs_without_a_part(kernel):
    app = create_app(kernel=kernel, components=[_Probe("a", "ok"), _Probe("asr", "degraded: no speech model")])
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            r = await c.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "degraded"
    assert r.json()["checks"]["asr"] == "degraded: no speech model"


def test_readiness_is_unavailable_when_any_check_fails_even_beside_a_degraded_one():
    assert app_module.readiness({"database": "ok", "a": "ok"}) == "ok"
    assert app_module.readiness({"database": "ok", "a": "degraded: x"}) == "degraded"
    assert app_module.readiness({"database": "error: OSError", "a": "degraded: x"}) == "unavailable"
