"""Attended transfer (main/bridge_basic.c, features.conf `atxfer`) as the AMI Atxfer action starts it.

manager.c only queues the `atxfer` feature code and the digits on the transferer's channel; they act
when that channel has transfer rights in its bridge (Queue option `t`, Dial `t`/`T`). Then, as
bridge_basic.c does: the transferee is held (MOH) and the transferer leaves the call, hears the
`pbx-transfer` prompt, and a Local channel `<exten>@<context>` (TRANSFER_CONTEXT) rings the target;
the transferer and `;1` share a consultation bridge once the target answers. Hanging up the
transferer completes the transfer (`;1` takes its place in the caller's bridge: AttendedTransfer
DestType Bridge; a queue call ends with AgentComplete Reason transfer); a target that hangs up or
does not answer in `atxfernoanswertimeout` gives the transferer the caller back.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import calls
from . import events as ev
from .dial import OriginateRequest
from .local import LocalOriginate
from .model import UP, Bridge, Channel
from .transfer import hold, unhold

if TYPE_CHECKING:
    from .core import Simulator

NO_ANSWER_TIMEOUT = 15.0  # features.conf atxfernoanswertimeout default
PROMPT = "pbx-transfer"
PROMPT_SECONDS = 1.0  # a stock Asterisk install ships sounds/<lang>/pbx-transfer


@dataclass
class Consultation:
    """One attended transfer in progress."""

    transferer: Channel
    transferee: Channel
    orig: Bridge
    local: "_TransferLocal | None" = None
    second: Bridge | None = None
    done: bool = False


def has_transfer_rights(sim: "Simulator", chan: Channel) -> bool:
    """Whether `chan` may transfer its bridge peer: the queue call was placed with option `t`, or Dial `t`/`T`."""
    peer = sim.peer(chan)
    if peer is None:
        return False
    opts = peer.app_data.split(",")[1] if "," in peer.app_data else ""
    if peer.application == "Queue":
        return "t" in opts  # t: the called member may transfer the caller
    if chan.application == "Dial" or peer.application == "Dial":
        dialer = peer if peer.application == "Dial" else chan
        opts = dialer.app_data.split(",")[2] if dialer.app_data.count(",") >= 2 else ""
        return ("t" in opts and dialer is not chan) or ("T" in opts and dialer is chan)
    return False


def start(sim: "Simulator", chan: Channel, exten: str, context: str) -> bool:
    """Begin an attended transfer of `chan`'s peer to exten@context; False when nothing happens."""
    peer, br = sim.peer(chan), chan.bridge
    if peer is None or br is None or "_atxfer" in chan.__dict__ or not has_transfer_rights(sim, chan):
        return False
    cons = Consultation(transferer=chan, transferee=peer, orig=br)
    chan.__dict__["_atxfer"] = cons
    peer.__dict__["_atxfer_of"] = cons
    hold(sim, chan)
    sim.leave_bridge(chan)
    prompt = sim.config.prompt_seconds.get(PROMPT, PROMPT_SECONDS)
    sim.sched.call_later(prompt, _dial_target, sim, cons, exten, context)
    return True


def _dial_target(sim: "Simulator", cons: Consultation, exten: str, context: str) -> None:
    if cons.done or cons.transferer.hungup:
        return
    req = OriginateRequest("", f"Local/{exten}@{context}", context, exten, 1,
                           (cons.transferer.cid_num, cons.transferer.cid_name), NO_ANSWER_TIMEOUT, {})
    cons.local = _TransferLocal(sim, req, cons)
    cons.local.start()
    if cons.local.chan is None:  # no such context: the transferer gets the caller back
        abort(sim, cons)


class _TransferLocal(LocalOriginate):
    """The Local pair that rings the transfer target for the transferer (bridge_basic.c dial_transfer)."""

    def __init__(self, sim: "Simulator", req: OriginateRequest, cons: Consultation) -> None:
        super().__init__(sim, req)
        self.cons = cons

    def start(self) -> None:
        super().start()
        if self.chan is not None:
            self.chan.on_hangup.append(lambda c: _target_gone(self.sim, self.cons))

    def respond(self, ok: bool, chan_name: str, reason: int, uid: str) -> None:
        """No OriginateResponse: nobody sent an Originate."""

    def answered(self, chan: Channel) -> None:
        """The target answered: ;1 is up, in the consultation bridge with the transferer (or the caller's)."""
        sim, cons = self.sim, self.cons
        self.timer.cancel()
        chan.__dict__.pop("_pbx", None)  # ;1 runs no dialplan: it ends with its bridge, like a Dial() callee
        if chan.state != UP:
            sim.set_state(chan, UP)
        sim.emit(ev.dial_event("DialEnd", None, chan.snapshot(), ("DialStatus", "ANSWER")))
        if not cons.done:
            cons.second = sim.bridge(cons.transferer, chan)


def _target_gone(sim: "Simulator", cons: Consultation) -> None:
    """;1 ended: before completion the transferer gets the caller back; after a transfer completed while
    the target still rang, nobody is left for the caller and the call ends."""
    if not cons.done:
        abort(sim, cons)
        return
    one = cons.local.chan if cons.local is not None else None
    if one is not None and one in cons.orig.channels and not cons.transferee.hungup:
        sim.leave_bridge(one)
        calls.hangup(sim, cons.transferee)


def transferee_gone(sim: "Simulator", caller: Channel) -> None:
    """The caller hung up while the transferer consulted: the consultation ends with it."""
    cons: Consultation | None = caller.__dict__.pop("_atxfer_of", None)
    if cons is None or cons.done:
        return
    cons.done = True
    cons.transferer.__dict__.pop("_atxfer", None)
    one = cons.local.chan if cons.local is not None else None
    if cons.second is not None:
        sim.leave_bridge(cons.transferer)
        if one is not None:
            sim.leave_bridge(one)
        sim.destroy_bridge(cons.second)
    if one is not None and not one.hungup:
        _drop(sim, one)


def _drop(sim: "Simulator", one: Channel) -> None:
    """Hang up ;1 outside any bridge (its ;2 and the target follow through the Local pair)."""
    sim.destroy(one, 16)
    sim.refresh_endpoint(one.endpoint)


def abort(sim: "Simulator", cons: Consultation) -> None:
    """The transferer returns to the transferee's bridge; the hold ends."""
    cons.done = True
    chan = cons.transferer
    chan.__dict__.pop("_atxfer", None)
    cons.transferee.__dict__.pop("_atxfer_of", None)
    if cons.second is not None:
        for member in list(cons.second.channels):
            sim.leave_bridge(member)
        sim.destroy_bridge(cons.second)
    if chan.hungup or cons.transferee.hungup:
        return
    cons.orig.channels.append(chan)
    chan.bridge = cons.orig
    sim.emit(ev.bridge_event("BridgeEnter", cons.orig, chan))
    unhold(sim, chan)


def cancel(sim: "Simulator", chan: Channel) -> None:
    """features.conf atxferabort (CancelAtxfer): the target leg is dropped, the transferer takes the caller back."""
    cons: Consultation | None = chan.__dict__.get("_atxfer")
    if cons is None or cons.done:
        return
    one = cons.local.chan if cons.local is not None else None
    abort(sim, cons)
    if one is not None and not one.hungup:
        _drop(sim, one)


def complete(sim: "Simulator", chan: Channel) -> None:
    """The transferer hung up while consulting: the target's leg takes its place next to the caller."""
    cons: Consultation = chan.__dict__.pop("_atxfer")
    cons.transferee.__dict__.pop("_atxfer_of", None)
    cons.done = True
    one = cons.local.chan if cons.local is not None else None
    caller = cons.transferee
    if one is None or one.hungup or caller.hungup:  # nothing to hand the caller to: a plain hang-up
        _rejoin_and_hang_up(sim, cons)
        return
    second = cons.second
    sim.emit(ev.event("AttendedTransfer", [
        ("Result", "Success"), *ev.chan_block(chan.snapshot(), "OrigTransferer"),
        *ev.bridge_block(cons.orig.snapshot(), "Orig"), *ev.chan_block(chan.snapshot(), "SecondTransferer"),
        *(ev.bridge_block(second.snapshot(), "Second") if second is not None else []),
        *ev.chan_block(caller.snapshot(), "Transferee"), *ev.chan_block(one.snapshot(), "TransferTarget"),
        ("IsExternal", "No"), ("DestType", "Bridge"), ("DestBridgeUniqueid", cons.orig.uniqueid)]))
    if chan.name in sim.queues.bridged:
        calls.end_bridged(sim, chan, reason="transfer", transfer=True)
    if sim.is_held(caller):
        sim.set_hold(caller, False)
        sim.refresh_endpoint(caller.endpoint)
        sim.emit(ev.channel_event("MusicOnHoldStop", caller))
    if second is not None:
        sim.leave_bridge(chan)
        sim.leave_bridge(one)
        sim.destroy_bridge(second)
    cons.orig.channels.append(one)
    one.bridge = cons.orig
    sim.emit(ev.bridge_event("BridgeEnter", cons.orig, one))
    sim.destroy(chan, 16)
    sim.refresh_endpoint(chan.endpoint)


def _rejoin_and_hang_up(sim: "Simulator", cons: Consultation) -> None:
    chan = cons.transferer
    if cons.local is not None and cons.local.chan is not None and not cons.local.chan.hungup:
        if cons.second is not None:
            sim.leave_bridge(chan)
            sim.leave_bridge(cons.local.chan)
            sim.destroy_bridge(cons.second)
        _drop(sim, cons.local.chan)
    if not cons.transferee.hungup:
        cons.orig.channels.append(chan)
        chan.bridge = cons.orig
        sim.emit(ev.bridge_event("BridgeEnter", cons.orig, chan))
        unhold(sim, chan)
    calls.hangup(sim, chan)
