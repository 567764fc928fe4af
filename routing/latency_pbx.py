"""The pbxsim side of the routing-latency bench (routing/latency.py): its own process, as Asterisk would be.

Seats: one in Zhengzhou's consult queue (kept busy by a long call placed first), 60% in the provincial
consult queue, the rest spread over the other prefectures' consult queues. Callers run the dialplan as
asterisk-config renders it, with the IVR over FastAGI in the engine process. The load is a closed loop:
whenever fewer than `calls` calls are up, load callers dial in from the other prefectures' fixed lines (at
most `max_rate` a second), listen to the welcome for `ivr_seconds` and talk about `talk_seconds`, which
keeps the seats about 80% busy talking; probe callers from 0371 come every `probe_every` seconds
(they overflow at join to the provincial queue, whose seats they keep about 40% busy).
"""
from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

ZZ, PROVINCE = "410100", "410000"
ZZ_QUEUE = f"q-{ZZ}-consult"


@dataclass(frozen=True)
class Plan:
    """Everything the pbxsim process needs (picklable: it crosses to a spawned process)."""

    agi_port: int
    queues: tuple[str, ...]
    seats: tuple[tuple[str, str], ...]  # (extension, queue)
    area_codes: tuple[str, ...]  # load callers' prefectures (not Zhengzhou)
    calls: int
    max_rate: float
    ivr_seconds: float
    talk_seconds: float
    probe_every: float
    seed: int

    @property
    def ramp_seconds(self) -> float:
        """Until the first callers have been through the IVR and a talk: queues and seats in steady use."""
        return self.calls / self.max_rate + self.ivr_seconds + self.talk_seconds


def plan_for(directory, *, seats: int, calls: int, agi_port: int, seed: int, talk_seconds: float = 8.0) -> Plan:
    """Seats over the consult queues and a load that keeps `calls` concurrent calls with seats ~80% busy."""
    others = [c.code for c in directory.centers if "consult" in c.skills and c.code not in (ZZ, PROVINCE)]
    province_seats = int(seats * 0.6)  # prefectures saturate first: the province takes their overflow
    layout = [(ZZ_QUEUE, 1), (f"q-{PROVINCE}-consult", province_seats)]
    rest = seats - 1 - province_seats
    layout += [(f"q-{code}-consult", rest // len(others) + (1 if i < rest % len(others) else 0))
               for i, code in enumerate(others)]
    seat_list = [(str(6000 + i), queue) for i, queue in enumerate(q for q, n in layout for _ in range(n))]
    area = directory.area_code_map()
    codes = tuple(sorted(a for a, code in area.items() if code in others))
    rate = 0.8 * seats / talk_seconds  # the steady arrival rate that keeps seats ~80% busy talking
    ivr = max(2.0, calls / rate - talk_seconds)  # the other concurrent calls listen to the IVR or wait
    return Plan(agi_port=agi_port, queues=tuple(q for q, _ in layout), seats=tuple(seat_list), area_codes=codes,
                calls=calls, max_rate=4 * rate, ivr_seconds=ivr, talk_seconds=talk_seconds,
                probe_every=talk_seconds / (0.4 * province_seats),  # probes use 40% of the provincial seats
                seed=seed)


def pbx_process(conn, plan: Plan) -> None:
    """Entry point of the spawned process: serve AMI, report the port, run traffic until told to stop."""
    asyncio.run(_main(conn, plan))


async def _main(conn, plan: Plan) -> None:
    from pbxsim.ami_server import AmiServer, AmiUser
    from pbxsim.core import Endpoint, PbxConfig, Simulator
    from pbxsim.parties import SeatScript
    from pbxsim.queues import QueueConfig
    from pbxsim.scheduler import Scheduler

    sched = Scheduler(realtime=True)
    cfg = PbxConfig(fastagi_url=f"agi://127.0.0.1:{plan.agi_port}", queue_timeout=3600,
                    prompt_seconds={"hotline/welcome": plan.ivr_seconds},
                    queues=[QueueConfig(name=q, strategy="rrmemory", timeout=15, retry=1, wrapuptime=0)
                            for q in plan.queues],
                    endpoints=[Endpoint("caller", registered=False, context="from-carrier")] + [
                        Endpoint(f"seat{ext}", ext, f"坐席{ext}", behaviour=SeatScript(answer_after=0.5))
                        for ext, _ in plan.seats])
    sim = Simulator(cfg, sched)
    server = AmiServer(sim, [AmiUser("engine", "engine")], max_queue=10**6)
    port = await server.start("127.0.0.1", 0)
    clock = asyncio.create_task(sched.run_realtime())
    for ext, queue in plan.seats:
        sim.queues.add_member(queue, f"PJSIP/seat{ext}", f"坐席{ext}", "", 0, False, "")
    conn.send(port)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, conn.recv)  # "go": the engine is logged in and resynced
    stats = await _traffic(sim, plan, conn)
    conn.send({**stats, "events": sim.event_count, "cpu_seconds": round(time.process_time(), 2)})
    await server.stop()
    clock.cancel()
    for task in list(sim.tasks):
        task.cancel()


async def _traffic(sim, plan: Plan, conn) -> dict:
    from pbxsim.parties import CallerScript, place_call

    rnd = random.Random(plan.seed)
    live = sim.by_endpoint.setdefault("caller", {})
    place_call(sim, CallerScript(number="037160000000", name="占线", talk_time=10**6))  # Zhengzhou's seat stays busy
    placed = probes = peak = 0
    started = next_probe = last = time.monotonic()
    budget = 0.0
    while not conn.poll():
        now = time.monotonic()
        budget = min(budget + (now - last) * plan.max_rate, plan.max_rate)  # at most max_rate calls a second
        last = now
        while budget >= 1 and len(live) < plan.calls:
            area = rnd.choice(plan.area_codes)
            place_call(sim, CallerScript(number=f"{area}{rnd.randrange(10**7):07d}", name="来电测试",
                                         talk_time=rnd.uniform(0.5, 1.5) * plan.talk_seconds))
            placed += 1
            budget -= 1
        if now >= next_probe:
            place_call(sim, CallerScript(number=f"0371{rnd.randrange(10**7):07d}", name="探测",
                                         talk_time=plan.talk_seconds))
            probes += 1
            next_probe = now + plan.probe_every
        peak = max(peak, len(live))
        await asyncio.sleep(0.01)
    return {"placed": placed, "probes": probes, "peak_concurrent": peak,
            "concurrent_at_stop": len(live), "seconds": round(time.monotonic() - started, 1)}
