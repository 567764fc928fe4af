"""Supervisor as a component: the wallboard service (where the web runs), the API and the pages."""
from __future__ import annotations

import logging
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from supervisor.alarms import Thresholds
from supervisor.metrics import MetricParams

log = logging.getLogger(__name__)


class SupervisorSettings(BaseSettings):
    """Supervisor knobs (env prefix HOTLINE_SUPERVISOR_; thresholds as JSON)."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_SUPERVISOR_", extra="ignore")
    short_abandon_seconds: float = Field(5.0, ge=0, le=120, description="Abandons faster than this are counted apart")
    service_level_seconds: float = Field(20.0, gt=0, le=600, description="Service level target T (answered within T s)")
    satisfied_min: int = Field(4, ge=1, le=5, description="Survey scores from this up count as satisfied (满意)")
    push_interval: float = Field(0.1, ge=0.0, le=5.0, description="Least seconds between two wallboard pushes")
    thresholds: Thresholds = Field(default_factory=Thresholds, description="Alarm thresholds per metric")

    def params(self) -> MetricParams:
        return MetricParams(self.short_abandon_seconds, self.service_level_seconds, self.satisfied_min)


def params_of(kernel: Any) -> MetricParams:
    """The metric parameters in force (defaults when the component is not started)."""
    return kernel.services.get("supervisor_params") or MetricParams()


class SupervisorComponent:
    """Publishes ``services["wallboard"]`` (WallboardService) and ``services["supervisor_params"]``."""

    name = "supervisor"

    def __init__(self, settings: SupervisorSettings | None = None) -> None:
        self.settings = settings
        self.board = None

    def routers(self) -> list:
        from supervisor import api, pages

        return [api.router, pages.router]

    async def start(self, kernel: Any, roles: set[str]) -> None:
        """Run the wallboard where the web API runs."""
        settings = self.settings or SupervisorSettings()
        kernel.services["supervisor_params"] = settings.params()
        if "api" not in roles:
            return
        from supervisor.live import WallboardService

        self.board = WallboardService(kernel, params=settings.params(), thresholds=settings.thresholds,
                                      min_interval=settings.push_interval)
        await self.board.start()
        kernel.services["wallboard"] = self.board

    async def stop(self) -> None:
        if self.board is not None:
            await self.board.stop()
            self.board = None


component = SupervisorComponent()
