"""Wallboard service: today's numbers from stored records, live state from routing, pushes, alarms."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from routing.state import Call, NodeState, Queue, Visit
from supervisor.alarms import Threshold, Thresholds
from supervisor.live import BusQueueWaits, WallboardService, day_start
from supervisor.metrics import MetricParams
from supervisor.models import AlarmLog
from tests.supervisor.conftest import store_day
from tests.supervisor.scripted import CALLS, call

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai
TODAY = [c for c in CALLS if c["offered_at"].date() == NOW.date()]
ROUTING_THRESHOLDS = Thresholds(metrics={"waiting": Threshold(yellow=2, red=3)})


def routing_with(waiting: dict[str, list[float]]):
    """A routing service stand-in holding real routing state: queue → join times of waiting callers."""
    ns = NodeState("node1")
    for q, joins in waiting.items():
        queue = ns.queues.setdefault(q, Queue(q))
        for i, joined in enumerate(joins):
            lid = f"w-{q}-{i}"
            ns.calls[lid] = Call(lid, "node1", joined, visits=[Visit(q, joined)])
            queue.callers.append(lid)
    return SimpleNamespace(state=SimpleNamespace(nodes={"node1": ns}))


def early(records):
    """Move the scripted calls to before NOW (same Shanghai day)."""
    return [{**r, **{k: r[k] - timedelta(hours=8) for k in ("offered_at", "queued_at", "answered_at", "ended_at")
                     if r.get(k)}} for r in records]


async def board_for(kernel, thresholds=ROUTING_THRESHOLDS, now=NOW) -> WallboardService:
    b = WallboardService(kernel, params=MetricParams(), thresholds=thresholds, clock=lambda: now, min_interval=0)
    await b.start()
    return b


def row(frame, queue):
    return next(r for r in frame["queues"] if r["queue"] == queue)


async def test_today_counts_come_from_stored_records_and_survive_a_restart(kernel):
    await store_day(kernel, early(TODAY), [])
    for _ in range(2):  # the second board is a restarted process: same numbers from the database
        b = await board_for(kernel)
        frame = b.push()
        await b.stop()
        zz = next(c for c in frame["centers"] if c["center_code"] == "410100")
        assert (zz["offered"], zz["answered"], zz["overflowed"], zz["short_abandoned"]) == (7, 3, 1, 1)
        assert row(frame, "q-410000-consult")["answered"] == 1
        assert row(frame, "q-410100-aid")["answer_rate"] == 0.0


async def test_waiting_callers_and_longest_wait_come_from_the_routing_state(kernel):
    kernel.services["routing"] = routing_with({"q-410100-consult": [NOW.timestamp() - 42, NOW.timestamp() - 7]})
    b = await board_for(kernel)
    try:
        r = row(b.push(), "q-410100-consult")
        assert (r["waiting"], r["longest_wait_seconds"]) == (2, 42)
    finally:
        await b.stop()


async def test_a_bus_event_reaches_watchers_as_a_new_frame(kernel):
    b = await board_for(kernel)
    frames = b.watch()
    try:
        kernel.bus.publish("seat.status", {"extension": "1001", "center_code": "410100", "status": "on_call",
                                           "label": "通话中", "since": (NOW - timedelta(seconds=30)).isoformat()})
        record = early([call("c-N001", "15:00:00", "answered", [("q-410100-consult", 4)], wait=4, talk=9)])[0]
        kernel.bus.publish("call.record", {**record, "offered_at": record["offered_at"].isoformat()})

        async def latest():
            while True:
                f = await frames.get()
                if row(f, "q-410100-consult")["answered"] == 1 and f["seats"]:
                    return f
        f = await asyncio.wait_for(latest(), 5)
        seat = f["seats"][0]
        assert (seat["extension"], seat["status"], seat["seconds_in_state"]) == ("1001", "on_call", 30)
        assert row(f, "q-410100-consult")["on_call"] == 1
    finally:
        await b.stop()


async def drain(sub, n):
    return [await asyncio.wait_for(sub.queue.get(), 2) for _ in range(n)]


async def test_alarm_is_raised_logged_published_then_cleared(kernel):
    sub = kernel.bus.subscribe("alarm.*")
    routing = kernel.services["routing"] = routing_with({"q-410100-consult": [NOW.timestamp() - 5] * 3})
    b = await board_for(kernel)
    try:
        b.push()
        raised = {m.payload["scope"]: m.payload for m in await drain(sub, 2)}  # the queue and its center
        assert set(raised) == {"q-410100-consult", "410100"}
        q = raised["q-410100-consult"]
        assert (q["metric"], q["level"], q["value"], q["center_code"]) == ("waiting", "red", 3, "410100")
        assert "红色告警" in q["message"]
        routing.state.nodes["node1"].queues["q-410100-consult"].callers.clear()
        b.push()
        cleared = await drain(sub, 2)
        assert {m.topic for m in cleared} == {"alarm.cleared"} and not b.alarms
    finally:
        await b.stop()
    async with kernel.sessions() as s:
        logged = list(await s.scalars(select(AlarmLog).order_by(AlarmLog.scope)))
    assert [(a.scope, a.level, a.value, a.threshold, a.cleared_at is not None) for a in logged] == \
        [("410100", "red", 3.0, 3.0, True), ("q-410100-consult", "red", 3.0, 3.0, True)]


async def test_open_alarms_are_reloaded_after_a_restart(kernel):
    kernel.services["routing"] = routing_with({"q-410100-consult": [NOW.timestamp()] * 2})
    b = await board_for(kernel)
    b.push()
    await b.stop()
    b = await board_for(kernel)
    try:
        assert sorted(b.alarms) == [("410100", "waiting"), ("q-410100-consult", "waiting")]
        sub = kernel.bus.subscribe("alarm.*")
        b.push()  # still yellow: nothing raised twice
        await asyncio.sleep(0.05)
        assert sub.queue.empty()
    finally:
        await b.stop()


def test_day_starts_at_local_midnight():
    assert day_start(NOW, "Asia/Shanghai") == datetime(2026, 11, 1, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_wallboard_api_shows_only_the_supervisors_center(client_for):
    zz = (await client_for("zz").get("/api/supervisor/wallboard")).json()
    assert {r["center_code"] for r in zz["queues"]} == {"410100"}
    assert {r["center_code"] for r in zz["centers"]} == {"410100"}
    prov = (await client_for("prov").get("/api/supervisor/wallboard")).json()
    assert len(prov["centers"]) == 19
    assert (await client_for("li").get("/api/supervisor/wallboard")).status_code == 403


def test_bus_events_give_waiting_callers_when_the_engine_runs_elsewhere():
    w = BusQueueWaits()
    t0 = NOW - timedelta(seconds=50)
    w.apply("call.queued", {"linkedid": "a", "queue": "q-410100-consult", "at": t0.isoformat()})
    w.apply("call.queued", {"linkedid": "b", "queue": "q-410100-consult", "at": (NOW - timedelta(seconds=5)).isoformat()})
    w.apply("call.ringing", {"linkedid": "b", "queue": "q-410100-consult", "at": NOW.isoformat()})
    assert w.view(NOW)["q-410100-consult"] == {"waiting": 2, "longest_wait_seconds": 50}
    w.apply("call.overflowed", {"linkedid": "a", "from_queue": "q-410100-consult", "to_queue": "q-410000-consult",
                                "at": NOW.isoformat()})
    w.apply("call.connected", {"linkedid": "b", "queue": "q-410100-consult", "at": NOW.isoformat()})
    view = w.view(NOW)
    assert view["q-410100-consult"] == {"waiting": 0, "longest_wait_seconds": None}
    assert view["q-410000-consult"]["waiting"] == 1
    w.apply("call.ended", {"linkedid": "a", "outcome": "abandoned", "at": NOW.isoformat()})
    assert w.view(NOW)["q-410000-consult"]["waiting"] == 0


async def test_without_a_routing_engine_the_board_counts_waiting_callers_from_the_bus(kernel):
    b = await board_for(kernel)
    try:
        b.on_event("call.queued", {"linkedid": "x", "queue": "q-410300-aid", "at": (NOW - timedelta(seconds=9)).isoformat()})
        r = row(b.push(), "q-410300-aid")
        assert (r["waiting"], r["longest_wait_seconds"]) == (1, 9)
    finally:
        await b.stop()
