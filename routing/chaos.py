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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pbxsim.load import RunningPbx


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
    from pbxsim.load import start_answering_pbx
    from pbxsim.parties import CallerScript, place_call

    queues = [f"q-4101{i:02d}-consult" for i in range(4)]
    pbx = await start_answering_pbx(seats=20 if quick else 100, queues=queues, first_extension=3000)
    sim = pbx.sim
    service, link, records, pump = await _engine(pbx.port)
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
    await _shutdown(service, link, pump, pbx)
    report["status"] = "ok" if report["lost"] == 0 and report["duplicates"] == 0 else "lost"
    return report


async def _restart_run(quick: bool) -> dict:
    from pbxsim.load import start_answering_pbx
    from pbxsim.parties import CallerScript, place_call

    queues = ["q-410100-consult"]
    pbx = await start_answering_pbx(seats=4, queues=queues, first_extension=3000)
    service, link, records, pump = await _engine(pbx.port)
    placed = [place_call(pbx.sim, CallerScript(number=f"1393790{i:04d}", name="测试", talk_time=30.0,
                                               variables={"HOTLINE_QUEUE": queues[0]})).linkedid for i in range(6)]
    await asyncio.sleep(1.5)
    await pbx.stop()  # Asterisk goes away with calls up …
    pbx2 = await start_answering_pbx(seats=4, queues=queues, first_extension=3000)
    server2_port = await _rebind(pbx2.server, pbx.port)  # … and comes back on the same port, empty
    await link.wait_ready(15)
    await asyncio.sleep(0.3)
    got = {r["linkedid"] for r in records}
    report = {"lost": len(set(placed) - got), "checked": len(placed), "resyncs": link.resyncs,
              "live_after_restart": len(service.state.node("node1").calls), "port": server2_port}
    await _shutdown(service, link, pump, pbx2)
    report["status"] = "ok" if report["lost"] == 0 and report["live_after_restart"] == 0 else "lost"
    return report


async def _rebind(server, port: int) -> int:
    await server.stop()
    return await server.start("127.0.0.1", port)


async def _shutdown(service, link, pump, pbx: "RunningPbx") -> None:
    await link.stop()
    await service.stop()
    pump.cancel()
    await pbx.stop()


def chaos_ami_link_drops(quick: bool = False) -> dict:
    """Cut the engine's AMI link 100 times under pbxsim load; report lost/duplicated call records."""
    return asyncio.run(_drop_run(quick))


def chaos_pbxsim_restart(quick: bool = False) -> dict:
    """Restart the simulated Asterisk with calls up; the engine must record them and resync."""
    return asyncio.run(_restart_run(quick))
