"""Small builders for pbxsim tests: a simulator without FastAGI and an event recorder."""
from __future__ import annotations

from pbxsim.core import Endpoint, PbxConfig, Simulator
from pbxsim.parties import CallerScript, SeatScript, place_call
from pbxsim.queues import QueueConfig
from pbxsim.scheduler import Scheduler

T0 = 1_800_000_000.0


def make_sim(queues: list[QueueConfig], seats: dict[str, SeatScript], unregistered: set[str] = frozenset()):
    """A virtual-time simulator (no IVR: callers carry HOTLINE_QUEUE) and its event list."""
    endpoints = [Endpoint("caller", registered=False, context="from-carrier")]
    for name, script in seats.items():
        num = name.removeprefix("seat")
        endpoints.append(Endpoint(name, num, f"坐席{num}", registered=name not in unregistered, behaviour=script))
    sim = Simulator(PbxConfig(fastagi_url=None, queues=queues, endpoints=endpoints), Scheduler(start=T0))
    seen: list[list[tuple[str, str]]] = []
    sim.listeners.append(seen.append)
    return sim, seen


def add(sim: Simulator, queue: str, *seats: str, penalty: int = 0, paused: bool = False) -> None:
    """QueueAdd each seat."""
    for s in seats:
        assert sim.queues.add_member(queue, f"PJSIP/{s}", s, "", penalty, paused, "") is None


def call(sim: Simulator, queue: str, number: str = "13800000000", **kw):
    """Place a caller that goes straight to `queue`."""
    return place_call(sim, CallerScript(number, "测试", variables={"HOTLINE_QUEUE": queue, **kw.pop("variables", {})}, **kw))


def named(events, name: str) -> list[dict]:
    """Events called `name`, as dicts."""
    return [dict(e) for e in events if e[0] == ("Event", name)]


def rung(events) -> list[str]:
    """Interfaces offered a call (AgentCalled), in order."""
    return [e["Interface"] for e in named(events, "AgentCalled")]
