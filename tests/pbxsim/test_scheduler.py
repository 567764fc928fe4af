"""The clock: virtual time jumps between callbacks in order; real time follows the wall clock."""
from __future__ import annotations

import asyncio

from pbxsim.scheduler import Scheduler


async def test_callbacks_run_in_time_order_and_cancelled_ones_never():
    s = Scheduler(start=100.0)
    seen = []
    s.call_at(105, seen.append, "b")
    s.call_at(101, seen.append, "a")
    s.call_at(105, seen.append, "c")  # same time: first scheduled first
    s.call_at(103, seen.append, "x").cancel()
    await s.run_until(110)
    assert seen == ["a", "b", "c"] and s.now == 110


async def test_process_sleep_resumes_at_simulated_time():
    s = Scheduler(start=0.0)
    marks = []

    async def proc():
        await s.sleep(5)
        marks.append(s.now)
        await s.sleep(2.5)
        marks.append(s.now)

    task = asyncio.create_task(proc())
    await s.run_until(10)
    await task
    assert marks == [5.0, 7.5]


async def test_clock_waits_for_socket_exchanges_before_jumping():
    s = Scheduler(start=0.0)
    order = []

    async def exchange():
        async with s.io():
            await asyncio.sleep(0.05)  # a real round trip (FastAGI) while simulated time stands still
            order.append(("io done", s.now))

    s.call_at(1.0, lambda: order.append(("timer", s.now)))
    asyncio.get_running_loop().create_task(exchange())
    await asyncio.sleep(0)
    await s.run_until(2.0)
    assert order == [("io done", 0.0), ("timer", 1.0)]


async def test_realtime_mode_follows_the_wall_clock_with_speed():
    s = Scheduler(start=0.0, realtime=True, speed=20.0)
    fired = asyncio.Event()
    s.call_at(2.0, fired.set)  # 2 simulated seconds = 0.1 s of wall time at speed 20
    runner = asyncio.create_task(s.run_realtime())
    await asyncio.wait_for(fired.wait(), 2)
    runner.cancel()
    assert s.now >= 2.0
