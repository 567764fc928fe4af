"""Local channels (main/core_local.c, main/core_unreal.c) for `Originate Local/<exten>@<context>`.

Two halves share one name and a sequence of their own: `;2` runs the dialplan at exten@context,
`;1` is the originated channel; ringing and answer cross from `;2` to `;1`, a hang-up of either
half ends the other. No optimization happens (pbxsim never bridges `;1`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import calls
from . import events as ev
from .dial import OriginateRequest, _Originate
from .dialplan import run_pbx
from .model import RING, RINGING, UP, Channel

if TYPE_CHECKING:
    from .core import Simulator


class LocalOriginate(_Originate):
    """Originate of `Local/<exten>@<context>`."""

    def __init__(self, sim: "Simulator", req: OriginateRequest) -> None:
        super().__init__(sim, req)
        self.two: Channel | None = None

    def start(self) -> None:
        sim, req = self.sim, self.req
        target = req.tech_data.split("/", 1)[1]
        exten, _, context = target.partition("@")
        if not context or context not in sim.dialplan:  # core_local.c: no @context → no channel
            sim.sched.call_later(0.001, self.respond, False, req.tech_data, 0, "<unknown>")
            return
        seq = sim.ids.local_suffix()
        one = self.chan = sim.new_channel("", context=context, exten=exten, name=f"Local/{target}-{seq};1")
        two = self.two = sim.new_channel("", state=RING, context=context, exten=exten, linkedid=one.linkedid,
                                         name=f"Local/{target}-{seq};2")
        if req.cid is not None:  # the Originate CallerID is ;1's; ;2 sees it as its caller (crossover)
            one.cid_num, one.cid_name = req.cid
            two.cid_num, two.cid_name = req.cid
        one.variables.update(req.variables)
        two.variables.update(req.variables)
        one.__dict__["_pbx"] = False
        sim.emit(ev.event("LocalBridge", [*ev.chan_block(one.snapshot(), "LocalOne"),
                                          *ev.chan_block(two.snapshot(), "LocalTwo"), ("Context", context),
                                          ("Exten", exten), ("LocalOptimization", "Yes")]))
        sim.emit(ev.dial_event("DialBegin", None, one.snapshot(), ("DialString", target)))
        two.__dict__["_on_progress"] = self.progress
        two.__dict__["_on_up"] = self.up
        one.on_hangup.append(lambda c: self._end(two, hang_up=True))
        two.on_hangup.append(lambda c: self._end(one, hang_up=False))
        self.timer = sim.sched.call_later(req.timeout, self.no_answer)
        sim.spawn(run_pbx(sim, two))

    def progress(self) -> None:
        """;2's callee rings: ;1 shows Ringing (the indication crosses the unreal pair)."""
        one = self.chan
        if one is not None and not one.hungup and one.state != RINGING:
            self.sim.set_state(one, RINGING)
            self.sim.emit(ev.dial_event("DialState", None, one.snapshot(), ("DialStatus", "RINGING")))

    def up(self) -> None:
        """;2 was answered: answer it and ;1, then ;1 runs its application or dialplan."""
        two, one = self.two, self.chan
        if two is not None and two.state != UP:
            self.sim.set_state(two, UP)
        if one is not None and not one.hungup and one.state != UP:
            self.answered(one)

    def no_answer(self) -> None:
        one = self.chan
        if one is None or one.hungup or one.state == UP:
            return
        self.sim.destroy(one, 19)
        self.respond(False, self.req.tech_data, 3 if one.state == RINGING else 1, "<unknown>")

    def _end(self, other: Channel | None, hang_up: bool) -> None:
        if other is None or other.hungup:
            return
        if hang_up:
            calls.hangup(self.sim, other)
        else:
            calls.remote_hangup(self.sim, other)
