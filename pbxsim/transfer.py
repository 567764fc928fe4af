"""Hold and blind transfer (main/bridge.c ast_bridge_transfer_blind, res_musiconhold.c)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import calls
from . import events as ev
from .dialplan import run_pbx
from .model import Channel

if TYPE_CHECKING:
    from .core import Simulator


def hold(sim: "Simulator", chan: Channel, musicclass: str = "default") -> None:
    """The phone on `chan` puts its peer on hold: Hold + MusicOnHoldStart on the peer."""
    peer = sim.peer(chan)
    sim.emit(ev.channel_event("Hold", chan, ("MusicClass", musicclass)))
    if peer is not None:
        sim.set_hold(peer, True)
        sim.emit(ev.channel_event("MusicOnHoldStart", peer, ("Class", musicclass)))
        sim.refresh_endpoint(peer.endpoint)


def unhold(sim: "Simulator", chan: Channel) -> None:
    """Unhold + MusicOnHoldStop on the peer."""
    peer = sim.peer(chan)
    sim.emit(ev.channel_event("Unhold", chan))
    if peer is not None and sim.is_held(peer):
        sim.set_hold(peer, False)
        sim.refresh_endpoint(peer.endpoint)
        sim.emit(ev.channel_event("MusicOnHoldStop", peer))


def blind_transfer(sim: "Simulator", chan: Channel, context: str, exten: str) -> None:
    """Send `chan`'s peer to context/exten; `chan` leaves and is hung up (BlindTransfer IsExternal)."""
    peer = sim.peer(chan)
    br = chan.bridge
    if peer is None or br is None:
        return
    if sim.is_held(peer):
        unhold(sim, chan)
    sim.emit(ev.event("BlindTransfer", [("Result", "Success"), *ev.chan_block(chan.snapshot(), "Transferer"),
                                        *ev.chan_block(peer.snapshot(), "Transferee"),
                                        *ev.bridge_block(br.snapshot()), ("IsExternal", "Yes"),
                                        ("Context", context), ("Extension", exten)]))
    sim.leave_bridge(chan)
    if chan.name in sim.queues.bridged:
        calls.end_bridged(sim, chan, reason="transfer", transfer=True)
    peer.context, peer.exten, peer.priority = context, exten, 1
    sim.leave_bridge(peer)
    sim.destroy_bridge(br)
    sim.destroy(chan, 16)
    sim.refresh_endpoint(chan.endpoint)
    peer.__dict__["_redirected"] = True
    fut = peer.__dict__.get("_bridge_done")
    if fut is not None and not fut.done():
        peer.__dict__["_bridge_done"] = None
        # the caller's Queue() returns into the new location instead of hanging up
        peer.__dict__["_transferred"] = True
        fut.set_result(None)
    else:
        sim.spawn(run_pbx(sim, peer))
