"""Call control: inbound calls, far-end hang-ups, bridged-call completion, Redirect."""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import events as ev
from . import queue_calls
from .agi import deliver_digit
from .dialplan import finish, interrupt, run_pbx
from .model import RING, Channel

if TYPE_CHECKING:
    from .core import Simulator


def inbound(sim: "Simulator", number: str, name: str, did: str = "12348", trunk: str = "caller",
            party: object | None = None, variables: dict[str, str] | None = None) -> Channel:
    """A carrier call arrives on the trunk endpoint and enters `from-carrier`."""
    chan = sim.new_channel(trunk, state=RING, context="from-carrier", exten=did, cid_num=number, cid_name=name)
    chan.dnid = did
    chan.variables.update(variables or {})
    chan.party = party
    sim.spawn(run_pbx(sim, chan))
    return chan


def dtmf(sim: "Simulator", chan: Channel, digit: str, duration_ms: int = 160, rfc4733: bool = False) -> None:
    """A digit from the far end: SIP INFO gives DTMFEnd only (traces); RFC 4733 events (seat
    phones) give DTMFBegin at the first packet and DTMFEnd `duration_ms` later (main/channel.c)."""
    if chan.hungup:
        return
    if rfc4733:
        sim.emit(ev.channel_event("DTMFBegin", chan, ("Digit", digit), ("Direction", "Received")))
        sim.sched.call_later(duration_ms / 1000, _dtmf_end, sim, chan, digit, duration_ms)
        return
    _dtmf_end(sim, chan, digit, duration_ms)


def _dtmf_end(sim: "Simulator", chan: Channel, digit: str, duration_ms: int) -> None:
    if chan.hungup:
        return
    sim.emit(ev.channel_event("DTMFEnd", chan, ("Digit", digit), ("DurationMs", str(duration_ms)),
                              ("Direction", "Received")))
    deliver_digit(chan, digit)


def remote_hangup(sim: "Simulator", chan: Channel) -> None:
    """The party on `chan` hung up (BYE / CANCEL)."""
    if chan.hungup or chan.variables.get("__SOFTHANGUP") == "1":
        return
    if _attended_transfer_hangup(sim, chan):
        return
    eng = sim.queues
    if chan.name in eng.bridged:
        end_bridged(sim, chan)
        return
    if chan.bridge is not None:
        _end_plain_bridge(sim, chan)
        return
    sim.hangup_request(chan)
    chan.variables["__SOFTHANGUP"] = "1"
    chan.hangup_cause = 0 if chan.application in ("AGI", "Queue", "AppQueue") else 16
    pending = queue_calls.abandon(eng, chan)
    if pending or chan.application == "Queue":
        sim.soft_hangup(chan, 16)
        for att in pending:
            sim.destroy(att.chan, 0)
        sim.destroy(chan, 0)
        for att in pending:
            sim.refresh_endpoint(att.chan.endpoint)
        sim.refresh_endpoint(chan.endpoint)
        return
    ring = chan.__dict__.get("_ringing_dial")
    if ring is not None:
        ring(chan)
        return
    interrupt(chan)


def end_bridged(sim: "Simulator", hanging: Channel, reason: str | None = None, transfer: bool = False) -> None:
    """A queue call ends (app_queue AgentComplete; bridge teardown in the traces' order)."""
    eng = sim.queues
    entry, att, t0 = eng.bridged.pop(hanging.name)
    caller, seat, q, m = entry.chan, att.chan, entry.queue, att.member
    eng.bridged.pop(caller.name if hanging is seat else seat.name, None)
    if not transfer:
        sim.hangup_request(hanging)
    why = reason or ("caller" if hanging is caller else "agent")
    sim.emit(ev.dial_event("AgentComplete", caller.snapshot(), seat.snapshot(), ("Queue", q.name),
                           ("Interface", m.interface), ("MemberName", m.name),
                           ("HoldTime", str(int(t0) - int(entry.joined))),
                           ("TalkTime", str(int(sim.now) - int(t0))), ("Reason", why)))
    for other in sim.queues.queues.values():  # shared_lastcall = yes (app_queue.c update_queue)
        om = other.member(m.interface)
        if om is not None:
            om.calls += 1
            om.last_call = int(sim.now)
            wrap = om.wrapuptime or other.cfg.wrapuptime
            if wrap:  # the member becomes available again when wrap-up ends: offer waiting callers
                sim.sched.call_later(wrap + 0.01, sim.queues.kick, other)
    m.in_call = False
    q.completed += 1
    talk = int(sim.now) - int(t0)
    q.talktime = talk if q.completed == 1 else (q.talktime * 3 + talk) >> 2
    if transfer:
        return
    br = caller.bridge
    if hanging is caller:
        sim.leave_bridge(caller)
        finish(sim, caller, 16)
        sim.leave_bridge(seat)
        if br is not None:
            sim.destroy_bridge(br)
        sim.destroy(seat, 16)
        sim.refresh_endpoint(seat.endpoint)
    elif _continues(caller):
        # Queue option c: the caller goes on in the dialplan (the survey) when the seat hangs up
        sim.leave_bridge(seat)
        sim.leave_bridge(caller)
        sim.destroy(seat, 16)
        sim.refresh_endpoint(seat.endpoint)
        if br is not None:
            sim.destroy_bridge(br)
        caller.__dict__["_transferred"] = True  # Queue() returns into the next priority
    else:
        sim.leave_bridge(seat)
        sim.leave_bridge(caller)
        sim.soft_hangup(caller, 16)
        sim.destroy(seat, 16)
        sim.destroy(caller, 16)
        sim.refresh_endpoint(seat.endpoint)
        sim.refresh_endpoint(caller.endpoint)
        if br is not None:
            sim.destroy_bridge(br)
    _bridge_done(caller)


def _continues(caller: Channel) -> bool:
    """The caller's Queue() was given option c (continue in the dialplan when the member hangs up)."""
    parts = caller.app_data.split(",")
    return caller.application == "Queue" and len(parts) > 1 and "c" in parts[1]


def _end_plain_bridge(sim: "Simulator", hanging: Channel) -> None:
    """A Dial()/Originate bridge ends: the other party is hung up too."""
    other = sim.peer(hanging)
    br = hanging.bridge
    sim.hangup_request(hanging)
    sim.leave_bridge(hanging)
    finish(sim, hanging, 16)
    if other is not None:
        sim.leave_bridge(other)
        if br is not None:
            sim.destroy_bridge(br)
        other.hangup_cause = 16
        _bridge_done(other)
        if other.__dict__.get("_pbx") is None:  # a Dial() callee leg runs no dialplan: plain hang-up
            sim.destroy(other, 16)
            sim.refresh_endpoint(other.endpoint)
    elif br is not None:
        sim.destroy_bridge(br)
    _bridge_done(hanging)


def _leave_for_redirect(sim: "Simulator", chan: Channel, keep_peer: bool) -> None:
    peer, br = sim.peer(chan), chan.bridge
    if chan.name in sim.queues.bridged:
        end_bridged(sim, chan, reason="transfer", transfer=True)
    sim.leave_bridge(chan)
    if peer is not None:
        sim.leave_bridge(peer)
    if br is not None:
        sim.destroy_bridge(br)
    for c in (chan, peer) if keep_peer else (chan,):
        if c is not None:
            c.__dict__["_transferred"] = True
            c.__dict__["_redirected"] = True
            if c.__dict__.get("_bridge_done") is None:  # not running a dialplan yet (a Dial() callee)
                from .dialplan import run_pbx

                c.__dict__["_pbx"] = True
                sim.spawn(run_pbx(sim, c))
            _bridge_done(c)
    if peer is not None and not keep_peer:
        if peer.__dict__.get("_pbx") is None or peer.__dict__.get("_bridge_done") is None:
            sim.destroy(peer, 16)
            sim.refresh_endpoint(peer.endpoint)
        else:
            peer.hangup_cause = 16
            peer.variables["__SOFTHANGUP"] = "1"
            _bridge_done(peer)


def _bridge_done(chan: Channel) -> None:
    fut = chan.__dict__.get("_bridge_done")
    if fut is not None and not fut.done():
        fut.set_result(None)


def hangup(sim: "Simulator", chan: Channel, cause: int = 16) -> None:
    """AMI Hangup / local hang-up of a channel (ast_softhangup then the PBX thread ends)."""
    if _attended_transfer_hangup(sim, chan):
        return
    if chan.name in sim.queues.bridged:
        end_bridged(sim, chan, reason="agent" if chan.application == "AppQueue" else "caller")
        return
    if chan.bridge is not None:
        _end_plain_bridge(sim, chan)
        return
    chan.hangup_cause = cause
    ring = chan.__dict__.get("_ringing_dial")
    if ring is not None:  # hung up while its Dial() rings: the callee is cancelled at once
        chan.variables["__SOFTHANGUP"] = "1"
        ring(chan)
        return
    pending = queue_calls.abandon(sim.queues, chan)
    for att in pending:
        sim.destroy(att.chan, 0)
        sim.refresh_endpoint(att.chan.endpoint)
    chan.variables["__SOFTHANGUP"] = "1"
    if chan.__dict__.get("_pbx") is False or pending or chan.application == "AppQueue":
        finish(sim, chan, cause)
        return
    interrupt(chan)


def redirect(sim: "Simulator", chan: Channel, context: str, exten: str, priority: int,
             keep_peer: bool = False) -> None:
    """Move a channel to another dialplan location (AMI Redirect, ast_async_goto).

    A bridged channel leaves its bridge; the two-party bridge dissolves and the other party is
    hung up unless it is redirected too (ExtraChannel). A queue call ends as a transfer.
    """
    chan.context, chan.exten, chan.priority = context, exten, priority
    chan.__dict__["_redirected"] = True
    if chan.bridge is not None:
        _leave_for_redirect(sim, chan, keep_peer)
        return
    pending = queue_calls.abandon(sim.queues, chan, hangup=False)
    for att in pending:
        sim.destroy(att.chan, 0)
        sim.refresh_endpoint(att.chan.endpoint)
    interrupt(chan)


def _attended_transfer_hangup(sim: "Simulator", chan: Channel) -> bool:
    """A hang-up during an attended transfer: the transferer's completes it (pbxsim.atxfer)."""
    if "_atxfer" in chan.__dict__:
        from . import atxfer

        atxfer.complete(sim, chan)
        return True
    if "_atxfer_of" in chan.__dict__:
        from . import atxfer

        atxfer.transferee_gone(sim, chan)
    return False
