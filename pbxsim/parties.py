"""Scripted parties: citizens calling in and seat phones (registered PJSIP endpoints)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import calls, queue_calls
from .model import UP, Channel

if TYPE_CHECKING:
    from .core import Simulator


@dataclass
class CallerScript:
    """A citizen: number, name, DID, digits and patience.

    `dtmf` are (seconds after the call is answered, digit) pairs on a fixed timeline (as the
    reference captures were made); `menu` are (delay, digits) answers given to each successive
    prompt that collects digits. `hangup_after` counts from answer; `patience` from joining a queue.
    """

    number: str
    name: str = ""
    did: str = "12348"
    dtmf: list[tuple[float, str]] = field(default_factory=list)
    menu: list[tuple[float, str]] = field(default_factory=list)
    hangup_after: float | None = None
    patience: float | None = None
    talk_time: float | None = None
    speech: str | None = None
    variables: dict[str, str] = field(default_factory=dict)  # preset channel variables (no-IVR runs)

    def on_collect(self, sim: "Simulator", chan: Channel) -> None:
        """A prompt started collecting digits: answer it from `menu`."""
        if not self.menu:
            return
        delay, digits = self.menu.pop(0)
        for i, d in enumerate(digits):
            sim.sched.call_later(delay + 0.25 * i, calls.dtmf, sim, chan, d)


@dataclass
class SeatScript:
    """A seat phone: answer after N seconds (None = never), refuse, hang up after talk time."""

    answer_after: float | None = 2.0
    refuse: bool = False
    talk_time: float | None = None
    speech: str | None = None
    remote_hold: bool = True  # obeys the remote-control NOTIFY (Event: hold / talk), like call-center phones

    def on_ring(self, sim: "Simulator", chan: Channel) -> None:
        """The phone starts ringing."""
        if self.refuse:
            sim.sched.call_later(0.05, _refuse, sim, chan)
        elif self.answer_after is not None:
            sim.sched.call_later(self.answer_after, _answer, sim, chan, self.talk_time)


def _refuse(sim: "Simulator", chan: Channel) -> None:
    if chan.hungup or queue_calls.refused(sim.queues, chan):
        return
    hook = chan.__dict__.get("_on_busy")  # an Originate or Dial() leg
    if hook is not None:
        hook(chan)


def _answer(sim: "Simulator", chan: Channel, talk: float | None) -> None:
    if chan.hungup or chan.state == UP:
        return
    if queue_calls.answered(sim.queues, chan):
        pass
    else:
        hook = chan.__dict__.get("_on_answer")
        if hook is None:
            return
        hook(chan)
    if talk is not None:
        sim.sched.call_later(talk, calls.remote_hangup, sim, chan)


def place_call(sim: "Simulator", script: CallerScript, trunk: str = "caller") -> Channel:
    """Start a scripted call now; its digits, patience and hang-up are scheduled."""
    chan = calls.inbound(sim, script.number, script.name, script.did, trunk=trunk, party=script,
                        variables=script.variables)
    for at, digit in script.dtmf:
        sim.sched.call_later(at, calls.dtmf, sim, chan, digit)
    if script.hangup_after is not None:
        sim.sched.call_later(script.hangup_after, calls.remote_hangup, sim, chan)
    return chan


def on_queued(sim: "Simulator", chan: Channel) -> None:
    """The caller joined a queue: give up after `patience` unless connected or gone by then."""
    script = chan.party
    patience = getattr(script, "patience", None)
    if patience is not None:
        sim.sched.call_later(patience, _give_up, sim, chan)


def on_connected(sim: "Simulator", chan: Channel) -> None:
    """The caller reached a seat: hang up after `talk_time`."""
    talk = getattr(chan.party, "talk_time", None)
    if talk is not None:
        sim.sched.call_later(talk, calls.remote_hangup, sim, chan)


def _give_up(sim: "Simulator", chan: Channel) -> None:
    if not chan.hungup and chan.bridge is None and chan.application == "Queue":
        calls.remote_hangup(sim, chan)
