"""Load run for bench/: arrivals per second, concurrent calls and seats, events/s and CPU share; the
answering pbx the chaos runs put their faults on."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from .ami_server import AmiServer, AmiUser
from .core import Endpoint, PbxConfig, Simulator
from .parties import SeatScript, place_call
from .queues import QueueConfig
from .scheduler import Scheduler
from .traffic import TrafficModel


@dataclass
class LoadResult:
    """What a load run measured."""

    calls: int
    peak_concurrent: int
    events: int
    sim_seconds: float
    wall_seconds: float
    cpu_seconds: float
    bytes_to_client: int
    client_dropped: bool = False

    @property
    def events_per_second(self) -> float:
        """Events produced and delivered per wall-clock second."""
        return self.events / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def sim_per_cpu_second(self) -> float:
        """Simulated seconds per CPU second (> 1: faster than real time on one core)."""
        return self.sim_seconds / self.cpu_seconds if self.cpu_seconds else 0.0

    @property
    def cpu_share(self) -> float:
        """Process CPU time / wall time during the run (1.0 = one core busy)."""
        return self.cpu_seconds / self.wall_seconds if self.wall_seconds else 0.0


def answering_sim(seats: int, queues: list[str], first_extension: int, answer_after: float,
                  sched: Scheduler) -> Simulator:
    """A simulator with the rrmemory `queues` and `seats` registered seats (extensions from `first_extension`)
    answering after `answer_after` s, dealt round-robin over the queues; callers come in as `caller`."""
    extensions = [str(first_extension + i) for i in range(seats)]
    cfg = PbxConfig(fastagi_url=None, queue_timeout=600,
                    queues=[QueueConfig(name=n, strategy="rrmemory", timeout=15, retry=1, wrapuptime=0) for n in queues],
                    endpoints=[Endpoint("caller", registered=False, context="from-carrier")] + [
                        Endpoint(f"seat{ext}", ext, f"坐席{ext}", behaviour=SeatScript(answer_after=answer_after))
                        for ext in extensions])
    sim = Simulator(cfg, sched)
    for i, ext in enumerate(extensions):
        sim.queues.add_member(queues[i % len(queues)], f"PJSIP/seat{ext}", f"坐席{ext}", "", 0, False, "")
    return sim


def build_load_sim(seats: int, queues: int, realtime: bool) -> tuple[Simulator, list[str]]:
    """A simulator with `queues` rrmemory queues and `seats` registered seats answering after 1 s."""
    names = [f"q-4101{i:02d}-consult" for i in range(queues)]
    return answering_sim(seats, names, 2000, 1.0, Scheduler(start=1_800_000_000.0, realtime=realtime)), names


@dataclass
class RunningPbx:
    """A simulator on the wall clock, its AMI server (user `engine`, secret `engine`) listening on `port`."""

    sim: Simulator
    server: AmiServer
    port: int
    clock: asyncio.Task

    async def stop(self) -> None:
        """Close the AMI server, stop the clock and cancel the simulator's tasks."""
        await self.server.stop()
        self.clock.cancel()
        for t in list(self.sim.tasks):
            t.cancel()


async def start_answering_pbx(seats: int, queues: list[str], first_extension: int,
                              answer_after: float = 0.2) -> RunningPbx:
    """`answering_sim` on the wall clock with AMI on an ephemeral loopback port (chaos runs)."""
    sim = answering_sim(seats, queues, first_extension, answer_after, Scheduler(realtime=True))
    server = AmiServer(sim, [AmiUser("engine", "engine")])
    port = await server.start("127.0.0.1", 0)
    return RunningPbx(sim, server, port, asyncio.create_task(sim.sched.run_realtime()))


class _Arrivals:
    """Poisson arrivals until `end`, each caller sent to the next queue and hanging up after `talk`."""

    def __init__(self, sim: Simulator, names: list[str], rate: float, talk: float, end: float, seed: int) -> None:
        self.sim, self.names, self.talk, self.end = sim, names, talk, end
        self.model = TrafficModel(calls_per_second=rate, seed=seed)
        self.count = self.peak = 0

    def __call__(self) -> None:
        script = self.model.caller()
        script.menu, script.patience, script.talk_time = [], None, self.talk
        script.variables = {"HOTLINE_QUEUE": self.names[self.count % len(self.names)]}
        place_call(self.sim, script)
        self.count += 1
        self.peak = max(self.peak, len(self.sim.by_endpoint.get("caller", {})))
        gap = self.model.next_gap()
        if self.sim.now + gap < self.end:
            self.sim.sched.call_later(gap, self)


async def run_load(calls_per_second: float = 50.0, duration: float = 60.0, seats: int = 500,
                   talk_time: float = 40.0, queues: int = 10, seed: int = 1, realtime: bool = False) -> LoadResult:
    """Poisson arrivals into `queues` rrmemory queues served by `seats` seats.

    Talk time × rate sets the concurrency (50/s × 40 s ≈ 2,000 calls). Every event is encoded
    and delivered over TCP to one logged-in AMI client that reads everything. `realtime=True`
    runs on the wall clock, so `cpu_share` is the share of one core the simulator needs to keep
    up; in virtual time (default) `sim_per_cpu_second` says how much faster than real time it runs.
    """
    sim, names = build_load_sim(seats, queues, realtime)
    # the measuring client shares this event loop: give it time rather than cutting it off
    server = AmiServer(sim, [AmiUser("bench", "bench")], max_queue=10**6, write_timeout=120)
    port = await server.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"Action: Login\r\nUsername: bench\r\nSecret: bench\r\n\r\n")
    received = [0]

    async def drain() -> None:
        while chunk := await reader.read(1 << 16):
            received[0] += len(chunk)

    reader_task = asyncio.create_task(drain())
    await asyncio.sleep(0.05)
    arrivals = _Arrivals(sim, names, calls_per_second, talk_time, sim.now + duration, seed)
    events0, wall0, cpu0 = sim.event_count, time.perf_counter(), time.process_time()
    sim.sched.call_later(0, arrivals)
    await _drive(sim, duration, realtime)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    dropped = any(x.dropped for x in server.sessions)
    await asyncio.sleep(0.2)
    await server.stop()
    writer.close()
    reader_task.cancel()
    for t in list(sim.tasks):
        t.cancel()
    return LoadResult(arrivals.count, arrivals.peak, sim.event_count - events0, duration, wall, cpu, received[0],
                      dropped)


async def _drive(sim: Simulator, duration: float, realtime: bool) -> None:
    if realtime:
        clock = asyncio.create_task(sim.sched.run_realtime())
        await asyncio.sleep(duration)
        clock.cancel()
        return
    end = sim.now + duration
    while sim.now < end:
        await sim.sched.run_until(sim.now + 1.0)
        await asyncio.sleep(0)


def bench_pbxsim_load(quick: bool = False, seed: int = 12348) -> dict:
    """bench/ entry: events per CPU second vs what real time needs at 50 new calls/s.

    Virtual-time run (500 seats, 40 s talk → ~2,000 concurrent calls; quick: 100 seats, 8 s talk).
    Baseline in the same run: the events the load produces per simulated second; the ratio is
    simulated seconds per CPU second (≥ 1: one core keeps up in real time). The full run adds a
    real-time run whose CPU share is the simulator's own cost of keeping up.
    """
    seats, talk, duration = (100, 8.0, 10.0) if quick else (500, 40.0, 60.0)
    v = asyncio.run(run_load(50.0, duration, seats, talk, seed=seed))
    per_cpu = v.events / v.cpu_seconds if v.cpu_seconds else 0.0
    needed = v.events / v.sim_seconds
    details = {"calls": v.calls, "peak_concurrent": v.peak_concurrent, "seats": seats, "events": v.events,
               "cpu_seconds": round(v.cpu_seconds, 2), "wall_seconds": round(v.wall_seconds, 2),
               "bytes_to_client": v.bytes_to_client, "client_dropped": v.client_dropped}
    if not quick:
        rt = asyncio.run(run_load(50.0, 60.0, seats, talk, seed=seed, realtime=True))
        details.update(realtime_calls=rt.calls, realtime_peak_concurrent=rt.peak_concurrent,
                       realtime_events_per_s=round(rt.events_per_second), realtime_cpu_share=round(rt.cpu_share, 3))
    return {"value": round(per_cpu), "baseline": "events per simulated second (real time)",
            "baseline_value": round(needed, 1), "ratio": round(per_cpu / needed, 3) if needed else None,
            "target": "ratio >= 1.0", "details": details}


def main() -> None:  # pragma: no cover - manual entry point
    """Print one load run (python -m pbxsim.load)."""
    r = asyncio.run(run_load())
    print(report(r))


def report(r: LoadResult) -> str:
    """One line for logs and the CLI."""
    return (f"calls={r.calls} peak_concurrent={r.peak_concurrent} events={r.events} "
            f"events/s={r.events_per_second:.0f} cpu_share={r.cpu_share:.2f} "
            f"sim_s_per_cpu_s={r.sim_per_cpu_second:.2f} wall={r.wall_seconds:.1f}s cpu={r.cpu_seconds:.1f}s "
            f"bytes_to_client={r.bytes_to_client} client_dropped={r.client_dropped}")


if __name__ == "__main__":  # pragma: no cover
    main()
