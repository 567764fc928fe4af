"""RoutingService: events in → state → bus; `place()` for the IVR; overflow timers; records out.

The only layer that talks to AMI (through `routing.actions` on the node's link) and the bus.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from typing import Any

from hotline.directory import Directory
from routing import actions
from routing.attribution import Attributor
from routing.policy import CallFacts, Decision, RouteRequest, Waiting, decide, reconsider
from routing.results import AmiError, AmiSender
from routing.snapshot import build_snapshot, rules_from, seat_languages
from routing.state import HANDLERS, State, apply

log = logging.getLogger(__name__)
ROUTING_EVENTS = frozenset(HANDLERS)  # the events the state uses; others are not even parsed
FREED = {"QueueMemberStatus", "AgentComplete", "QueueMemberPause", "QueueMemberAdded"}


class RoutingService:
    """Keeps the live state of every node, decides routes and acts on them."""

    def __init__(self, directory: Directory, bus=None, *, writer=None, clock=time.time, wrapup_seconds: int = 0) -> None:
        self.directory = directory
        self.bus = bus
        self.writer = writer
        self.clock = clock
        self.state = State(wrapup_seconds=wrapup_seconds)
        self.rules = rules_from(directory)
        self.languages = seat_languages(directory)
        self.attributor = Attributor(directory)
        self.links: dict[str, AmiSender] = {}
        self.last_contact: dict[str, tuple[str, datetime]] = {}
        self.pending_callbacks: set[str] = set()
        self.avg_handle: dict[str, float] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        # node → home (prefecture) queue → linkedids waiting away from it: a freed seat looks at its own queue only
        self._overflowed: dict[str, dict[str, set[str]]] = {}
        self.records_seen = 0

    # ---- wiring -------------------------------------------------------------------------
    def attach(self, link: AmiSender) -> None:
        """Take events from a link (AmiLink or FakeAmi) and act through it."""
        self.links[link.name] = link
        link.listen(lambda event, node=link.name: self.on_event(node, event), events=ROUTING_EVENTS)

    def link(self, node: str) -> AmiSender:
        return self.links[node]

    async def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    # ---- events -------------------------------------------------------------------------
    def on_event(self, node: str, event: dict, at: float | None = None) -> None:
        """Apply one event; publish what it changed; react to queue joins and freed seats."""
        at = self.clock() if at is None else at
        _, out = apply(self.state, event, at, node)
        if out:
            self._publish(out)
        name = event.get("Event")
        if name == "QueueCallerJoin":
            self._arm_overflow(node, event)
        elif name in FREED and self.links:
            self._seat_freed(node, event.get("Queue"))

    def _publish(self, out: list[tuple[str, dict]]) -> None:
        for topic, payload in out:
            if topic == "call.record":
                self._finished(payload)
            elif topic == "call.overflowed" and "node" in payload:
                self._note_overflowed(payload)
            if self.bus is not None:
                self.bus.publish(topic, payload)

    def _finished(self, record: dict) -> None:
        self.records_seen += 1
        timer = self._timers.pop(record["linkedid"], None)
        if timer:
            timer.cancel()
        if self.writer is not None:
            self.writer.submit(record)
        number, seat = record.get("caller_number"), record.get("seat_extension")
        if record["outcome"] == "answered" and number and seat:
            ended = datetime.fromisoformat(record["ended_at"])
            self.last_contact.pop(number, None)  # re-insert: the dict stays ordered oldest first
            self.last_contact[number] = (seat, ended)
            self._forget_old_contacts(ended)
        if record["direction"] == "callback" and record["outcome"] == "answered" and number:
            self.pending_callbacks.discard(number)
        if record.get("talk_seconds") and record.get("queues_visited"):
            q = record["queues_visited"][-1]
            self.avg_handle[q] = 0.9 * self.avg_handle.get(q, 240.0) + 0.1 * record["talk_seconds"]

    def _forget_old_contacts(self, now: datetime) -> None:
        """首问负责制 only looks back N days: drop older contacts (oldest first) so memory stays bounded."""
        horizon = now - timedelta(days=self.rules.first_contact_days)
        while self.last_contact:
            number, (_, at) = next(iter(self.last_contact.items()))
            if at >= horizon:
                return
            del self.last_contact[number]

    # ---- placing a call (the IVR's `route` step) ----------------------------------------
    def snapshot(self, node: str, now: datetime | None = None):
        """The policy view of one node."""
        now = now or datetime.fromtimestamp(self.clock(), timezone.utc)
        return build_snapshot(self.state.node(node), self.directory, now, languages=self.languages,
                              last_contact=self.last_contact, pending_callbacks=frozenset(self.pending_callbacks),
                              avg_handle=self.avg_handle)

    async def place(self, request: RouteRequest) -> Decision:
        """Decide where a call goes; remember why for its record; return the channel variables to set."""
        at = self.clock()
        now = datetime.fromtimestamp(at, timezone.utc)
        where = self.attributor.attribute(request.caller_number, request.did)
        decision = decide(CallFacts(request, where.prefecture_code), self.snapshot(request.node, now), self.rules, now)
        if decision.action == "callback" and decision.callback_number:
            self.pending_callbacks.add(decision.callback_number)
            self._publish([("callback.requested", {
                "number": decision.callback_number, "linkedid": request.linkedid or request.uniqueid,
                "skill": decision.skill, "prefecture_code": decision.prefecture_code, "priority": decision.priority,
                "reason": decision.reason, "at": now.isoformat()})])
        route = {**asdict(decision), "action": decision.action, "ivr_path": list(request.ivr_path),
                 "prefecture_name": self.directory.region_name(where.prefecture_code or "") if where.prefecture_code
                 else None, "attribution": where.source, "after_hours": decision.reason.startswith("after_hours")}
        self.on_event(request.node, {"Event": "RouteDecided", "Uniqueid": request.uniqueid,
                                     "Linkedid": request.linkedid, "Route": route}, at)
        return decision

    def set_survey(self, linkedid: str, score: int) -> bool:
        """Attach the IVR survey score to a live call (False if the call already ended)."""
        for ns in self.state.nodes.values():
            call = ns.calls.get(linkedid)
            if call is not None:
                call.route["survey_score"] = int(score)
                return True
        return False

    async def record_survey(self, linkedid: str, score: int) -> bool:
        """The survey score of a live call, or of its stored record when the call already ended."""
        if self.set_survey(linkedid, score):
            return True
        if self.writer is None:
            return False
        from routing.writer import set_survey_score

        await self.writer.flush()  # the record may still be on its way to the database
        async with self.writer.sessions() as session, session.begin():
            return await set_survey_score(session, linkedid, int(score))

    # ---- overflow -----------------------------------------------------------------------
    def _arm_overflow(self, node: str, event: dict) -> None:
        """A caller joined its routed queue: overflow after `overflow_after_seconds`, or check at once when 0."""
        call = self.state.node(node).call_of(event.get("Uniqueid"))
        if call is None or call.route.get("overflow_after_seconds") is None or call.linkedid in self._timers:
            return
        if event.get("Queue") != call.route.get("queue"):
            return
        after = float(call.route["overflow_after_seconds"])
        if after <= 0:  # overflow at join: the caller waits in the prefecture only while a seat is free there
            self.check_waiting(node, call.linkedid)
            return
        with contextlib.suppress(RuntimeError):
            loop = asyncio.get_running_loop()
            self._timers[call.linkedid] = loop.call_later(after, self._timer_fired, node, call.linkedid)

    def _timer_fired(self, node: str, linkedid: str) -> None:
        self._timers.pop(linkedid, None)
        self.check_waiting(node, linkedid)

    def _note_overflowed(self, payload: dict) -> None:
        """Remember a caller moved from its prefecture queue to the provincial one, under that home queue."""
        if payload["to_queue"].startswith(f"q-{self.rules.province_code}-"):
            home = self._overflowed.setdefault(payload["node"], {}).setdefault(payload["from_queue"], set())
            home.add(payload["linkedid"])

    def _seat_freed(self, node: str, queue: str | None) -> None:
        """A seat freed in `queue`: callers who overflowed from that queue may go back, longest-waiting
        (highest priority first) first, one per event so one free seat never pulls back several. Callers
        still in the provincial queue all face the same two queues: when the first may not go back, none may."""
        waiting = self._overflowed.get(node, {}).get(queue or "")
        if not waiting:
            return
        calls = self.state.node(node).calls
        live = []
        for linkedid in list(waiting):
            call = calls.get(linkedid)
            if call is None or call.visit is None or call.visit.queue == queue:  # gone, or back home
                waiting.discard(linkedid)
            else:
                live.append((-int(call.route.get("priority") or 0), call.visits[0].joined_at, linkedid))
        provincial = f"q-{self.rules.province_code}-"
        for _, _, linkedid in sorted(live):
            if self.check_waiting(node, linkedid) is not None or calls[linkedid].visit.queue.startswith(provincial):
                return

    def waiting_view(self, node: str, linkedid: str, at: float) -> Waiting | None:
        """A waiting call as `reconsider` sees it."""
        call = self.state.node(node).calls.get(linkedid)
        if call is None or call.visit is None or call.caller is None:
            return None
        return Waiting(linkedid=linkedid, channel=call.caller.channel, queue=call.visit.queue,
                       waited_seconds=at - call.visits[0].joined_at,
                       prefecture_code=call.route.get("prefecture_code"), skill=call.route.get("skill") or "consult",
                       priority=int(call.route.get("priority") or 0),
                       overflowed=any(v.result == "redirected" for v in call.visits))

    def check_waiting(self, node: str, linkedid: str) -> asyncio.Future | None:
        """Reconsider one waiting call now; a Redirect, if any, is written before this returns."""
        at = self.clock()
        waiting = self.waiting_view(node, linkedid, at)
        if waiting is None:
            return None
        now = datetime.fromtimestamp(at, timezone.utc)
        move = reconsider(waiting, self.snapshot(node, now), self.rules, now)
        if move is None:
            return None
        future = self.link(node).submit(actions.redirect_action(channel=waiting.channel, context=move.context,
                                                                exten=move.exten))
        future.add_done_callback(lambda f: self._action_done(f, linkedid, move.to_queue))
        return future

    @staticmethod
    def _action_done(future: asyncio.Future, linkedid: str, target: str) -> None:
        if not future.cancelled() and isinstance(future.exception(), AmiError):
            # the call may have been answered or hung up meanwhile: the state shows what happened
            log.warning("redirect of %s to %s failed: %s", linkedid, target, future.exception())

    # ---- callbacks the engine originates --------------------------------------------------
    async def originate_callback(self, node: str, *, seat_extension: str, number: str, action_id: str,
                                 variables: dict[str, str] | None = None, timeout_ms: int = 30000) -> None:
        """Ring the seat, then the dialplan `callback` context dials the citizen (OriginateResponse follows)."""
        channel = f"PJSIP/seat{seat_extension}"  # the link announces the Originate to the state itself
        await actions.originate(self.link(node), channel=channel, context="callback", exten=number,
                                caller_id='"12348回访" <12348>', timeout_ms=timeout_ms, variables=variables,
                                action_id=action_id)

    # ---- views --------------------------------------------------------------------------
    def overview(self) -> dict[str, Any]:
        """A JSON-able summary for status pages: per node, calls, waiting callers, members."""
        out = {}
        for name, ns in self.state.nodes.items():
            out[name] = {"up": ns.up, "calls": len(ns.calls),
                         "queues": {q.name: {"waiting": len(q.callers), "members": len(q.members),
                                             "available": sum(1 for m in q.members.values() if m.status == 1
                                                              and not m.paused and not m.in_call)}
                                    for q in ns.queues.values()}}
        return out

    async def load_last_contacts(self, sessions, days: int | None = None) -> None:
        """Fill the 首问负责制 memory from answered records of the last N days."""
        from sqlalchemy import select

        from routing.models import CallRecord

        since = datetime.fromtimestamp(self.clock(), timezone.utc) - timedelta(days=days or self.rules.first_contact_days)
        async with sessions() as session:
            rows = await session.execute(select(CallRecord.caller_number, CallRecord.seat_extension, CallRecord.ended_at)
                                         .where(CallRecord.outcome == "answered", CallRecord.ended_at >= since,
                                                CallRecord.seat_extension.is_not(None))
                                         .order_by(CallRecord.ended_at))
            for number, seat, ended in rows:
                if number:
                    self.last_contact[number] = (seat, ended)
