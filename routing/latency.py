"""Decision-to-action latency with a loaded engine, against AMI Ping round-trips on the same link.

A tiny loopback AMI responder answers Login/Ping/Redirect/lists; the engine holds `seats` queue
members and `calls` waiting callers. Each sample: a caller that overflowed to the provincial queue is
waiting when a seat in its prefecture frees; the time from that event entering the service to the
Redirect being written on the socket is one latency. Ping round-trips are sampled in between.
"""
from __future__ import annotations

import asyncio
import random
import time

from routing.ami import AmiLink
from routing.parser import AmiFramer
from routing.policy import RouteRequest
from routing.testing import CallScript, member_event


def _wire(msg: dict) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in msg.items()) + "\r\n").encode()


async def _responder(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"Asterisk Call Manager/11.0.0\r\n")
    framer = AmiFramer()
    framer.version = "peer"
    while data := await reader.read(65536):
        for msg in framer.feed(data):
            aid, action = msg.get("ActionID", ""), str(msg.get("Action", "")).lower()
            if action in ("queuestatus", "coreshowchannels"):
                writer.write(_wire({"Response": "Success", "ActionID": aid, "EventList": "start"})
                             + _wire({"Event": "ListComplete", "ActionID": aid, "EventList": "Complete"}))
            else:
                writer.write(_wire({"Response": "Success", "ActionID": aid, "Message": "ok"}))
    writer.close()


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


async def measure_latency(*, seats: int, calls: int, samples: int, seed: int) -> dict:
    """p50/p99 decision-to-action vs Ping round-trip (ms); ratio = p99 / median Ping."""
    from hotline.bus import EventBus
    from hotline.directory import load_directory
    from hotline.settings import Settings
    from routing.service import RoutingService

    server = await asyncio.start_server(_responder, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    link = AmiLink(name="node1", host="127.0.0.1", port=port, username="engine", secret="engine",
                   ping_interval=3600)
    directory = load_directory(Settings(_env_file=None).directory_file)
    service = RoutingService(directory, EventBus())
    service.attach(link)
    await link.start()
    await link.wait_ready(10)
    sent_at: list[float] = []
    real_submit = link.submit

    def timed_submit(action, timeout=None):
        future = real_submit(action, timeout)  # the action is on the socket when this returns
        if action.get("Action") == "Redirect":
            sent_at.append(time.perf_counter())
        return future

    link.submit = timed_submit
    _load(service, directory, seats, calls, random.Random(seed))
    latencies, pings = [], []
    for i in range(samples):
        lat = await _one_sample(service, sent_at, 1_000_000 + i)
        if lat is not None:
            latencies.append(lat)
        pings.append(await link.ping_rtt())
    await link.stop()
    server.close()
    await server.wait_closed()
    await service.stop()
    p50, p99 = _pct(latencies, 0.5), _pct(latencies, 0.99)
    ping50, ping99 = _pct(pings, 0.5), _pct(pings, 0.99)
    # tails compared with tails, medians with medians: both measured on the same link in the same run
    return {"value": round(p99 * 1000, 3), "baseline": "AMI Ping round-trip p99, same link, same run",
            "baseline_value": round(ping99 * 1000, 3), "ratio": round(p99 / ping99, 3), "target": "ratio <= 1.0",
            "details": {"p50_ms": round(p50 * 1000, 3), "p99_ms": round(p99 * 1000, 3),
                        "ping_p50_ms": round(ping50 * 1000, 3), "ping_p99_ms": round(ping99 * 1000, 3),
                        "p50_ratio": round(p50 / ping50, 3), "p99_over_ping_p50": round(p99 / ping50, 3),
                        "samples": len(latencies), "seats": seats, "calls": calls}}


def _load(service, directory, seats: int, calls: int, rnd: random.Random) -> None:
    """`seats` busy members spread over the centers' queues, `calls` callers waiting."""
    queues = [q for q in directory.queue_names() if q != "q-410100-consult"]  # the sampled prefecture stays clear
    for s in range(seats):
        q = queues[s % len(queues)]
        service.on_event("node1", member_event(q, f"{5000 + s}", status=2, in_call=True, event="QueueMemberAdded"))
    for c in range(calls):
        script = CallScript(c, number=f"1380371{c:04d}")
        for event in script.start():
            service.on_event("node1", event)
        service.on_event("node1", script.join(rnd.choice(queues), position=1))


async def _one_sample(service, sent_at: list[float], n: int) -> float | None:
    zz, prov = "q-410100-consult", "q-410000-consult"
    call = CallScript(n, number="13803710000")
    for event in call.start():
        service.on_event("node1", event)
    await service.place(RouteRequest(uniqueid=call.uid, linkedid=call.uid, caller_number=call.number))
    for event in (call.join(zz), call.caller("QueueCallerAbandon", Queue=zz, HoldTime="45"),
                  call.caller("QueueCallerLeave", Queue=zz), call.join(prov)):
        service.on_event("node1", event)
    before = len(sent_at)
    t0 = time.perf_counter()
    service.on_event("node1", member_event(zz, "1001", status=1))
    for _ in range(1000):
        if len(sent_at) > before:
            break
        await asyncio.sleep(0)
    latency = sent_at[-1] - t0 if len(sent_at) > before else None
    service.on_event("node1", member_event(zz, "1001", status=2, in_call=True))
    for event in call.end_caller():
        service.on_event("node1", event)
    await asyncio.sleep(0)
    return latency
