"""Probe component (role `worker`): when HOTLINE_PROBE_TARGET is set, dial the hotline every
HOTLINE_PROBE_INTERVAL_MINUTES and publish `alarm.raised` / `alarm.cleared` on the kernel's bus."""
from __future__ import annotations

import asyncio
import contextlib
import logging

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from integrations.sip.caller import CallScript, SipCaller
from integrations.sip.probe import ProbeOutcome, ProbeRules, probe_loop, target_from

log = logging.getLogger(__name__)


class ProbeSettings(BaseSettings):
    """Synthetic monitoring of the 12348 line (env prefix HOTLINE_PROBE_); off unless `target` is set."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_PROBE_", env_file=".env", extra="ignore")

    target: str | None = Field(None, description="Asterisk SIP host[:port] to dial (as the probe endpoint)")
    number: str = Field("12348", description="Number dialled")
    interval_minutes: float = Field(5.0, gt=0, description="Minutes between probe calls")
    listen_seconds: float = Field(8.0, gt=0, description="Seconds recorded after answer")
    answer_timeout: float = Field(15.0, gt=0, description="Seconds to wait for the answer")
    min_voice_seconds: float = Field(1.0, ge=0, description="Greeting needed to count as healthy")
    user: str = Field("probe", description="SIP user in From")
    password: str = Field("", description="Password when registering")
    register_first: bool = Field(False, description="Register before dialling (HOTLINE_PROBE_REGISTER_FIRST)")
    ip: str = Field("127.0.0.1", description="Local address for SIP and RTP")


class ProbeComponent:
    """Runs `probe_loop` in the worker process; reports the last verdict through `ready()`."""

    name = "sip-probe"

    def __init__(self, settings: ProbeSettings | None = None) -> None:
        self.settings = settings
        self.last: ProbeOutcome | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    def routers(self) -> list:
        return []

    async def start(self, kernel, roles: set[str]) -> None:
        cfg = self.settings or ProbeSettings()
        if "worker" not in roles or not cfg.target:
            return
        caller = SipCaller(target_from(cfg.target, username=cfg.user, password=cfg.password,
                                       register=cfg.register_first, my_ip=cfg.ip))
        script = CallScript(number=cfg.number, listen_seconds=cfg.listen_seconds, answer_timeout=cfg.answer_timeout)
        rules = ProbeRules(min_voiced_seconds=cfg.min_voice_seconds)
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(
            probe_loop(caller, script, rules, kernel.bus.publish, cfg.interval_minutes * 60, self._stop,
                       on_outcome=self._remember), name="sip-probe")
        log.info("12348 probe every %.1f min to %s", cfg.interval_minutes, cfg.target)

    def _remember(self, outcome: ProbeOutcome) -> None:
        self.last = outcome

    async def ready(self) -> str:
        if self.last is None or self.last.ok:
            return "ok"
        return f"12348 probe: {self.last.reason} ({self.last.message})"

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                await asyncio.wait_for(self._task, timeout=30)


component = ProbeComponent()
