"""A pool of transcription worker processes (one model each), restarted when one dies."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
import queue
import time
from collections.abc import Callable
from dataclasses import replace

from recordings.worker import WorkerConfig, main

log = logging.getLogger(__name__)
QUICK_DEATH_SECONDS = 30.0


def restart_delay(quick_deaths: int) -> float:
    """Back-off before restarting a worker that keeps dying at start (bad model, database down)."""
    return 0.0 if quick_deaths == 0 else min(60.0, 2.0 ** (quick_deaths - 1))


class WorkerPool:
    """`size` spawned worker processes; their results are handed to `on_result` in the event loop."""

    def __init__(self, cfg: WorkerConfig, size: int, on_result: Callable[[dict], None] | None = None,
                 check_seconds: float = 0.5) -> None:
        self.cfg, self.size, self.on_result, self.check_seconds = cfg, size, on_result, check_seconds
        self._ctx = mp.get_context("spawn")  # a fresh interpreter: no inherited loop, sockets or model
        self._results = self._ctx.Queue()
        self._stop = self._ctx.Event()
        self.procs: list[mp.process.BaseProcess] = []
        self.restarts = 0
        self._spawned: list[float] = []
        self._quick_deaths: list[int] = []
        self._task: asyncio.Task | None = None

    def _spawn(self, index: int) -> mp.process.BaseProcess:
        cfg = replace(self.cfg, name=f"{self.cfg.name}{index}")
        proc = self._ctx.Process(target=main, args=(cfg, self._results, self._stop), name=f"transcriber-{index}",
                                 daemon=True)
        proc.start()
        return proc

    async def start(self) -> None:
        self.procs = [self._spawn(i) for i in range(self.size)]
        self._spawned = [time.monotonic()] * self.size
        self._quick_deaths = [0] * self.size
        self._restart_at: list[float | None] = [None] * self.size
        self._task = asyncio.create_task(self._watch(), name="transcription-pool")

    def drain(self) -> list[dict]:
        """Results reported since the last drain."""
        out = []
        with contextlib.suppress(queue.Empty):
            while True:
                out.append(self._results.get_nowait())
        return out

    async def _watch(self) -> None:
        while not self._stop.is_set():
            for outcome in self.drain():
                if self.on_result:
                    self.on_result(outcome)
            for i, proc in enumerate(self.procs):
                if not proc.is_alive() and not self._stop.is_set():
                    self._restart(i, proc)
            await asyncio.sleep(self.check_seconds)

    def _restart(self, i: int, proc) -> None:
        """Respawn worker `i` (its job's lease runs out and is retried), backing off if it dies at start."""
        now = time.monotonic()
        if self._restart_at[i] is None:  # first look at this death
            quick = now - self._spawned[i] < QUICK_DEATH_SECONDS
            self._quick_deaths[i] = self._quick_deaths[i] + 1 if quick else 0
            self._restart_at[i] = now + restart_delay(self._quick_deaths[i])
            log.warning("transcription worker %s exited (code %s); restarting in %.0f s", proc.name, proc.exitcode,
                        self._restart_at[i] - now)
        if now < self._restart_at[i]:
            return
        self.procs[i] = self._spawn(i)
        self._spawned[i], self._restart_at[i] = now, None
        self.restarts += 1

    async def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for proc in self.procs:
            await asyncio.to_thread(proc.join, timeout)
            if proc.is_alive():
                proc.terminate()
        for outcome in self.drain():
            if self.on_result:
                self.on_result(outcome)
