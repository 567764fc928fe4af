"""Outgoing legs: AMI Originate (main/manager.c action_originate + main/pbx.c ast_pbx_outgoing_exten)
and Dial() (apps/app_dial.c), with the event order of the callback capture."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import events as ev
from .dialplan import finish, run_pbx
from .model import RINGING, UP, Channel

if TYPE_CHECKING:
    from .core import Simulator

RING_SETUP = 0.002
PRES = "0 (Presentation Allowed, Not Screened)"


@dataclass
class OriginateRequest:
    """What an async Originate asked for."""

    action_id: str
    tech_data: str
    context: str
    exten: str
    priority: int
    cid: tuple[str, str] | None
    timeout: float
    variables: dict[str, str]
    application: str = ""
    data: str = ""

    @property
    def endpoint(self) -> str:
        """`PJSIP/seat1001` → `seat1001`."""
        return self.tech_data.split("/", 1)[1] if "/" in self.tech_data else self.tech_data


class _Originate:
    """One async Originate in flight: ring the endpoint, report OriginateResponse, run the dialplan."""

    def __init__(self, sim: "Simulator", req: OriginateRequest) -> None:
        self.sim, self.req = sim, req
        self.chan: Channel | None = None
        self.timer = None

    def start(self) -> None:
        sim, req = self.sim, self.req
        ep = sim.endpoints.get(req.endpoint)
        if ep is None or not ep.registered:  # no contact: fails at once, no channel (capture)
            sim.sched.call_later(0.001, self.respond, False, req.tech_data, 0, "<unknown>")
            return
        chan = self.chan = sim.new_channel(req.endpoint, context=ep.context, cid_num=ep.cid_num, cid_name=ep.cid_name)
        if req.cid is not None:
            chan.cid_num, chan.cid_name = req.cid
            sim.emit(ev.channel_event("NewCallerid", chan, ("CID-CallingPres", PRES)))
            sim.set_connected(chan, *req.cid)
        chan.variables.update(req.variables)
        chan.__dict__["_pbx"] = False
        chan.__dict__["_on_answer"] = self.answered
        chan.__dict__["_on_busy"] = self.busy
        sim.sched.call_later(RING_SETUP, self.ringing)
        self.timer = sim.sched.call_later(req.timeout, self.no_answer)

    def respond(self, ok: bool, chan_name: str, reason: int, uid: str) -> None:
        req = self.req
        self.sim.emit(ev.event("OriginateResponse", [
            *([("ActionID", req.action_id)] if req.action_id else []), ("Response", "Success" if ok else "Failure"),
            ("Channel", chan_name), ("Context", req.context), ("Exten", req.exten), ("Reason", str(reason)),
            ("Uniqueid", uid), ("CallerIDNum", req.cid[0] if req.cid else "<unknown>"),
            ("CallerIDName", req.cid[1] if req.cid else "<unknown>")]))

    def ringing(self) -> None:
        sim, chan = self.sim, self.chan
        if chan is None or chan.hungup:
            return
        sim.emit(ev.dial_event("DialBegin", None, chan.snapshot(), ("DialString", self.req.endpoint)))
        sim.set_state(chan, RINGING)
        sim.refresh_endpoint(chan.endpoint)
        sim.emit(ev.dial_event("DialState", None, chan.snapshot(), ("DialStatus", "RINGING")))
        script = getattr(sim.endpoints[chan.endpoint], "behaviour", None)
        if script is not None:
            script.on_ring(sim, chan)

    def answered(self, chan: Channel) -> None:
        sim, req = self.sim, self.req
        self.timer.cancel()
        self.respond(True, chan.name, 4, chan.uniqueid)  # Reason 4 = AST_CONTROL_ANSWER
        sim.set_state(chan, UP)
        sim.emit(ev.dial_event("DialEnd", None, chan.snapshot(), ("DialStatus", "ANSWER")))
        sim.refresh_endpoint(chan.endpoint)
        chan.__dict__["_pbx"] = True
        if req.application:
            sim.spawn(run_app(sim, chan, req.application, req.data))
        else:
            chan.context, chan.exten, chan.priority = req.context, req.exten, req.priority
            sim.spawn(run_pbx(sim, chan))

    def busy(self, chan: Channel) -> None:
        """The phone refused (486): Hangup cause 17, OriginateResponse Failure Reason 5 (busy)."""
        self.timer.cancel()
        self.sim.destroy(chan, 17)
        self.respond(False, self.req.tech_data, 5, "<unknown>")
        self.sim.refresh_endpoint(chan.endpoint)

    def no_answer(self) -> None:
        sim, chan = self.sim, self.chan
        if chan is None or chan.hungup or chan.state == UP:
            return
        sim.destroy(chan, 19, tech_cause=480)  # as captured (originate-callback): SIP 480 from chan_pjsip
        self.respond(False, self.req.tech_data, 3, "<unknown>")  # Reason 3 = ringing, no answer
        sim.refresh_endpoint(chan.endpoint)


def originate(sim: "Simulator", req: OriginateRequest) -> None:
    """Start an async Originate (PJSIP endpoint or Local/exten@context) into the dialplan or an application."""
    if req.tech_data.lower().startswith("local/"):
        from .local import LocalOriginate

        LocalOriginate(sim, req).start()
    else:
        _Originate(sim, req).start()


async def run_app(sim: "Simulator", chan: Channel, app: str, data: str) -> None:
    """An originated channel runs one application instead of the dialplan, then hangs up."""
    from .dialplan import APPS

    chan.application, chan.app_data = app, data
    handler = APPS.get(app) or next((h for name, h in APPS.items() if name.lower() == app.lower()), None)
    if handler is not None:
        await handler(sim, chan, data)
    if not chan.hungup:
        finish(sim, chan, 16)


def _callee_leg(sim: "Simulator", chan: Channel, endpoint: str, dial_string: str) -> Channel:
    """Create the callee channel: dialled extension as its number, the caller's name, connected = caller."""
    ep = sim.endpoints[endpoint]
    leg = sim.new_channel(endpoint, context=ep.context, linkedid=chan.linkedid)
    leg.cid_num, leg.cid_name = chan.exten, chan.cid_name
    leg.conn_num, leg.conn_name = chan.cid_num, chan.cid_name
    leg.exten = chan.exten
    sim.emit(ev.channel_event("NewCallerid", leg, ("CID-CallingPres", PRES)))
    sim.emit(ev.channel_event("NewConnectedLine", leg))
    sim.emit(ev.dial_event("DialBegin", chan.snapshot(), leg.snapshot(), ("DialString", dial_string)))
    sim.set_connected(chan, leg.cid_num, leg.cid_name)
    return leg


def _ring_callee(sim: "Simulator", chan: Channel, leg: Channel) -> None:
    if leg.hungup:
        return
    sim.set_state(leg, RINGING)
    sim.refresh_endpoint(leg.endpoint)
    sim.emit(ev.dial_event("DialState", chan.snapshot(), leg.snapshot(), ("DialStatus", "RINGING")))
    progress = chan.__dict__.get("_on_progress")  # a Local ;2 passes ringing to its ;1
    if progress is not None:
        progress()
    script = getattr(sim.endpoints[leg.endpoint], "behaviour", None)
    if script is not None:
        script.on_ring(sim, leg)


def _settle(fut: asyncio.Future, status: str) -> None:
    if not fut.done():
        fut.set_result(status)


async def dial(sim: "Simulator", chan: Channel, data: str) -> str:
    """Dial(PJSIP/<endpoint>[/<uri>],timeout): ring, bridge on answer, set DIALSTATUS."""
    target, _, rest = data.partition(",")
    timeout = float(rest.split(",")[0] or 30) if rest else 30.0
    parts = target.split("/")
    endpoint = parts[1] if len(parts) > 1 else parts[0]
    if endpoint not in sim.endpoints:
        chan.variables["DIALSTATUS"] = "CHANUNAVAIL"
        return "ok"
    leg = _callee_leg(sim, chan, endpoint, "/".join(parts[1:]))
    outcome: asyncio.Future = asyncio.get_running_loop().create_future()
    leg.__dict__["_on_answer"] = lambda c: _settle(outcome, "ANSWER")
    leg.__dict__["_on_busy"] = lambda c: _settle(outcome, "BUSY")
    chan.__dict__["_ringing_dial"] = lambda c: _settle(outcome, "CANCEL")
    sim.sched.call_later(RING_SETUP, _ring_callee, sim, chan, leg)
    timer = sim.sched.call_later(timeout, _settle, outcome, "NOANSWER")
    status = await outcome
    timer.cancel()
    chan.__dict__.pop("_ringing_dial", None)
    chan.variables["DIALSTATUS"] = status
    if status != "ANSWER":
        sim.emit(ev.dial_event("DialEnd", chan.snapshot(), leg.snapshot(), ("DialStatus", status)))
        sim.destroy(leg, {"CANCEL": 0, "BUSY": 17}.get(status, 19))
        sim.refresh_endpoint(endpoint)
        if status == "CANCEL":
            finish(sim, chan, 16)
        return "ok"
    return await _bridge_callee(sim, chan, leg)


async def _bridge_callee(sim: "Simulator", chan: Channel, leg: Channel) -> str:
    sim.set_state(leg, UP)
    sim.refresh_endpoint(leg.endpoint)
    leg.exten = ""  # the answered callee leg no longer shows the dialled extension (capture)
    sim.emit(ev.dial_event("DialEnd", chan.snapshot(), leg.snapshot(), ("DialStatus", "ANSWER")))
    answered = chan.__dict__.get("_on_up")  # a Local ;2 answers its ;1 when its callee answers
    if answered is not None:
        answered()
    done = asyncio.get_running_loop().create_future()
    chan.__dict__["_bridge_done"] = done
    sim.bridge(leg, chan)
    await done
    if chan.__dict__.pop("_transferred", False):  # redirected out of the bridge: go on elsewhere
        return "ok"
    return "hangup"
