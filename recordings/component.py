"""Recordings component: `engine` starts MixMonitor, `worker` ingests, scans and transcribes, `api` serves."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timezone
from typing import Any

from recordings.asr import ModelError, check_model_dir

log = logging.getLogger(__name__)


class RecordingsComponent:
    """Wires the recording policy, ingest, the transcription pool and the routes into the kernel."""

    name = "recordings"

    def __init__(self, scan_seconds: float = 60.0, settle_seconds: float = 30.0, ingest_delay: float = 2.0,
                 lease_seconds: float = 30.0, purge_seconds: float = 86400.0) -> None:
        # ingest_delay: MixMonitor closes its files ~0.6 s after StopMixMonitor/hang-up (see the traces)
        self.scan_seconds, self.settle_seconds = scan_seconds, settle_seconds
        self.ingest_delay, self.lease_seconds, self.purge_seconds = ingest_delay, lease_seconds, purge_seconds
        self.kernel = None
        self.pool = None
        self.model_problem: str | None = None
        self._tasks: list[asyncio.Task] = []
        self._subs: list[Any] = []

    def routers(self) -> list:
        from recordings.api import router
        from recordings.pages import router as pages

        return [router, pages]

    async def start(self, kernel, roles: set[str]) -> None:
        self.kernel = kernel
        if "engine" in roles:
            self._listen("call.connected", self._on_connected)
        if "worker" in roles:
            self._listen("call.ended", self._on_ended)
            self._tasks.append(asyncio.create_task(self._scan_loop(), name="recordings-scan"))
            self._tasks.append(asyncio.create_task(self._retention_loop(), name="recordings-retention"))
            await self._start_pool()

    def _listen(self, topic: str, handler) -> None:
        sub = self.kernel.bus.subscribe(topic)
        self._subs.append(sub)

        async def pump() -> None:
            async for msg in sub:
                try:
                    await handler(msg.payload)
                except Exception:  # noqa: BLE001 - one bad event must not stop recording
                    log.exception("recordings: %s handler failed", topic)

        self._tasks.append(asyncio.create_task(pump(), name=f"recordings-{topic}"))

    async def _on_connected(self, payload: dict) -> None:
        from recordings.service import start_recording

        ami = self.kernel.services.get("ami")
        if ami is None:
            log.error("call %s answered but no AMI link is published: not recorded", payload.get("linkedid"))
            return
        await start_recording(self.kernel, ami, payload)

    async def _on_ended(self, payload: dict) -> None:
        from recordings.service import end_recording

        await asyncio.sleep(self.ingest_delay)
        await end_recording(self.kernel, payload)

    async def _scan_loop(self) -> None:
        from recordings.ingest import scan

        while True:
            try:
                async with self.kernel.sessions() as s:
                    found = await scan(s, self.kernel.settings.recordings_dir, time.time(), self.settle_seconds)
                if found:
                    log.info("recording scan ingested %d missed files", len(found))
            except Exception:  # noqa: BLE001 - keep scanning next round
                log.exception("recording scan failed")
            await asyncio.sleep(self.scan_seconds)

    async def _retention_loop(self) -> None:
        from recordings.maintenance import purge

        s = self.kernel.settings
        while True:
            try:
                async with self.kernel.sessions() as ses:
                    gone = await purge(ses, s.recordings_dir, datetime.now(timezone.utc), s.retention_days,
                                       actor="retention-policy")
                if gone:
                    log.info("retention: purged %d recordings older than %d days", len(gone), s.retention_days)
            except Exception:  # noqa: BLE001 - try again next round
                log.exception("retention purge failed")
            await asyncio.sleep(self.purge_seconds)

    async def _start_pool(self) -> None:
        from recordings.pool import WorkerPool
        from recordings.worker import WorkerConfig

        s = self.kernel.settings
        if s.transcription_workers == 0:
            return
        try:
            check_model_dir(s.vosk_model_path)
        except ModelError as exc:
            self.model_problem = str(exc)
            log.error("transcription disabled: %s (install one with `hotline12348 asr install-model`)", exc)
            return
        cfg = WorkerConfig(database_url=s.database_url, model_path=str(s.vosk_model_path),
                           recordings_dir=str(s.recordings_dir), lease_seconds=self.lease_seconds)
        self.pool = WorkerPool(cfg, s.transcription_workers, on_result=self._on_result)
        await self.pool.start()

    def _on_result(self, outcome: dict) -> None:
        if outcome.get("state") == "done":
            if outcome.get("written"):  # a late duplicate attempt wrote nothing: announce each leg once
                self.kernel.bus.publish("transcript.ready", {**outcome, "at": datetime.now(timezone.utc).isoformat()})
        else:
            log.warning("transcription of %s/%s failed: %s", outcome.get("linkedid"), outcome.get("leg"),
                        outcome.get("error"))

    async def ready(self) -> str:
        if self.model_problem:  # calls are still recorded and ingested; only transcription waits for a model
            return f"degraded: 转写未启用 (transcription off): {self.model_problem}"
        if self.pool and not any(p.is_alive() for p in self.pool.procs):
            return "no transcription worker alive"
        return "ok"

    async def stop(self) -> None:
        for sub in self._subs:
            self.kernel.bus.unsubscribe(sub)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks, self._subs = [], []
        if self.pool:
            await self.pool.stop()
            self.pool = None


component = RecordingsComponent()
