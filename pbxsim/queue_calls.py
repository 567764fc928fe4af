"""The caller's side of Queue(): join, ring members, answer, no-answer, abandon, leave, complete."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from . import events as ev
from .model import RINGING, UP, Channel
from .queues import anyone_there, empty_conditions

if TYPE_CHECKING:
    from .queue_engine import Attempt, Entry, QueueEngine, QueueState

RING_SETUP = 0.002  # seconds between INVITE and 180 Ringing on loopback (traces: 1–3 ms)


def join(eng: "QueueEngine", chan: Channel, queue: str, timeout: float | None, prio: int) -> asyncio.Future:
    """Queue(): put the caller in line; the future resolves with QUEUESTATUS or 'ANSWERED'."""
    from .queue_engine import Entry

    fut = asyncio.get_running_loop().create_future()
    q = eng.queues.get(queue)
    if q is None:
        fut.set_result("UNKNOWN")
        return fut
    if q.cfg.maxlen and len(q.entries) >= q.cfg.maxlen:
        fut.set_result("FULL")
        return fut
    joinempty = empty_conditions(q.cfg.joinempty, joinempty=True)
    if joinempty and not anyone_there(q.members, joinempty, eng.sim.now, q.cfg.wrapuptime):
        fut.set_result("JOINEMPTY")
        return fut
    pos = len(q.entries)
    for i, other in enumerate(q.entries):  # app_queue.c join_queue: higher priority goes first
        if prio > other.prio:
            pos = i
            break
    entry = Entry(chan=chan, queue=q, joined=eng.sim.now, prio=prio, orig_pos=pos + 1, outcome=fut)
    q.entries.insert(pos, entry)
    if timeout:
        entry.deadline = eng.sim.now + timeout
        entry.timers.append(eng.sim.sched.call_at(entry.deadline, _timeout, eng, entry))
    eng.sim.set_device(f"Queue:{q.name}", "RINGING")
    eng.sim.emit(ev.channel_event("QueueCallerJoin", chan, ("Queue", q.name), ("Position", str(pos + 1)),
                                  ("Count", str(len(q.entries)))))
    from .parties import on_queued

    on_queued(eng.sim, chan)
    eng.kick(q)
    if not entry.attempts and entry.retry_at <= eng.sim.now:
        _poll_later(eng, entry)
    return fut


def _poll_later(eng: "QueueEngine", entry: "Entry") -> None:
    """Nobody to ring now. Members that free up (hang-up, unpause, registration, wrap-up end) kick
    the queue; a timed re-check is only needed for leavewhenempty (queue_exec's loop)."""
    q = entry.queue
    if empty_conditions(q.cfg.leavewhenempty, joinempty=False):
        entry.retry_at = eng.sim.now + q.cfg.retry
        entry.timers.append(eng.sim.sched.call_later(q.cfg.retry, _retry, eng, entry))


def kick(eng: "QueueEngine", q: "QueueState") -> None:
    """Offer waiting callers, in queue order, to free members (autofill)."""
    if not q.entries or not _has_free(eng, q):
        return
    for entry in list(q.entries):
        if entry.attempts or entry.outcome.done() or entry.retry_at > eng.sim.now:
            continue
        ring(eng, entry)
        if not _has_free(eng, q):
            return


def _free_count(eng: "QueueEngine", q: "QueueState") -> int:
    busy = eng.busy_interfaces(q)
    return sum(1 for m in q.members if eng.available(q, m) and m.state_interface not in busy)


def _has_free(eng: "QueueEngine", q: "QueueState") -> bool:
    return _free_count(eng, q) > 0


def _our_turn(eng: "QueueEngine", entry: "Entry") -> bool:
    """app_queue.c is_our_turn with autofill: waiting callers ahead < free members."""
    q = entry.queue
    free = _free_count(eng, q)
    if free == 0:  # the common case under load: answer without walking the line
        return False
    ahead = 0
    for e in q.entries:
        if e is entry:
            return True
        if not e.attempts:
            ahead += 1
            if ahead >= free:
                return False
    return False


def ring(eng: "QueueEngine", entry: "Entry") -> None:
    """try_calling/ring_one: pick members by strategy and dial them."""
    from .queue_engine import Attempt
    from .queues import pick_members

    q, sim = entry.queue, eng.sim
    if not _our_turn(eng, entry):
        _poll_later(eng, entry)
        return
    ordered = q.ordered()
    rrpos = entry.linpos if q.cfg.strategy == "linear" else q.rrpos
    if q.cfg.strategy == "linear":
        ordered = ordered[entry.linpos:] or ordered
    busy = eng.busy_interfaces(q) | {m.state_interface for m in q.members if not eng.available(q, m)}
    chosen = pick_members(q.cfg.strategy, ordered, rrpos, sim.rng, busy, sim.now)
    if not chosen:
        _poll_later(eng, entry)
        return
    if q.cfg.strategy == "ringall":
        chosen = list(reversed(chosen))  # ring_entry walks the prepended `outgoing` list
    caller = entry.chan
    for m in chosen:
        ep = sim.endpoints.get(m.state_interface.split("/", 1)[-1])
        seat = sim.new_channel(m.state_interface.split("/", 1)[-1], context="from-seats",
                               cid_num=ep.cid_num if ep else "", cid_name=ep.cid_name if ep else "",
                               linkedid=caller.linkedid)
        before = seat.snapshot()
        seat.exten, seat.conn_num, seat.conn_name = caller.exten, caller.cid_num, caller.cid_name
        seat.application, seat.app_data = "AppQueue", "(Outgoing Line)"
        att = Attempt(member=m, chan=seat, started=sim.now)
        entry.attempts.append(att)
        sim.emit(ev.dial_event("AgentCalled", caller.snapshot(), seat.snapshot(), ("Queue", q.name),
                               ("Interface", m.interface), ("MemberName", m.name)))
        sim.emit(ev.dial_event("DialBegin", caller.snapshot(), before, ("DialString", m.interface)))
        if q.cfg.strategy != "ringall" and (caller.conn_num, caller.conn_name) != (seat.cid_num, seat.cid_name):
            sim.set_connected(caller, seat.cid_num, seat.cid_name)
        att.timer = sim.sched.call_later(q.cfg.timeout, ring_no_answer, eng, entry, att)
    if q.cfg.strategy == "linear":
        entry.linpos = (q.ordered().index(chosen[0]) + 1) % max(1, len(q.members))
    elif q.cfg.strategy in ("rrmemory", "rrordered"):
        q.rrpos = (q.ordered().index(chosen[0]) + 1) % max(1, len(q.members))
    sim.sched.call_later(RING_SETUP, _ringing, eng, entry, list(entry.attempts))


def _ringing(eng: "QueueEngine", entry: "Entry", attempts: list["Attempt"]) -> None:
    sim = eng.sim
    for att in attempts:
        if att not in entry.attempts or att.chan.hungup:
            continue
        sim.set_state(att.chan, RINGING)
        sim.emit(ev.channel_event("NewConnectedLine", att.chan))
        sim.refresh_endpoint(att.chan.endpoint)
    for att in reversed(attempts):
        if att in entry.attempts:
            sim.emit(ev.dial_event("DialState", entry.chan.snapshot(), att.chan.snapshot(), ("DialStatus", "RINGING")))
            ep = sim.endpoints.get(att.chan.endpoint)
            script = getattr(ep, "behaviour", None)
            if script is not None:
                script.on_ring(sim, att.chan)  # type: ignore[attr-defined]


def answered(eng: "QueueEngine", seat: Channel) -> bool:
    """The seat phone answered: connect it to the caller (returns False if not a queue leg)."""
    for q in eng.queues.values():
        for entry in q.entries:
            for att in entry.attempts:
                if att.chan is seat:
                    _connect(eng, entry, att)
                    return True
    return False


def _connect(eng: "QueueEngine", entry: "Entry", att: "Attempt") -> None:
    sim, q, caller = eng.sim, entry.queue, entry.chan
    entry.retry_at = 0.0
    sim.set_state(att.chan, UP)
    sim.emit(ev.dial_event("DialEnd", caller.snapshot(), att.chan.snapshot(), ("DialStatus", "ANSWER")))
    others = [a for a in entry.attempts if a is not att]
    old = caller.snapshot()
    for o in others:
        sim.emit(ev.dial_event("DialEnd", old, o.chan.snapshot(), ("DialStatus", "CANCEL")))
    if (caller.conn_num, caller.conn_name) != (att.chan.cid_num, att.chan.cid_name):
        sim.set_connected(caller, att.chan.cid_num, att.chan.cid_name)
    for o in others:
        sim.emit(ev.dial_event("DialEnd", caller.snapshot(), o.chan.snapshot(), ("DialStatus", "CANCEL")))
    if others:  # traces: with legs to cancel, the answered seat's device state lands first
        sim.refresh_endpoint(att.chan.endpoint)
    for o in others:
        _drop_attempt(eng, entry, o, cause=26)
    _stop_timers(entry, att)
    pos = q.entries.index(entry) + 1
    q.entries.remove(entry)
    _leave_events(eng, q, entry, pos)
    m = att.member
    hold = int(sim.now) - int(entry.joined)
    sim.emit(ev.dial_event("AgentConnect", caller.snapshot(), att.chan.snapshot(), ("Queue", q.name),
                           ("Interface", m.interface), ("MemberName", m.name), ("HoldTime", str(hold)),
                           ("RingTime", str(int(sim.now) - int(att.started)))))
    m.in_call = True
    caller.variables["MEMBERINTERFACE"] = m.interface  # setinterfacevar=yes (asterisk-config's queues.conf)
    sim.refresh_endpoint(att.chan.endpoint)
    # app_queue.c recalc_holdtime: first sample taken as is, then an integer exponential average
    q.holdtime = hold if q.completed + q.abandoned == 0 else (q.holdtime * 3 + hold) >> 2
    for o in others:
        sim.refresh_endpoint(o.chan.endpoint)
    entry.attempts = [att]
    sim.bridge(att.chan, caller)
    from .parties import on_connected

    on_connected(sim, caller)
    eng.bridged[caller.name] = (entry, att, sim.now)
    eng.bridged[att.chan.name] = (entry, att, sim.now)
    if not entry.outcome.done():
        entry.outcome.set_result("ANSWERED")


def _leave_events(eng: "QueueEngine", q: "QueueState", entry: "Entry", pos: int) -> None:
    if not q.entries:
        eng.sim.set_device(f"Queue:{q.name}", "NOT_INUSE")
    eng.sim.emit(ev.channel_event("QueueCallerLeave", entry.chan, ("Queue", q.name), ("Position", str(pos)),
                                  ("Count", str(len(q.entries)))))


def _stop_timers(entry: "Entry", keep: "Attempt | None" = None) -> None:
    for t in entry.timers:
        t.cancel()
    for a in entry.attempts:
        if a.timer is not None:
            a.timer.cancel()


def _drop_attempt(eng: "QueueEngine", entry: "Entry", att: "Attempt", cause: int) -> None:
    if att.timer is not None:
        att.timer.cancel()
    if att in entry.attempts:
        entry.attempts.remove(att)
    eng.sim.destroy(att.chan, cause)


def ring_no_answer(eng: "QueueEngine", entry: "Entry", att: "Attempt", status: str = "NOANSWER", cause: int = 0) -> None:
    """Member did not answer within `timeout` (or refused): AgentRingNoAnswer, retry later."""
    sim, q, caller = eng.sim, entry.queue, entry.chan
    if att not in entry.attempts:
        return
    ms = int(round((sim.now - att.started) * 1000))
    m = att.member
    sim.emit(ev.dial_event("AgentRingNoAnswer", caller.snapshot(), att.chan.snapshot(), ("Queue", q.name),
                           ("Interface", m.interface), ("MemberName", m.name), ("RingTime", str(ms))))
    sim.emit(ev.dial_event("DialEnd", caller.snapshot(), att.chan.snapshot(), ("DialStatus", status)))
    sim.emit(ev.dial_event("DialEnd", caller.snapshot(), att.chan.snapshot(), ("DialStatus", "CANCEL")))
    endpoint = att.chan.endpoint
    _drop_attempt(eng, entry, att, cause)
    sim.refresh_endpoint(endpoint)
    if not entry.attempts:
        entry.retry_at = sim.now + q.cfg.retry
        entry.timers.append(sim.sched.call_later(q.cfg.retry, _retry, eng, entry))


def refused(eng: "QueueEngine", seat: Channel) -> bool:
    """The seat phone rejected a queue call (486 Busy Here); False if `seat` is no queue leg."""
    for q in eng.queues.values():
        for entry in q.entries:
            for att in entry.attempts:
                if att.chan is seat:
                    ring_no_answer(eng, entry, att, status="BUSY", cause=17)
                    return True
    return False


def _retry(eng: "QueueEngine", entry: "Entry") -> None:
    if entry not in entry.queue.entries or entry.attempts or entry.outcome.done():
        return
    q = entry.queue
    leave = empty_conditions(q.cfg.leavewhenempty, joinempty=False)
    if leave and not anyone_there(q.members, leave, eng.sim.now, q.cfg.wrapuptime):
        # queue_exec after a try_calling cycle: record_abandoned, then leave with LEAVEEMPTY
        _abandon_entry(eng, entry, "LEAVEEMPTY")
        return
    entry.retry_at = 0.0
    ring(eng, entry)


def _timeout(eng: "QueueEngine", entry: "Entry") -> None:
    """Queue() maximum wait reached: leave with QUEUESTATUS=TIMEOUT."""
    q = entry.queue
    if entry not in q.entries:
        return
    _cancel_attempts(eng, entry)
    pos = q.entries.index(entry) + 1
    q.entries.remove(entry)
    _stop_timers(entry)
    _leave_events(eng, q, entry, pos)
    if not entry.outcome.done():
        entry.outcome.set_result("TIMEOUT")


def _cancel_attempts(eng: "QueueEngine", entry: "Entry") -> list[str]:
    endpoints = []
    for att in list(entry.attempts):
        for _ in range(2):  # dial.c + app_queue each report the cancel (traces: two DialEnd CANCEL)
            eng.sim.emit(ev.dial_event("DialEnd", entry.chan.snapshot(), att.chan.snapshot(), ("DialStatus", "CANCEL")))
    for att in list(entry.attempts):
        endpoints.append(att.chan.endpoint)
    return endpoints


def abandon(eng: "QueueEngine", chan: Channel, hangup: bool = True) -> list["Attempt"]:
    """The caller left while waiting (hang-up or Redirect): QueueCallerAbandon + Leave."""
    for q in eng.queues.values():
        for entry in q.entries:
            if entry.chan is chan:
                return _abandon_entry(eng, entry, "HANGUP" if hangup else "REDIRECT")
    return []


def _abandon_entry(eng: "QueueEngine", entry: "Entry", status: str) -> list["Attempt"]:
    """record_abandoned + leave_queue; returns the legs still ringing (the caller hangs them up)."""
    q, chan = entry.queue, entry.chan
    _cancel_attempts(eng, entry)
    pos = q.entries.index(entry) + 1
    hold = int(eng.sim.now) - int(entry.joined)
    eng.sim.emit(ev.channel_event("QueueCallerAbandon", chan, ("Queue", q.name), ("Position", str(pos)),
                                  ("OriginalPosition", str(entry.orig_pos)), ("HoldTime", str(hold))))
    q.abandoned += 1
    q.entries.remove(entry)
    _stop_timers(entry)
    _leave_events(eng, q, entry, pos)
    pending = list(entry.attempts)
    entry.attempts = []
    if not entry.outcome.done():
        entry.outcome.set_result(status)
    return pending
