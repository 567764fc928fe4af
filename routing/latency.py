"""Decision-to-action latency on pbxsim at 500 seats / 2,000 calls, against AMI Ping round-trips on the same link.

pbxsim runs in a process of its own, as Asterisk would (`routing.latency_pbx`); this process is the engine:
the AMI link, the RoutingService and the IVR's route step over FastAGI (STREAM FILE welcome, then
`place()` and the HOTLINE_* variables, as ivr/handoff.py sets them). The rules overflow at join
(`overflow_after_seconds: 0`), so each QueueCallerJoin into a prefecture queue with no free seat is
reconsidered on the spot and may produce a Redirect to the provincial queue; a seat freeing in a prefecture
queue may recall a caller who overflowed from it. One sample: the read that brought the triggering event
(`data_received`) → the Redirect written on the socket (`transport.write` returned). Zhengzhou's one seat is
kept busy so probe callers from 0371 overflow steadily; load callers from the other prefectures fill the
IVR, the queues and the seats up to the target number of concurrent calls before the window opens.
Ping round-trips (`Ping` written → its response handed to the waiting coroutine) are taken on the same link
all through the window.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass, field, replace

from routing.ami import AmiLink
from routing.latency_pbx import ZZ_QUEUE, Plan, pbx_process, plan_for
from routing.policy import RouteRequest


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))] if s else float("nan")


@dataclass
class Probe:
    """Stamps: when the current read arrived, which event is being applied, and the samples taken."""

    read_at: float = 0.0
    event: str | None = None
    recording: bool = False
    samples: dict[str, list[float]] = field(default_factory=dict)

    def watch_service(self, service) -> None:
        """Note the name of the event being applied (before `attach`: its listener looks `on_event` up)."""
        apply = service.on_event

        def on_event(node: str, event: dict, at: float | None = None) -> None:
            outer, self.event = self.event, event.get("Event")  # a Redirect announces itself: nested calls
            try:
                apply(node, event, at)
            finally:
                self.event = outer

        service.on_event = on_event

    def watch_link(self, link: AmiLink) -> None:
        """Stamp each read of the connected socket; time each Redirect written while an event is applied."""
        protocol = link._manager.protocol
        received = protocol.data_received

        def data_received(data: bytes) -> None:
            self.read_at = time.perf_counter()
            received(data)

        protocol.data_received = data_received
        submit = link.submit

        def timed_submit(action, timeout=None):
            trigger = self.event
            future = submit(action, timeout)  # the action is on the socket when submit returns
            if self.recording and action.get("Action") == "Redirect" and trigger is not None:
                self.samples.setdefault(trigger, []).append(time.perf_counter() - self.read_at)
            return future

        link.submit = timed_submit


async def _route_step(service, request) -> None:
    """The IVR's route step, reduced: the welcome prompt, then place() and the dialplan variables."""
    from ivr.channel import AgiChannel

    channel = AgiChannel(request)
    h = request.headers
    if request.script == "ivr":
        await channel.stream("welcome", escape="")
        decision = await service.place(RouteRequest(
            uniqueid=h["agi_uniqueid"], linkedid=h["agi_uniqueid"], channel=h["agi_channel"],
            caller_number=h.get("agi_callerid", ""), caller_name=h.get("agi_calleridname", ""),
            did=h.get("agi_extension") or None))
        for name, value in decision.variables().items():
            await channel.set_var(name, value)
    else:  # after-queue: nobody answered within the queue timeout
        await channel.set_var("HOTLINE_ACTION", "hangup")


async def _wait_for_load(service, target: int, limit: float) -> int:
    deadline = time.monotonic() + limit
    calls = service.state.node("node1").calls
    while len(calls) < target and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return len(calls)


async def measure_latency(*, seats: int, calls: int, window: float, seed: int, talk_seconds: float = 8.0) -> dict:
    """p50/p99 event-to-action vs Ping round-trip (ms), both on the same link in the same run."""
    from hotline.bus import EventBus
    from hotline.directory import load_directory
    from hotline.settings import Settings
    from ivr.agi import AgiApplication
    from routing.service import RoutingService

    directory = load_directory(Settings(_env_file=None).directory_file)
    service = RoutingService(directory, EventBus())
    service.rules = replace(service.rules, overflow_after_seconds=0, prefecture_max_wait_seconds=10**6)
    app = AgiApplication()

    async def route_step(request) -> None:
        await _route_step(service, request)

    for script in ("ivr", "after-queue"):
        app.add_route(script, route_step)
    agi = await asyncio.start_server(app.handler, "127.0.0.1", 0)
    plan = plan_for(directory, seats=seats, calls=calls, agi_port=agi.sockets[0].getsockname()[1], seed=seed,
                    talk_seconds=talk_seconds)
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    proc = ctx.Process(target=pbx_process, args=(there, plan), daemon=True)
    proc.start()
    loop = asyncio.get_running_loop()
    try:
        port = await loop.run_in_executor(None, here.recv)
        link = AmiLink(name="node1", host="127.0.0.1", port=port, username="engine", secret="engine",
                       ping_interval=3600)
        probe = Probe()
        probe.watch_service(service)
        service.attach(link)
        await link.start()
        await link.wait_ready(15)
        probe.watch_link(link)
        here.send("go")
        loaded = await _wait_for_load(service, calls, limit=plan.ramp_seconds * 3)
        await asyncio.sleep(plan.ivr_seconds + plan.talk_seconds)  # through the IVR into queues and seats
        pings = await _window(link, probe, window)
        live = len(service.state.node("node1").calls)
        here.send("stop")
        pbx = await loop.run_in_executor(None, here.recv)
        await link.stop()
    finally:
        proc.join(10)
        if proc.is_alive():
            proc.kill()
        agi.close()
        await service.stop()
    return _report(probe.samples, pings, plan, pbx, loaded=loaded, live=live)


async def _window(link: AmiLink, probe: Probe, window: float) -> list[float]:
    probe.recording = True
    pings = []
    ends = time.monotonic() + window
    while time.monotonic() < ends:
        pings.append(await link.ping_rtt())
        await asyncio.sleep(0.02)
    probe.recording = False
    return pings


def _report(samples: dict[str, list[float]], pings: list[float], plan: Plan, pbx: dict, *, loaded: int,
            live: int) -> dict:
    joins = samples.get("QueueCallerJoin", [])
    everything = [v for values in samples.values() for v in values]
    p50, p99 = _pct(joins, 0.5), _pct(joins, 0.99)
    ping50, ping99 = _pct(pings, 0.5), _pct(pings, 0.99)
    ms = lambda v: round(v * 1000, 3)  # noqa: E731
    return {"value": ms(p99), "baseline": "AMI Ping round-trip p99, same link, same run",
            "baseline_value": ms(ping99), "ratio": round(p99 / ping99, 3), "target": "ratio <= 1.0",
            "details": {"trigger": "QueueCallerJoin received -> Redirect written", "p50_ms": ms(p50), "p99_ms": ms(p99),
                        "ping_p50_ms": ms(ping50), "ping_p99_ms": ms(ping99), "p50_ratio": round(p50 / ping50, 3),
                        "samples": len(joins), "pings": len(pings),
                        "all_triggers_p99_ms": ms(_pct(everything, 0.99)),
                        "by_trigger": {k: {"samples": len(v), "p99_ms": ms(_pct(v, 0.99))} for k, v in samples.items()},
                        "seats": len(plan.seats), "target_calls": plan.calls, "calls_live_at_start": loaded,
                        "calls_live_at_end": live, "zz_queue": ZZ_QUEUE, "pbxsim": pbx}}
