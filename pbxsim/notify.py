"""PJSIPNotify (res/res_pjsip_notify.c manager_notify) and the seat phone's remote-control answer.

Asterisk only sends the NOTIFY; what happens next is the phone's doing. A scripted seat phone that
supports the BroadSoft remote control (`Event: hold` / `Event: talk`) holds or resumes its bridged
call a moment later, which Asterisk reports as Hold + MusicOnHoldStart / Unhold + MusicOnHoldStop.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import transfer
from .ami_actions import error, success
from .wire import Headers, get, get_all

if TYPE_CHECKING:
    from .ami_server import AmiSession
    from .core import Simulator

SIP_ROUND_TRIP = 0.05  # seconds between the NOTIFY and the phone's re-INVITE
BOTH = "PJSIPNotify requires either an Option or Variable(s).You must use only one of them."
ONE_TARGET = ("PJSIPNotify requires either an endpoint name, a SIP URI, or a channel.  "
              "You must use only one of them.")
NO_TARGET = "PJSIPNotify requires either an endpoint name, a SIP URI, or a channel."


def notify_headers(variables: list[str]) -> list[tuple[str, str]]:
    """`Variable: Event=hold` lines → SIP headers (astman_get_variables_order; '&' also separates)."""
    out = []
    for raw in variables:
        for item in raw.split("&"):
            name, sep, value = item.partition("=")
            if sep and name.strip():
                out.append((name.strip(), value.strip()))
    return out


def endpoint_name(raw: str) -> str:
    """manager_notify_endpoint strips a leading `sip/` then `pjsip/` (case-insensitive)."""
    for prefix in ("sip/", "pjsip/"):
        if raw[:len(prefix)].lower() == prefix:
            raw = raw[len(prefix):]
    return raw


async def pjsip_notify(s: "AmiSession", h: Headers) -> None:
    """PJSIPNotify: Endpoint | URI | Channel, and Option | Variable(s)."""
    sim = s.server.sim
    target = {k: get(h, k) for k in ("Endpoint", "URI", "Channel")}
    variables, option = get_all(h, "Variable"), get(h, "Option")
    if bool(option) == bool(variables):
        error(s, h, BOTH)
    elif sum(1 for v in target.values() if v) > 1:
        error(s, h, ONE_TARGET)
    elif target["Endpoint"]:
        name = endpoint_name(target["Endpoint"])
        if name not in sim.endpoints:
            error(s, h, f"Unable to retrieve endpoint {name}")
        elif option:
            error(s, h, f"Unable to find notify type '{option}'\n")  # no pjsip_notify.conf types
        else:
            success(s, h, "NOTIFY sent")
            sim.sched.call_later(SIP_ROUND_TRIP, phone_notified, sim, name, notify_headers(variables))
    elif target["Channel"]:
        chan = sim.find_channel(target["Channel"])
        if chan is None:
            error(s, h, "Channel not found")
        elif option:
            error(s, h, f"Unable to find notify type '{option}'\n")
        else:
            success(s, h, "NOTIFY sent")
            sim.sched.call_later(SIP_ROUND_TRIP, phone_notified, sim, chan.endpoint, notify_headers(variables))
    elif target["URI"]:
        if option:
            error(s, h, f"Unable to find notify type '{option}'\n")
        else:
            success(s, h, "NOTIFY sent")  # nobody simulated listens at a bare URI
    else:
        error(s, h, NO_TARGET)


def phone_notified(sim: "Simulator", endpoint: str, headers: list[tuple[str, str]]) -> None:
    """The phone received the NOTIFY: a remote-control phone holds or resumes its bridged call."""
    ep = sim.endpoints.get(endpoint)
    script = getattr(ep, "behaviour", None)
    if ep is None or not ep.registered or not getattr(script, "remote_hold", False):
        return
    events = [v.lower() for k, v in headers if k.lower() == "event"]
    chan = next((c for c in sim.by_endpoint.get(endpoint, {}).values() if c.bridge is not None and not c.hungup), None)
    if chan is None or not events:
        return
    peer = sim.peer(chan)
    held = peer is not None and sim.is_held(peer)
    if events[-1] == "hold" and not held:
        transfer.hold(sim, chan)
    elif events[-1] == "talk" and held:
        transfer.unhold(sim, chan)
