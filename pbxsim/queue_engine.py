"""app_queue behaviour: callers waiting, members rung by strategy, answer/no-answer/abandon.

Event order per channel follows the reference traces; where they are silent, apps/app_queue.c
(try_calling, ring_entry, wait_for_answer, rna, leave_queue, update_status, is_member_available).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import events as ev
from .model import Channel
from .queues import DEVICE_CODES, Member, QueueConfig, member_order, queue_order
from . import queue_calls
from .scheduler import Timer

if TYPE_CHECKING:
    from .core import Simulator


@dataclass
class Attempt:
    """One member being rung for one caller."""

    member: Member
    chan: Channel
    started: float
    timer: Timer | None = None


@dataclass
class Entry:
    """A caller waiting in a queue (struct queue_ent)."""

    chan: Channel
    queue: "QueueState"
    joined: float
    prio: int
    orig_pos: int
    outcome: asyncio.Future
    attempts: list[Attempt] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)
    linpos: int = 0
    deadline: float | None = None
    retry_at: float = 0.0


@dataclass
class QueueState:
    """A queue with its members, waiting callers and statistics."""

    cfg: QueueConfig
    members: list[Member] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    completed: int = 0
    abandoned: int = 0
    holdtime: int = 0
    talktime: int = 0
    rrpos: int = 0
    member_seq: int = 0
    _order: list[Member] = field(default_factory=list)
    _order_key: tuple[int, int] = (-1, -1)

    @property
    def name(self) -> str:
        """Queue name."""
        return self.cfg.name

    def member(self, interface: str) -> Member | None:
        """A member by interface (case-insensitive as member_cmp_fn)."""
        for m in self.members:
            if m.interface.lower() == interface.lower():
                return m
        return None

    def ordered(self) -> list[Member]:
        """Members in app_queue container order (cached until membership changes)."""
        key = (len(self.members), self.member_seq)
        if self._order_key != key:
            self._order, self._order_key = member_order(self.cfg.strategy, self.members), key
        return self._order


class QueueEngine:
    """Every queue of the simulated Asterisk."""

    def __init__(self, sim: "Simulator") -> None:
        self.sim = sim
        self.queues: dict[str, QueueState] = {}
        self.bridged: dict[str, tuple[Entry, Attempt, float]] = {}  # caller channel → call in progress
        self._version = 0  # bumped when membership changes; invalidates the interface index
        self._index: dict[str, list[tuple[QueueState, Member]]] = {}
        self._index_version = -1

    # -- configuration ------------------------------------------------------------------
    def add_queue(self, cfg: QueueConfig) -> QueueState:
        """Load a queue (and its static members) as a reload would."""
        q = QueueState(cfg)
        self.queues[cfg.name] = q
        for iface, penalty, name, state_iface in cfg.members:
            self._new_member(q, iface, name, state_iface, penalty, dynamic=False)
        return q

    def _new_member(self, q: QueueState, iface: str, name: str, state_iface: str, penalty: int,
                    dynamic: bool, paused: bool = False, reason: str = "") -> Member:
        now = int(self.sim.now)
        m = Member(interface=iface, name=name or iface, state_interface=state_iface or iface, penalty=penalty,
                   dynamic=dynamic, paused=paused, reason=reason if paused else "", login_time=now,
                   last_pause=now if paused else 0, order=q.member_seq, ringinuse=q.cfg.ringinuse)
        q.member_seq += 1
        m.status = DEVICE_CODES[self._device_of(m.state_interface)]
        q.members.append(m)
        self._version += 1
        return m

    def _device_of(self, iface: str) -> str:
        if iface.startswith("PJSIP/"):
            return self.sim.endpoint_state(iface)
        return self.sim.devstate.get(iface, "UNKNOWN")

    # -- member administration (AMI QueueAdd/Remove/Pause/Penalty) -------------------------
    def add_member(self, queue: str, iface: str, name: str, state_iface: str, penalty: int,
                   paused: bool, reason: str) -> str | None:
        """QueueAdd; returns None or Asterisk's error message."""
        q = self.queues.get(queue)
        if q is None:
            return "Unable to add interface to queue: No such queue"
        if q.member(iface) is not None:
            return "Unable to add interface: Already there"
        m = self._new_member(q, iface, name, state_iface, penalty, dynamic=True, paused=paused, reason=reason)
        self.sim.set_device(f"Queue:{q.name}_pause_{m.interface}", "INUSE" if m.paused else "NOT_INUSE")
        self.sim.emit(self.member_event("QueueMemberAdded", q, m))
        if self.available(q, m):
            self.sim.set_device(f"Queue:{q.name}_avail", "NOT_INUSE")
        self.sim.sched.call_later(0, self.kick, q)
        return None

    def remove_member(self, queue: str, iface: str) -> str | None:
        """QueueRemove; returns None or Asterisk's error message."""
        q = self.queues.get(queue)
        m = q.member(iface) if q else None
        if q is None or m is None:
            return "Unable to remove interface: Not there"
        if not m.dynamic:
            return "Member not dynamic"
        q.members.remove(m)
        self._version += 1
        self.sim.emit(self.member_event("QueueMemberRemoved", q, m))
        return None

    def pause(self, queue: str, iface: str, paused: bool, reason: str) -> bool:
        """QueuePause in one queue or (queue empty) every queue; False if not a member anywhere."""
        found = False
        for q in self.queues.values():
            if queue and q.name != queue:
                continue
            m = q.member(iface)
            if m is None:
                continue
            found = True
            m.paused, m.reason = paused, (reason if paused else "")
            if paused:
                m.last_pause = int(self.sim.now)
            self.sim.set_device(f"Queue:{q.name}_pause_{m.interface}", "INUSE" if paused else "NOT_INUSE")
            self._update_avail(q, m)
            self.sim.emit(self.member_event("QueueMemberPause", q, m))
            if not paused:
                self.sim.sched.call_later(0, self.kick, q)
        return found

    def penalty(self, queue: str, iface: str, penalty: int) -> bool:
        """QueuePenalty; False when the interface is no member."""
        found = False
        for q in self.queues.values():
            if queue and q.name != queue:
                continue
            m = q.member(iface)
            if m is None:
                continue
            found = True
            m.penalty = penalty
            self.sim.emit(self.member_event("QueueMemberPenalty", q, m))
        return found

    def member_event(self, name: str, q: QueueState, m: Member) -> list[tuple[str, str]]:
        """QueueMember* event body."""
        return ev.event(name, m.headers(q.name))

    # -- availability ---------------------------------------------------------------------
    def available(self, q: QueueState, m: Member) -> bool:
        """app_queue.c is_member_available: free device (or ringinuse), not paused, wrap-up over."""
        free = m.status in (DEVICE_CODES["NOT_INUSE"], DEVICE_CODES["UNKNOWN"])
        if not free and m.status not in (DEVICE_CODES["INVALID"], DEVICE_CODES["UNAVAILABLE"]):
            free = m.ringinuse
        if not free or m.paused:
            return False
        wrap = m.wrapuptime or q.cfg.wrapuptime
        return not (m.last_call and wrap and self.sim.now - wrap < m.last_call)

    def _update_avail(self, q: QueueState, m: Member) -> None:
        if not m.paused and self.available(q, m):
            self.sim.set_device(f"Queue:{q.name}_avail", "NOT_INUSE")
        elif not any(self.available(q, x) for x in q.members):
            self.sim.set_device(f"Queue:{q.name}_avail", "INUSE")

    def device_changed(self, device: str, state: str) -> None:
        """update_status: a member's device changed → QueueMemberStatus and _avail."""
        if device.startswith("Queue:"):
            return
        code = DEVICE_CODES.get(state, 0)
        touched = []
        for q, m in self._members_of(device):
            if m.status == code:
                continue
            m.status = code
            self.sim.emit(self.member_event("QueueMemberStatus", q, m))
            self._update_avail(q, m)
            touched.append(q)
        if code == DEVICE_CODES["NOT_INUSE"]:
            for q in touched:
                self.sim.sched.call_later(0, self.kick, q)

    def _members_of(self, device: str) -> list[tuple[QueueState, Member]]:
        """(queue, member) pairs whose state interface is `device`, in queue container order."""
        if self._index_version != self._version:
            index: dict[str, list[tuple[QueueState, Member]]] = {}
            for name in queue_order(list(self.queues)):
                q = self.queues[name]
                for m in q.ordered():
                    index.setdefault(m.state_interface.lower(), []).append((q, m))
            self._index, self._index_version = index, self._version
        return self._index.get(device.lower(), [])

    def kick(self, q: QueueState) -> None:
        """Offer waiting callers to members that became free."""
        queue_calls.kick(self, q)

    def busy_interfaces(self, q: QueueState) -> set[str]:
        """State interfaces that may not be rung now: unreachable, ringing, or (ringinuse=no) any
        call on the phone yet — the latter also covers a leg being set up (app_queue's pending_members)."""
        out = set()
        for m in q.members:
            if m.status in _NEVER_RING:
                out.add(m.state_interface)
            elif not (q.cfg.ringinuse or m.ringinuse) and (
                    m.status in _IN_USE or self.sim.by_endpoint.get(m.state_interface.partition("/")[2])):
                out.add(m.state_interface)
        return out


_NEVER_RING = {DEVICE_CODES[s] for s in ("UNAVAILABLE", "INVALID", "RINGING", "RINGINUSE", "BUSY")}
_IN_USE = {DEVICE_CODES["INUSE"], DEVICE_CODES["ONHOLD"]}
