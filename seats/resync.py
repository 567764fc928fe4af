"""After the routing engine (re)connects: make Asterisk's queue members match the signed-in seats, and
re-derive each seat's call state from what Asterisk reports (QueueStatus)."""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from routing import actions
from routing.results import AmiError
from seats.membership import (
    AddMember, PauseMember, PenaltyMember, RemoveMember, call_state, parse_queue_status, reconcile, rederive, seat_queues,
)
from seats.models import SeatSession
from seats.service import SeatService, state_of
from seats.status import Answer, Hangup, RingStop, Status

log = logging.getLogger(__name__)
_EVENTS = {"hangup": Hangup, "ring_stop": RingStop}


async def resync(service: SeatService, queue_status_events: list[dict[str, str]]) -> list[Any]:
    """Reconcile with one QueueStatus answer; returns the fixes sent (for logs and tests)."""
    directory = service.directory
    members = parse_queue_status(queue_status_events)
    async with service.kernel.sessions() as session:
        rows = (await session.scalars(select(SeatSession).where(SeatSession.status != Status.OFFLINE.value))).all()
    wanted = {}
    for row in rows:
        seat = directory.seat(row.extension)
        if seat is not None:
            wanted[row.extension] = (seat_queues(directory, seat), state_of(row))
    fixes = reconcile(wanted, members, {s.interface for s in directory.seats})
    for fix in fixes:
        try:
            await _send(service.ami, fix)
        except AmiError as exc:
            log.warning("seat resync: %s failed: %s", fix, exc)
    for row in rows:
        seat = directory.seat(row.extension)
        if seat is None:
            continue
        name = rederive(state_of(row), call_state(members, seat.interface))
        if name == "answer":
            await service.on_event(row.extension, Answer(row.linkedid or "unknown"))
        elif name:
            await service.on_event(row.extension, _EVENTS[name](row.linkedid))
    return fixes


async def _send(ami: Any, fix: Any) -> None:
    if isinstance(fix, AddMember):
        s = fix.spec
        await actions.queue_add(ami, queue=s.queue, interface=s.interface, member_name=s.member_name,
                                penalty=s.penalty, paused=fix.paused, reason=fix.reason)
    elif isinstance(fix, PauseMember):
        await actions.queue_pause(ami, queue=fix.queue, interface=fix.interface, paused=fix.paused,
                                  reason=fix.reason if fix.paused else None)
    elif isinstance(fix, RemoveMember):
        await actions.queue_remove(ami, queue=fix.queue, interface=fix.interface)
    elif isinstance(fix, PenaltyMember):
        await actions.queue_penalty(ami, queue=fix.queue, interface=fix.interface, penalty=fix.penalty)


def listen_for_resync(service: SeatService, ami: Any, spawn) -> Any:
    """Subscribe to the link's `LinkResync` event (it carries the QueueStatus items)."""
    def _on(event: dict) -> None:
        if event.get("Event") == "LinkResync":
            spawn(resync(service, event.get("QueueStatus") or []))
    # only LinkResync: a listener without `events` makes the link parse every event on the wire
    return ami.listen(_on, events={"LinkResync"})
