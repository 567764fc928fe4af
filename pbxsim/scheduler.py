"""Discrete-event clock: virtual time for tests and load, real time for the demo."""
from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(order=True)
class Timer:
    """A scheduled callback; `cancel()` makes it a no-op."""

    when: float
    seq: int
    fn: Callable[..., Any] = field(compare=False)
    args: tuple = field(compare=False, default=())
    cancelled: bool = field(compare=False, default=False)

    def cancel(self) -> None:
        """Drop this callback."""
        self.cancelled = True


class Scheduler:
    """Runs callbacks in time order on an epoch clock (seconds, float).

    In virtual mode time jumps to the next callback once every in-flight socket exchange
    (FastAGI) has settled, so scenarios of minutes run in milliseconds yet stay deterministic.
    """

    def __init__(self, start: float | None = None, realtime: bool = False, speed: float = 1.0) -> None:
        self.now = time.time() if start is None else start
        self.realtime = realtime
        self.speed = speed
        self._heap: list[Timer] = []
        self._seq = itertools.count()
        self._io = 0
        self._io_idle: asyncio.Event | None = None
        self._wake: asyncio.Event | None = None
        self._origin: tuple[float, float] | None = None

    # -- scheduling -------------------------------------------------------------------
    def call_at(self, when: float, fn: Callable[..., Any], *args: Any) -> Timer:
        """Run `fn(*args)` at epoch time `when` (never in the past)."""
        timer = Timer(max(when, self.now), next(self._seq), fn, args)
        heapq.heappush(self._heap, timer)
        if self._wake is not None:
            self._wake.set()
        return timer

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer:
        """Run `fn(*args)` after `delay` seconds of simulated time."""
        return self.call_at(self.now + delay, fn, *args)

    async def sleep(self, delay: float) -> None:
        """Suspend a simulated process for `delay` seconds of simulated time."""
        fut = asyncio.get_running_loop().create_future()
        timer = self.call_later(delay, _resolve, fut, None)
        try:
            await fut
        finally:
            timer.cancel()

    def io(self) -> "_IoGuard":
        """Context manager marking a real socket exchange the clock must wait for."""
        return _IoGuard(self)

    @property
    def pending(self) -> int:
        """Number of callbacks still scheduled (cancelled ones included)."""
        return len(self._heap)

    def next_time(self) -> float | None:
        """Time of the next live callback, if any."""
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].when if self._heap else None

    # -- running ---------------------------------------------------------------------
    async def settle(self) -> None:
        """Let woken coroutines run until they wait on simulated time again."""
        while True:
            # a woken process resumes on the next loop pass and runs to its next await; a few passes
            # cover a process that wakes another
            for _ in range(4):
                await asyncio.sleep(0)
            if self._io == 0 or self.realtime:
                return
            assert self._io_idle is not None
            await self._io_idle.wait()

    async def run_until(self, until: float) -> None:
        """Run every callback due at or before `until`, then set the clock to `until`."""
        while True:
            await self.settle()
            nxt = self.next_time()
            if nxt is None or nxt > until:
                break
            timer = heapq.heappop(self._heap)
            self.now = max(self.now, timer.when)
            timer.fn(*timer.args)
        self.now = max(self.now, until)

    async def advance(self, seconds: float) -> None:
        """Run the simulation forward by `seconds` of simulated time."""
        await self.run_until(self.now + seconds)

    def touch(self) -> None:
        """In real-time mode bring the clock up to the wall clock (before handling an action)."""
        if self.realtime:
            self.now = max(self.now, self.wall_now())

    def wall_now(self) -> float:
        """Simulated time that corresponds to the wall clock now (real-time mode)."""
        loop = asyncio.get_running_loop()
        if self._origin is None:
            self._origin = (loop.time(), self.now)
        t0, s0 = self._origin
        return s0 + (loop.time() - t0) * self.speed

    async def run_realtime(self) -> None:
        """Drive the clock from the wall clock until cancelled (demo mode)."""
        self._wake = asyncio.Event()
        while True:
            await self.run_until(self.wall_now())
            nxt = self.next_time()
            delay = 0.5 if nxt is None else max(0.0, (nxt - self.wall_now()) / self.speed)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=min(delay, 0.5))
            except asyncio.TimeoutError:
                pass


def _resolve(fut: asyncio.Future, value: Any) -> None:
    if not fut.done():
        fut.set_result(value)


class _IoGuard:
    def __init__(self, sched: Scheduler) -> None:
        self.sched = sched

    async def __aenter__(self) -> None:
        if self.sched._io_idle is None:
            self.sched._io_idle = asyncio.Event()
        self.sched._io += 1
        self.sched._io_idle.clear()

    async def __aexit__(self, *exc: object) -> None:
        self.sched._io -= 1
        if self.sched._io == 0 and self.sched._io_idle is not None:
            self.sched._io_idle.set()
