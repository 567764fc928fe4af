"""Outgoing legs: AMI Originate (main/manager.c action_originate + pbx_outgoing.c) and Dial()."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from . import events as ev
from .dialplan import finish, run_pbx
from .model import RINGING, UP, Channel

if TYPE_CHECKING:
    from .core import Simulator

RING_SETUP = 0.002
PRES = "0 (Presentation Allowed, Not Screened)"


def _reachable(sim: "Simulator", endpoint: str) -> bool:
    ep = sim.endpoints.get(endpoint)
    return ep is not None and ep.registered


def _ring_leg(sim: "Simulator", endpoint: str, linkedid: str | None, cid: tuple[str, str] | None) -> Channel:
    ep = sim.endpoints[endpoint]
    chan = sim.new_channel(endpoint, context=ep.context, cid_num=ep.cid_num, cid_name=ep.cid_name, linkedid=linkedid)
    if cid is not None:
        chan.cid_num, chan.cid_name = cid
        sim.emit(ev.channel_event("NewCallerid", chan, ("CID-CallingPres", PRES)))
        sim.set_connected(chan, *cid)
    return chan


def originate(sim: "Simulator", action_id: str, tech_data: str, context: str, exten: str, priority: int,
              cid: tuple[str, str] | None, timeout: float, variables: dict[str, str]) -> None:
    """Async Originate of a PJSIP endpoint into the dialplan; OriginateResponse reports the result."""
    endpoint = tech_data.split("/", 1)[1] if "/" in tech_data else tech_data
    base = [("ActionID", action_id)] if action_id else []

    def respond(ok: bool, chan_name: str, reason: int, uid: str) -> None:
        sim.emit(ev.event("OriginateResponse", [*base, ("Response", "Success" if ok else "Failure"),
                 ("Channel", chan_name), ("Context", context), ("Exten", exten), ("Reason", str(reason)),
                 ("Uniqueid", uid), ("CallerIDNum", cid[0] if cid else "<unknown>"),
                 ("CallerIDName", cid[1] if cid else "<unknown>")]))

    if not _reachable(sim, endpoint):
        sim.sched.call_later(0.001, respond, False, tech_data, 0, "<unknown>")
        return
    chan = _ring_leg(sim, endpoint, None, cid)
    chan.variables.update(variables)
    chan.__dict__["_pbx"] = False

    def ringing() -> None:
        if chan.hungup:
            return
        sim.set_state(chan, RINGING)
        sim.emit(ev.dial_event("DialBegin", None, chan.snapshot(), ("DialString", endpoint)))
        sim.refresh_endpoint(endpoint)
        sim.emit(ev.dial_event("DialState", None, chan.snapshot(), ("DialStatus", "RINGING")))
        script = getattr(sim.endpoints[endpoint], "behaviour", None)
        if script is not None:
            script.on_ring(sim, chan)

    def answered(c: Channel) -> None:
        timer.cancel()
        respond(True, chan.name, 4, chan.uniqueid)
        sim.set_state(chan, UP)
        sim.emit(ev.dial_event("DialEnd", None, chan.snapshot(), ("DialStatus", "ANSWER")))
        sim.refresh_endpoint(endpoint)
        chan.context, chan.exten, chan.priority = context, exten, priority
        chan.__dict__["_pbx"] = True
        sim.spawn(run_pbx(sim, chan))

    def no_answer() -> None:
        if chan.hungup or chan.state == UP:
            return
        sim.destroy(chan, 19, tech_cause=480)  # as captured (originate-callback): SIP 480 from chan_pjsip
        respond(False, tech_data, 3, "<unknown>")
        sim.refresh_endpoint(endpoint)

    chan.__dict__["_on_answer"] = answered
    sim.sched.call_later(RING_SETUP, ringing)
    timer = sim.sched.call_later(timeout, no_answer)


async def dial(sim: "Simulator", chan: Channel, data: str) -> str:
    """Dial(PJSIP/<endpoint>[/<uri>],timeout): ring, bridge on answer, set DIALSTATUS (app_dial.c).

    Event order and caller ids follow the callback capture: the callee leg takes the dialled
    extension as its number and the caller's name, its connected line is the caller.
    """
    target, _, rest = data.partition(",")
    timeout = float(rest.split(",")[0] or 30) if rest else 30.0
    parts = target.split("/")
    endpoint = parts[1] if len(parts) > 1 else parts[0]
    ep = sim.endpoints.get(endpoint)
    if ep is None:
        chan.variables["DIALSTATUS"] = "CHANUNAVAIL"
        return "ok"
    leg = sim.new_channel(endpoint, context=ep.context, linkedid=chan.linkedid)
    leg.cid_num, leg.cid_name = chan.exten, chan.cid_name
    leg.conn_num, leg.conn_name = chan.cid_num, chan.cid_name
    leg.exten = chan.exten
    sim.emit(ev.channel_event("NewCallerid", leg, ("CID-CallingPres", PRES)))
    sim.emit(ev.channel_event("NewConnectedLine", leg))
    sim.emit(ev.dial_event("DialBegin", chan.snapshot(), leg.snapshot(), ("DialString", "/".join(parts[1:]))))
    sim.set_connected(chan, leg.cid_num, leg.cid_name)
    outcome: asyncio.Future = asyncio.get_running_loop().create_future()

    def ringing() -> None:
        if leg.hungup:
            return
        sim.set_state(leg, RINGING)
        sim.refresh_endpoint(endpoint)
        sim.emit(ev.dial_event("DialState", chan.snapshot(), leg.snapshot(), ("DialStatus", "RINGING")))
        script = getattr(ep, "behaviour", None)
        if script is not None:
            script.on_ring(sim, leg)

    def settle(status: str) -> None:
        if not outcome.done():
            outcome.set_result(status)

    leg.__dict__["_on_answer"] = lambda c: settle("ANSWER")
    chan.__dict__["_ringing_dial"] = lambda c: settle("CANCEL")
    sim.sched.call_later(RING_SETUP, ringing)
    timer = sim.sched.call_later(timeout, settle, "NOANSWER")
    status = await outcome
    timer.cancel()
    chan.__dict__.pop("_ringing_dial", None)
    chan.variables["DIALSTATUS"] = status
    if status != "ANSWER":
        sim.emit(ev.dial_event("DialEnd", chan.snapshot(), leg.snapshot(), ("DialStatus", status)))
        sim.destroy(leg, 0 if status == "CANCEL" else 19)
        sim.refresh_endpoint(endpoint)
        if status == "CANCEL":
            finish(sim, chan, 16)
        return "ok"
    sim.set_state(leg, UP)
    sim.refresh_endpoint(endpoint)
    leg.exten = ""  # the answered callee leg no longer shows the dialled extension (capture)
    sim.emit(ev.dial_event("DialEnd", chan.snapshot(), leg.snapshot(), ("DialStatus", "ANSWER")))
    done = asyncio.get_running_loop().create_future()
    chan.__dict__["_bridge_done"] = done
    sim.bridge(leg, chan)
    await done
    return "hangup"
