"""Chaos scenarios for `make chaos` (bench/chaos.py): faults under pbxsim load, counting lost call records.

`chaos_ami_link_drops`: the engine's AMI link is cut 100 times while pbxsim carries calls; every call
Asterisk (pbxsim) handled must end up with exactly one call record, and every reconnect must resync.
`chaos_pbxsim_restart`: the simulated Asterisk restarts with calls up; the engine must close those calls
(their channels are gone after the restart) and record them, then carry new calls.
"""
from __future__ import annotations

import asyncio
import random
import time


async def _pbx(seats: int, queues: list[str]):
    from pbxsim.ami_server import AmiServer, AmiUser
    from pbxsim.core import Endpoint, PbxConfig, Simulator
    from pbxsim.parties import SeatScript
    from pbxsim.queues import QueueConfig
    from pbxsim.scheduler import Scheduler

    sched = Scheduler(realtime=True)
    cfg = PbxConfig(fastagi_url=None, queue_timeout=600,
                    queues=[QueueConfig(name=q, strategy="rrmemory", timeout=15, retry=1, wrapuptime=0) for q in queues],
                    endpoints=[Endpoint("caller", registered=False, context="from-carrier")] + [
                        Endpoint(f"seat{3000 + i}", str(3000 + i), f"坐席{3000 + i}",
                                 behaviour=SeatScript(answer_after=0.2)) for i in range(seats)])
    sim = Simulator(cfg, sched)
    server = AmiServer(sim, [AmiUser("engine", "engine")])
    port = await server.start("127.0.0.1", 0)
    clock = asyncio.create_task(sched.run_realtime())
    for i in range(seats):
        sim.queues.add_member(queues[i % len(queues)], f"PJSIP/seat{3000 + i}", f"坐席{3000 + i}", "", 0, False, "")
    return sim, server, port, clock


async def _engine(port: int):
    from hotline.bus import EventBus
    from hotline.directory import load_directory
    from hotline.settings import Settings
    from routing.ami import AmiLink
    from routing.service import RoutingService

    bus = EventBus()
    service = RoutingService(load_directory(Settings(_env_file=None).directory_file), bus)
    link = AmiLink(name="node1", host="127.0.0.1", port=port, username="engine", secret="engine",
                   backoff=(0.005, 0.05))
    service.attach(link)
    records: list[dict] = []
    sub = bus.subscribe("call.record", maxsize=10**6)

    async def pump():
        async for msg in sub:
            records.append(msg.payload)

    task = asyncio.create_task(pump())
    await link.start()
    await link.wait_ready(10)
    return service, link, records, task


async def _kill(link) -> None:
    before = link.disconnects
    link.drop()
    while link.disconnects == before:
        await asyncio.sleep(0.001)
    await link.wait_ready(10)


async def _drop_run(quick: bool) -> dict:
    from pbxsim.parties import CallerScript, place_call

    queues = [f"q-4101{i:02d}-consult" for i in range(4)]
    sim, server, port, clock = await _pbx(seats=20 if quick else 100, queues=queues)
    service, link, records, pump = await _engine(port)
    rnd = random.Random(12348)
    placed: list[str] = []
    kills = 0
    started = time.monotonic()
    while kills < 100:
        for _ in range(2 if quick else 5):
            script = CallerScript(number=f"1380371{len(placed):04d}", name="测试", talk_time=rnd.uniform(0.3, 1.5),
                                  patience=rnd.uniform(2, 6), variables={"HOTLINE_QUEUE": rnd.choice(queues)})
            placed.append(place_call(sim, script).linkedid)
        await asyncio.sleep(rnd.uniform(0.01, 0.05))
        await _kill(link)
        kills += 1
    while sim.by_endpoint.get("caller") and time.monotonic() - started < 120:
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)  # seat legs hang up after their callers
    await _kill(link)  # a last resync closes calls that ended while the link was down
    await asyncio.sleep(0.2)
    got = [r["linkedid"] for r in records]
    lost = sorted(set(placed) - set(got))
    report = {"lost": len(lost), "checked": len(placed), "duplicates": len(got) - len(set(got)),
              "kills": kills, "resyncs": link.resyncs, "resync_each_time": link.resyncs == kills + 2,
              "seconds": round(time.monotonic() - started, 1), "lost_linkedids": lost[:20]}
    await _shutdown(service, link, pump, server, clock, sim)
    report["status"] = "ok" if report["lost"] == 0 and report["duplicates"] == 0 else "lost"
    return report


async def _restart_run(quick: bool) -> dict:
    from pbxsim.parties import CallerScript, place_call

    queues = ["q-410100-consult"]
    sim, server, port, clock = await _pbx(seats=4, queues=queues)
    service, link, records, pump = await _engine(port)
    placed = [place_call(sim, CallerScript(number=f"1393790{i:04d}", name="测试", talk_time=30.0,
                                           variables={"HOTLINE_QUEUE": queues[0]})).linkedid for i in range(6)]
    await asyncio.sleep(1.5)
    await server.stop()  # Asterisk goes away with calls up …
    clock.cancel()
    for t in list(sim.tasks):
        t.cancel()
    sim2, server2, _, clock2 = await _pbx(seats=4, queues=queues)
    server2_port = await _rebind(server2, port)  # … and comes back on the same port, empty
    await link.wait_ready(15)
    await asyncio.sleep(0.3)
    got = {r["linkedid"] for r in records}
    report = {"lost": len(set(placed) - got), "checked": len(placed), "resyncs": link.resyncs,
              "live_after_restart": len(service.state.node("node1").calls), "port": server2_port}
    await _shutdown(service, link, pump, server2, clock2, sim2)
    report["status"] = "ok" if report["lost"] == 0 and report["live_after_restart"] == 0 else "lost"
    return report


async def _rebind(server, port: int) -> int:
    await server.stop()
    return await server.start("127.0.0.1", port)


async def _shutdown(service, link, pump, server, clock, sim) -> None:
    await link.stop()
    await service.stop()
    pump.cancel()
    await server.stop()
    clock.cancel()
    for t in list(sim.tasks):
        t.cancel()


def chaos_ami_link_drops(quick: bool = False) -> dict:
    """Cut the engine's AMI link 100 times under pbxsim load; report lost/duplicated call records."""
    return asyncio.run(_drop_run(quick))


def chaos_pbxsim_restart(quick: bool = False) -> dict:
    """Restart the simulated Asterisk with calls up; the engine must record them and resync."""
    return asyncio.run(_restart_run(quick))
