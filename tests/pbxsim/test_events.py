"""Event headers in Asterisk 22's documented order (ami-events.json) for every event pbxsim emits."""
from __future__ import annotations

import json

import pytest

from pbxsim.events import EVENT_CLASS
from tests.conftest import SHARED, TRACES
from tests.pbxsim.conformance import parse, run_scenario

REFERENCE = json.loads((SHARED / "asterisk-reference" / "ami-events.json").read_text(encoding="utf-8"))


def _trace_orders() -> dict[str, list[str]]:
    """Header order per event as captured; where the wire and the XML documentation disagree
    (Agent* put Interface before MemberName, FullyBooted puts Status last) the wire wins."""
    out: dict[str, list[str]] = {}
    for path in TRACES.glob("*.ami.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            msg = parse(rec["data"])
            if rec["dir"] == "recv" and msg and msg[0][0] == "Event":
                keys = [k for k, _ in msg[1:] if k not in ("Privilege", "ActionID", "Variable")]
                if len(keys) > len(out.get(msg[0][1], [])):
                    out[msg[0][1]] = keys
    return out


TRACE_ORDER = _trace_orders()


def _ordered_subsequence(got: list[str], documented: list[str]) -> bool:
    pos = [documented.index(k) for k in got if k in documented]
    return pos == sorted(pos)


@pytest.mark.parametrize("scenario", ["queue-answered", "originate-callback", "hold-blindtransfer", "mixmonitor"])
async def test_emitted_events_follow_documented_header_order_and_class(scenario, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, got, _ = await run_scenario(TRACES, scenario)
    checked = set()
    for raw in got[1:]:
        msg = parse(raw)
        if msg[0][0] != "Event" or len(msg) < 2 or msg[1][0] != "Privilege":
            continue
        name = msg[0][1]
        ref = REFERENCE[name]
        assert msg[1][1] == f"{ref['class']},all", name
        keys = [k for k, _ in msg[2:] if k != "ActionID"]
        assert _ordered_subsequence(keys, TRACE_ORDER.get(name, ref["documented_headers"])), (name, keys)
        checked.add(name)
    assert checked


def test_event_classes_match_the_reference():
    for name, cls in EVENT_CLASS.items():
        if name in REFERENCE:
            assert REFERENCE[name]["class"] == cls, name


async def test_events_outside_the_traces_follow_the_documentation():
    from pbxsim import calls
    from pbxsim.parties import SeatScript
    from pbxsim.queues import QueueConfig
    from tests.pbxsim.helpers import add, call, make_sim

    sim, seen = make_sim([QueueConfig("q")], {"seat1": SeatScript(answer_after=1)}, unregistered={"seat1"})
    add(sim, "q", "seat1")
    sim.register("seat1", True)
    caller = call(sim, "q")
    await sim.sched.advance(3)
    seat = next(c for c in sim.channels.values() if c.endpoint == "seat1")
    calls.dtmf(sim, seat, "5", rfc4733=True)
    await sim.sched.advance(1)
    names = [e[0][1] for e in seen]
    assert {"ContactStatus", "DTMFBegin", "DTMFEnd"} <= set(names)
    for e in seen:
        name = e[0][1]
        if name in ("ContactStatus", "DTMFBegin"):
            keys = [k for k, _ in e[2:]]
            assert keys == REFERENCE[name]["documented_headers"], name
            assert e[1] == ("Privilege", f"{REFERENCE[name]['class']},all")
    status = [dict(e) for e in seen if e[0][1] == "QueueMemberStatus"]
    assert status[0]["Status"] == "1"  # unavailable (5) → registered and free (1)
    assert caller.name in sim.channels
