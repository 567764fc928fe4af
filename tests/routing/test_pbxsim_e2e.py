"""End to end against pbxsim: the IVR's route step asks the engine, Asterisk (simulated) obeys.

A minimal FastAGI `ivr` script stands in for the IVR package: it calls `RoutingService.place()` and
sets the returned channel variables, exactly as the dialplan contract says.
"""
import asyncio
import time
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from hotline.bus import EventBus
from pbxsim.ami_server import AmiServer, AmiUser
from pbxsim.core import Simulator
from pbxsim.parties import CallerScript, SeatScript, place_call
from pbxsim.scheduler import Scheduler
from pbxsim.setup import directory_config
from routing import actions
from routing.ami import AmiLink
from routing.policy import RouteRequest
from routing.service import RoutingService

OPEN_BASE = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc).timestamp()  # Friday 10:00 in Henan
GREEN = {"13803719999"}  # numbers the (stand-in) IVR marks as green channel (e.g. elderly callers)


class Engine:
    """pbxsim + AmiLink + RoutingService + a stand-in FastAGI `ivr` script, all on loopback."""

    def __init__(self, directory, tmp_path):
        self.directory, self.tmp_path = directory, tmp_path
        self.records: list[dict] = []

    async def start(self, seat_answer: float = 0.2):
        t0 = time.monotonic()
        self.bus = EventBus()
        self.service = RoutingService(self.directory, self.bus, clock=lambda: OPEN_BASE + time.monotonic() - t0)
        self.agi = await asyncio.start_server(self._agi, "127.0.0.1", 0)
        agi_port = self.agi.sockets[0].getsockname()[1]
        cfg = directory_config(self.directory, f"agi://127.0.0.1:{agi_port}", str(self.tmp_path), {},
                               seat_script=SeatScript(answer_after=seat_answer, talk_time=None))
        for q in cfg.queues:
            q.wrapuptime = 0  # keep the test short: seats take the next caller at once
        self.sched = Scheduler(realtime=True)
        self.sim = Simulator(cfg, self.sched)
        self.ami = AmiServer(self.sim, [AmiUser("engine", "engine")])
        port = await self.ami.start("127.0.0.1", 0)
        self.clock = asyncio.create_task(self.sched.run_realtime())
        self.link = AmiLink(name="node1", host="127.0.0.1", port=port, username="engine", secret="engine")
        self.service.attach(self.link)
        sub = self.bus.subscribe("call.record")
        self._pump = asyncio.create_task(self._collect(sub))
        await self.link.start()
        await self.link.wait_ready(5)

    async def _collect(self, sub):
        async for msg in sub:
            self.records.append(msg.payload)

    async def _agi(self, reader, writer):
        env = {}
        while (line := (await reader.readline()).decode()) not in ("\n", ""):
            key, _, value = line.strip().partition(": ")
            env[key] = value
        if env.get("agi_network_script") == "ivr":
            number = env.get("agi_callerid", "")
            decision = await self.service.place(RouteRequest(
                uniqueid=env["agi_uniqueid"], linkedid=env["agi_uniqueid"], channel=env.get("agi_channel", ""),
                caller_number=number, did=env.get("agi_dnid"), skill="consult", green=number in GREEN,
                ivr_path=("1",)))
            for key, value in decision.variables().items():
                writer.write(f'SET VARIABLE {key} "{value}"\n'.encode())
                await writer.drain()
                await reader.readline()
        writer.close()

    async def log_in(self, *extensions, paused=False):
        for ext in extensions:
            seat = self.directory.seat(ext)
            for skill in seat.skills:
                await actions.queue_add(self.link, queue=f"q-{seat.center}-{skill}", interface=seat.interface,
                                        member_name=seat.name, penalty=seat.penalty(skill), paused=paused,
                                        reason="培训" if paused else None)

    def call(self, number, did="12348", talk=0.5, patience=None):
        place_call(self.sim, CallerScript(number=number, name="测试", did=did, talk_time=talk, patience=patience))

    async def wait_records(self, n, timeout=15.0):
        end = time.monotonic() + timeout
        while len(self.records) < n and time.monotonic() < end:
            await asyncio.sleep(0.05)
        return self.records

    async def stop(self):
        await self.link.stop()
        await self.service.stop()
        self._pump.cancel()
        self.clock.cancel()
        await self.ami.stop()
        self.agi.close()
        for t in list(self.sim.tasks):
            t.cancel()


@pytest.fixture
async def engine(directory, tmp_path):
    e = Engine(directory, tmp_path)
    yield e
    await e.stop()


async def test_calls_from_different_prefectures_land_in_their_pools(engine):
    await engine.start()
    await engine.log_in("1001", "1003", "1011", "1021")
    engine.call("13803710000")                     # 郑州 mobile
    engine.call("13937900000")                     # 洛阳 mobile
    engine.call("13800138000", did="037712348")    # dialled 南阳's 12348 number
    engine.call("02061234567")                     # 广州 fixed line: provincial
    records = await engine.wait_records(4)
    got = {r["caller_number"]: (r["queues_visited"], r["seat_extension"], r["prefecture_code"]) for r in records}
    assert got["13803710000"] == (["q-410100-consult"], "1001", "410100")
    assert got["13937900000"] == (["q-410300-consult"], "1011", "410300")
    assert got["13800138000"] == (["q-411300-consult"], "1021", "411300")
    assert got["02061234567"] == (["q-410000-consult"], "1003", None)
    assert all(r["outcome"] == "answered" for r in records)


async def test_waiting_call_overflows_to_provincial_on_time(engine):
    await engine.start()
    engine.service.rules = replace(engine.service.rules, overflow_after_seconds=1.0,
                                   prefecture_max_wait_seconds=10_000)
    await engine.log_in("1001")
    engine.call("13803710000", talk=4.0)    # keeps 郑州's only consult seat busy
    await asyncio.sleep(0.8)
    await engine.log_in("1003")
    engine.call("13803710002", talk=0.3)
    records = await engine.wait_records(2)
    rec = next(r for r in records if r["caller_number"] == "13803710002")
    assert rec["queues_visited"] == ["q-410100-consult", "q-410000-consult"] and rec["overflowed"]
    assert rec["seat_extension"] == "1003" and rec["outcome"] == "answered"
    assert rec["queues"][0]["wait_seconds"] == pytest.approx(1.0, abs=0.4)
    assert rec["queues"][0]["result"] == "redirected"


async def test_green_channel_caller_jumps_the_line(engine):
    await engine.start()
    engine.service.rules = replace(engine.service.rules, overflow_after_seconds=1000,
                                   prefecture_max_wait_seconds=10_000)
    await engine.log_in("1001")
    engine.call("13803710000", talk=2.0)     # the seat is busy for 2 s
    await asyncio.sleep(0.5)
    engine.call("13803710001", talk=0.3)
    engine.call("13803710002", talk=0.3)
    await asyncio.sleep(0.4)
    engine.call("13803719999", talk=0.3)     # green channel, arrives last
    records = await engine.wait_records(4, timeout=25)
    waiting = sorted((r for r in records if r["caller_number"] != "13803710000"), key=lambda r: r["answered_at"])
    assert [r["caller_number"] for r in waiting][0] == "13803719999"
    assert waiting[0]["green"] and waiting[0]["priority"] == 10
    assert sorted(r["caller_number"] for r in waiting[1:]) == ["13803710001", "13803710002"]
