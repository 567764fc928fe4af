"""回访 dialer (role ``worker``): turns bus events into tasks and due tasks into AMI Originates.

Seat-first: Originate the seat's endpoint into context ``callback`` (which dials the citizen).
IVR-first: Originate ``Local/<number>@callback`` to the ``callback-ivr`` FastAGI script (automated
survey). Each Originate carries ActionID ``cb-<task>-<attempt>``; its OriginateResponse (Reason 4
answered, 0 failed, 3 no answer, 5 busy, 8 congestion) is recorded on the task and the ticket.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from hotline.audit import audit
from hotline.db import utcnow
from integrations.callback_policy import REASONS, TaskView, choose
from integrations.callbacks import (CallbackError, mark_dialing, on_survey, outcome_from_event, record_outcome,
                                    request_callback)
from integrations.models import CallbackTask, Ticket
from integrations.tickets import TicketContext

log = logging.getLogger(__name__)
CALLER_ID = '"12348回访" <12348>'


@dataclass
class QueueWatch:
    """Who waits in which queue since when, and which members are idle — from the engine's bus events."""

    waiting: dict[str, dict[str, datetime]] = field(default_factory=dict)
    members: dict[str, dict[str, bool]] = field(default_factory=dict)

    def apply(self, topic: str, p: dict) -> None:
        """Update from one bus message (call.queued/overflowed/connected/ended, member.status)."""
        linkedid = p.get("linkedid")
        if topic == "call.queued" and p.get("queue") and linkedid:
            joined = self.joined(linkedid) or _parse(p.get("at"))
            self._leave(linkedid)
            self.waiting.setdefault(p["queue"], {})[linkedid] = joined
        elif topic == "call.overflowed" and linkedid and p.get("to_queue"):
            joined = self.joined(linkedid) or _parse(p.get("at"))
            self._leave(linkedid)
            self.waiting.setdefault(p["to_queue"], {})[linkedid] = joined
        elif topic in ("call.connected", "call.ended") and linkedid:
            self._leave(linkedid)
        elif topic == "member.status" and p.get("queue") and p.get("extension"):
            idle = p.get("status") == "NOT_INUSE" and not p.get("paused") and not p.get("in_call")
            self.members.setdefault(p["queue"], {})[p["extension"]] = idle

    def joined(self, linkedid: str) -> datetime | None:
        return next((w[linkedid] for w in self.waiting.values() if linkedid in w), None)

    def queue_of(self, linkedid: str) -> str | None:
        return next((q for q, w in self.waiting.items() if linkedid in w), None)

    def _leave(self, linkedid: str) -> None:
        for w in self.waiting.values():
            w.pop(linkedid, None)

    def snapshot(self) -> tuple[dict[str, list[datetime]], dict[str, list[str]]]:
        """(join times per queue, idle seats per queue)."""
        return ({q: sorted(w.values()) for q, w in self.waiting.items()},
                {q: sorted(e for e, idle in m.items() if idle) for q, m in self.members.items()})


def _parse(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return utcnow()


@dataclass
class CallbackDialer:
    """Creates 回访 tasks from bus events and places due ones through `routing.actions.originate`."""

    sessions: Any
    ctx: TicketContext
    ami: Any = None
    fastagi: str = "127.0.0.1:4573"
    watch: QueueWatch = field(default_factory=QueueWatch)
    per_round: int = 5
    answer_wait: float = 120.0
    clock: Callable[[], datetime] = utcnow
    _pending: set[asyncio.Task] = field(default_factory=set)

    # ---- events in ---------------------------------------------------------------------
    async def handle(self, topic: str, payload: dict) -> None:
        """One bus message: keep the queue picture, open tasks for 不满意 and queue callbacks (the IVR's
        `call.callback_requested` and the engine's `callback.requested` fold into one task per number)."""
        self.watch.apply(topic, payload)
        if topic == "call.survey":
            await self._guarded("callback.survey", payload, lambda s: on_survey(s, self.ctx, payload))
        elif topic in ("call.callback_requested", "callback.requested"):
            await self._guarded("callback.request", payload, lambda s: self._queue_request(s, payload))

    async def _queue_request(self, session, p: dict) -> CallbackTask:
        linkedid = p.get("linkedid")
        queue = p.get("queue") or (self.watch.queue_of(linkedid) if linkedid else None)
        position = p.get("position_at") or (self.watch.joined(linkedid) if linkedid else None) or p.get("at")
        task, _ = await request_callback(session, self.ctx, number=str(p.get("number") or ""), reason="queue",
                                         linkedid=linkedid, queue=queue,
                                         position_at=_parse(position) if isinstance(position, str) else position)
        return task

    async def _guarded(self, action: str, payload: dict, work) -> None:
        async with self.sessions() as session:
            try:
                await work(session)
                await session.commit()
            except CallbackError as exc:
                await session.rollback()
                audit(session, actor="dialer", action=action, target_type="callback",
                      target_id=str(payload.get("linkedid") or ""), outcome="rejected",
                      detail={"message": str(exc), "number": str(payload.get("number") or payload.get("caller_number") or "")[:40]})
                await session.commit()
                log.warning("%s refused: %s", action, exc)

    def on_ami_event(self, event: dict) -> None:
        """AmiLink listener: OriginateResponse of one of our ActionIDs → record its outcome."""
        if event.get("Event") != "OriginateResponse" or not str(event.get("ActionID", "")).startswith("cb-"):
            return
        task = asyncio.get_running_loop().create_task(self.originate_response(event))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def originate_response(self, event: dict) -> None:
        """Record the outcome an OriginateResponse reports."""
        async with self.sessions() as session:
            task = await session.scalar(select(CallbackTask).where(CallbackTask.action_id == event.get("ActionID")))
            if task is None:
                return
            await record_outcome(session, self.ctx, task, outcome_from_event(event), uniqueid=event.get("Uniqueid"))
            await session.commit()

    # ---- dialling ----------------------------------------------------------------------
    async def tick(self) -> int:
        """Place the calls that are due now; the number placed."""
        if self.ami is None:
            return 0
        now = self.clock()
        if not self.ctx.directory.is_open(now):
            return 0
        async with self.sessions() as session:
            await self._expire_silent(session, now)
            open_tasks = (await session.scalars(select(CallbackTask).where(CallbackTask.state == "pending"))).all()
            dialing = (await session.scalars(select(CallbackTask.seat_extension).where(
                CallbackTask.state == "dialing"))).all()
            waiting, idle = self.watch.snapshot()
            views = [TaskView(t.id, t.reason, t.mode, t.queue, t.position_at, t.next_attempt_at, t.seat_extension,
                              t.created_at) for t in open_tasks]
            picks = choose(views, now, waiting=waiting, idle=idle, busy_seats={s for s in dialing if s},
                           limit=self.per_round)
            by_id = {t.id: t for t in open_tasks}
            for pick in picks:
                await self._place(session, by_id[pick.task_id], pick.seat, now)
            return len(picks)

    async def _expire_silent(self, session, now: datetime) -> None:
        # An Originate whose OriginateResponse never came (AMI link lost) must not hold the number forever.
        limit = now - timedelta(seconds=self.answer_wait)
        stale = (await session.scalars(select(CallbackTask).where(
            CallbackTask.state == "dialing", CallbackTask.updated_at < limit))).all()
        for task in stale:
            await record_outcome(session, self.ctx, task, "failed", error="交换机未返回结果 (no OriginateResponse)")
        if stale:
            await session.commit()

    async def _place(self, session, task: CallbackTask, seat: str | None, now: datetime) -> None:
        from routing.actions import originate
        from routing.results import AmiError
        from routing.safety import AmiValueError

        action_id = f"cb-{task.id}-{task.attempts + 1}"
        await mark_dialing(session, task, seat, action_id, now)
        await session.commit()
        ticket = await session.get(Ticket, task.ticket_id) if task.ticket_id else None
        variables = {"CALLBACK_TASK": str(task.id), "CALLBACK_REASON": REASONS[task.reason],
                     "TICKET_ID": ticket.number if ticket else ""}
        try:
            if task.mode == "ivr" or seat is None:
                await originate(self.ami, channel=f"Local/{task.number}@callback", application="AGI",
                                data=f"agi://{self.fastagi}/callback-ivr", caller_id=CALLER_ID,
                                variables=variables, action_id=action_id)
            else:
                await originate(self.ami, channel=f"PJSIP/seat{seat}", context="callback", exten=task.number,
                                caller_id=CALLER_ID, variables=variables, action_id=action_id)
        except (AmiError, AmiValueError) as exc:
            await record_outcome(session, self.ctx, task, "error", error=str(exc)[:200])
            await session.commit()

    async def run(self, bus, interval: float = 5.0) -> None:
        """Consume the bus and dial every `interval` seconds until cancelled."""
        subs = [bus.subscribe(p) for p in ("call.*", "member.status", "callback.requested")]
        unlisten = self.ami.listen(self.on_ami_event, {"OriginateResponse"}) \
            if self.ami is not None and hasattr(self.ami, "listen") else None

        async def consume(sub) -> None:
            async for msg in sub:
                try:
                    await self.handle(msg.topic, msg.payload)
                except Exception:  # noqa: BLE001 - one bad message must not stop callbacks
                    log.exception("callback handling of %s failed", msg.topic)

        workers = [asyncio.create_task(consume(s)) for s in subs]
        try:
            while True:
                try:
                    await self.tick()
                except Exception:  # noqa: BLE001
                    log.exception("dialer round failed")
                await asyncio.sleep(interval)
        finally:
            for w in workers:
                w.cancel()
            for w in workers:
                with contextlib.suppress(asyncio.CancelledError):
                    await w
            for s in subs:
                bus.unsubscribe(s)
            if unlisten:
                unlisten()
