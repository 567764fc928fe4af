"""Seat service: load a seat's state, run the pure machine, carry out its effects (AMI, database, bus).

One asyncio lock per extension serialises everything that changes a seat, so a browser click, a bus
event and the ACW timer never interleave. AMI goes through `routing.actions` on ``kernel.services["ami"]``.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.db import utcnow
from hotline.directory import Seat
from hotline.models import User
from routing import actions
from routing.results import AmiError
from seats.membership import seat_queues
from seats.models import SeatEvent, SeatMembership, SeatSession
from seats.status import (
    STATUS_LABELS, AcwExpired, CancelAcwTimer, Effect, Event, JoinQueues, LeaveQueues, Login, Record, SeatState, SeatStateError,
    SetPaused, StartAcwTimer, Status, transition,
)

log = logging.getLogger(__name__)


class SeatError(Exception):
    """A refused seat operation; `status` is the HTTP status the API answers with."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def state_of(row: SeatSession) -> SeatState:
    """The machine's view of a stored seat row."""
    return SeatState(Status(row.status), row.since, row.reason, row.linkedid, row.acw_until, row.pending_pause)


def view(row: SeatSession, seat: Seat | None = None) -> dict[str, Any]:
    """What consoles and the wallboard get (`seat.status` payload)."""
    status = Status(row.status)
    label = STATUS_LABELS[status]
    if status is Status.PAUSED and row.reason:
        label = f"小休({row.reason})"
    return {
        "extension": row.extension, "name": seat.name if seat else row.extension, "username": row.username,
        "center_code": row.center_code, "status": status.value, "label": label, "reason": row.reason,
        "since": row.since.isoformat() if row.since else None, "linkedid": row.linkedid,
        "acw_until": row.acw_until.isoformat() if row.acw_until else None, "pending_pause": row.pending_pause,
        "device": row.device, "call": row.call,
    }


class SeatService:
    """Seat sign-in/out, ready/pause, call-driven state, ACW timers, `seat.status` publishing."""

    def __init__(self, kernel: Any, *, acw_seconds: int = 30, clock: Callable[[], datetime] = utcnow) -> None:
        self.kernel = kernel
        self.directory = kernel.directory
        self.acw_seconds = acw_seconds
        self.clock = clock
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._timers: dict[str, asyncio.Task] = {}

    # ---- plumbing -----------------------------------------------------------------------
    @property
    def ami(self) -> Any:
        """The routing engine's AMI link (503 when this process has none)."""
        ami = self.kernel.services.get("ami")
        if ami is None:
            raise SeatError("路由引擎未连接，请稍后再试 (routing engine not connected)", 503)
        return ami

    def seat(self, extension: str | None) -> Seat:
        """The directory seat, or a 404 SeatError."""
        seat = self.directory.seat(extension or "")
        if seat is None:
            raise SeatError(f"坐席不存在 (no such seat): {extension!r}", 404)
        return seat

    def lock(self, extension: str) -> asyncio.Lock:
        """The lock that serialises every change of one seat."""
        return self._locks[extension]

    async def row(self, session: AsyncSession, extension: str) -> SeatSession:
        """The seat's row, created offline on first use."""
        row = await session.get(SeatSession, extension)
        if row is None:
            seat = self.seat(extension)
            row = SeatSession(extension=extension, center_code=seat.center, status=Status.OFFLINE.value,
                              device="unknown")
            session.add(row)
        return row

    async def snapshot(self, extension: str) -> dict[str, Any]:
        """The seat's current view (unmasked: callers mask it for the viewer)."""
        async with self.kernel.sessions() as session:
            row = await self.row(session, extension)
            return view(row, self.directory.seat(extension))

    async def all_seats(self, center_code: str | None = None) -> list[dict[str, Any]]:
        """Every directory seat with its state (optionally one center)."""
        async with self.kernel.sessions() as session:
            rows = {r.extension: r for r in (await session.scalars(select(SeatSession))).all()}
        out = []
        for seat in self.directory.seats:
            if center_code and seat.center != center_code:
                continue
            row = rows.get(seat.extension) or SeatSession(extension=seat.extension, center_code=seat.center,
                                                          status="offline", device="unknown")
            out.append(view(row, seat))
        return out

    # ---- operations from the console ------------------------------------------------------
    async def login(self, extension: str, user: User, console_id: str | None = None,
                    takeover: bool = False) -> dict[str, Any]:
        """签入: QueueAdd paused (登录未就绪) to every queue of the seat. A seat held by another console is
        refused unless `takeover` is set (the other console is told it lost the seat)."""
        seat = self.seat(extension)
        console_id = console_id or uuid.uuid4().hex
        async with self.lock(extension), self.kernel.sessions() as session:
            row = await self.row(session, extension)
            if row.status != Status.OFFLINE.value:
                if row.console_id == console_id and row.username == user.username:
                    return view(row, seat)
                if not takeover:
                    who = row.username or "?"
                    raise SeatError(f"坐席{extension}已在另一处签入（{who}），如需在此处继续请选择“接管” "
                                    f"(seat already signed in elsewhere; take over explicitly)", 409)
                previous = row.console_id
                row.console_id, row.username, row.user_id = console_id, user.username, user.id
                await session.commit()
                self.kernel.bus.publish("seat.console", {"extension": extension, "console_id": previous,
                                                         "action": "taken_over", "by": user.username})
                return await self._publish(row, seat)
            row.username, row.user_id, row.console_id = user.username, user.id, console_id
            specs = seat_queues(self.directory, seat, user.display_name)
            await self._apply(session, row, seat, Login(), specs=specs)
            return await self._publish(row, seat)

    async def command(self, extension: str, event: Event, *, console_id: str | None = None,
                      strict_console: bool = True) -> dict[str, Any]:
        """Ready / pause / logout from the seat's console (or a supervisor)."""
        seat = self.seat(extension)
        async with self.lock(extension), self.kernel.sessions() as session:
            row = await self.row(session, extension)
            if strict_console and row.status != Status.OFFLINE.value and row.console_id != console_id:
                raise SeatError("此坐席已被另一处接管 (this console no longer holds the seat)", 409)
            await self._apply(session, row, seat, event)
            return await self._publish(row, seat)

    async def on_event(self, extension: str, event: Event | None, call: dict | None | bool = False,
                       device: str | None = None) -> None:
        """A call/device event from the routing engine (never refused: it already happened)."""
        seat = self.directory.seat(extension)
        if seat is None:
            return
        async with self.lock(extension), self.kernel.sessions() as session:
            row = await self.row(session, extension)
            before = (row.status, row.reason, row.device, row.linkedid, row.pending_pause)
            if device is not None:
                row.device = device
            if event is not None:
                try:
                    await self._apply(session, row, seat, event, strict=False)
                except SeatStateError:
                    pass  # not applicable in this state: only the device facts change
            # keep the call facts only for the call the seat is on (a stray ring must not replace its channels)
            keep_call = call is not False and call is not None and row.linkedid == call.get("linkedid")
            if keep_call:
                row.call = call
            await session.commit()
            if (row.status, row.reason, row.device, row.linkedid, row.pending_pause) != before or keep_call:
                await self._publish(row, seat)

    # ---- the core -------------------------------------------------------------------------
    async def _apply(self, session: AsyncSession, row: SeatSession, seat: Seat, event: Event, *,
                     specs=None, strict: bool = True) -> None:
        state = state_of(row)
        try:
            new, effects = transition(state, event, self.clock(), self.acw_seconds)
        except SeatStateError as exc:
            if strict:
                raise SeatError(str(exc)) from exc
            raise
        try:
            await self._ami_effects(session, row, seat, effects, specs)
        except AmiError as exc:
            if strict:
                await session.rollback()  # nothing changes when Asterisk refused: the seat stays as it was
                raise SeatError(f"电话系统拒绝了操作：{exc} (Asterisk refused)", 502) from exc
            log.warning("seat %s: AMI effect failed after %s: %s", seat.extension, type(event).__name__, exc)
        for eff in effects:
            if isinstance(eff, Record):
                session.add(SeatEvent(extension=row.extension, user_id=row.user_id, username=row.username,
                                      center_code=row.center_code, from_state=eff.from_state.value,
                                      to_state=eff.to_state.value, reason=eff.reason, linkedid=eff.linkedid,
                                      at=eff.at))
        row.status, row.since, row.reason = new.status.value, new.since, new.reason
        row.linkedid, row.acw_until, row.pending_pause = new.linkedid, new.acw_until, new.pending_pause
        if new.status is Status.OFFLINE:
            row.console_id, row.call = None, None
            row.username, row.user_id = None, None
        elif new.status in (Status.AVAILABLE, Status.PAUSED) and row.call is not None and not new.linkedid:
            row.call = {**row.call, "ended": True}
        await session.commit()
        self._timer_effects(row.extension, effects)

    async def _ami_effects(self, session, row, seat, effects: list[Effect], specs) -> None:
        for eff in effects:
            if isinstance(eff, JoinQueues):
                await self._join(session, seat, specs or seat_queues(self.directory, seat), eff)
            elif isinstance(eff, LeaveQueues):
                await self._leave(session, seat)
            elif isinstance(eff, SetPaused):
                await actions.queue_pause(self.ami, interface=seat.interface, paused=eff.paused,
                                          reason=eff.reason if eff.paused else None)

    async def _join(self, session: AsyncSession, seat: Seat, specs, eff: JoinQueues) -> None:
        """QueueAdd to every queue; on a failure, take back the ones already added (all or nothing)."""
        added = []
        try:
            for spec in specs:
                try:
                    await actions.queue_add(self.ami, queue=spec.queue, interface=spec.interface,
                                            member_name=spec.member_name, penalty=spec.penalty,
                                            paused=eff.paused, reason=eff.reason)
                except AmiError as exc:
                    if "Already there" not in str(exc):
                        raise
                    # left over from before a crash: bring it to the paused state we want
                    await actions.queue_pause(self.ami, queue=spec.queue, interface=spec.interface,
                                              paused=eff.paused, reason=eff.reason)
                added.append(spec)
        except AmiError:
            for spec in added:
                try:
                    await actions.queue_remove(self.ami, queue=spec.queue, interface=spec.interface)
                except AmiError:
                    log.warning("could not take %s back out of %s", spec.interface, spec.queue)
            raise
        await session.execute(delete(SeatMembership).where(SeatMembership.extension == seat.extension))
        for spec in specs:
            session.add(SeatMembership(extension=seat.extension, queue=spec.queue, interface=spec.interface,
                                       penalty=spec.penalty, added_at=self.clock()))

    async def _leave(self, session: AsyncSession, seat: Seat) -> None:
        rows = (await session.scalars(select(SeatMembership).where(SeatMembership.extension == seat.extension))).all()
        queues = {r.queue for r in rows} | {s.queue for s in seat_queues(self.directory, seat)}
        for queue in sorted(queues):
            try:
                await actions.queue_remove(self.ami, queue=queue, interface=seat.interface)
            except AmiError as exc:
                if "Not there" not in str(exc):
                    raise
        await session.execute(delete(SeatMembership).where(SeatMembership.extension == seat.extension))

    # ---- ACW timers ---------------------------------------------------------------------------
    def _timer_effects(self, extension: str, effects: list[Effect]) -> None:
        for eff in effects:
            if isinstance(eff, CancelAcwTimer):
                self.cancel_timer(extension)
            elif isinstance(eff, StartAcwTimer):
                self.start_timer(extension, eff.until)

    def start_timer(self, extension: str, until: datetime) -> None:
        """Arm the seat's ACW timer (replacing any running one)."""
        self.cancel_timer(extension)
        self._timers[extension] = asyncio.get_running_loop().create_task(
            self._acw(extension, until), name=f"acw-{extension}")

    def cancel_timer(self, extension: str) -> None:
        """Disarm the seat's ACW timer (not the one calling, which ends by itself)."""
        task = self._timers.pop(extension, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _acw(self, extension: str, until: datetime) -> None:
        await asyncio.sleep(max(0.0, (until - self.clock()).total_seconds()))
        self._timers.pop(extension, None)
        await self.on_event(extension, AcwExpired())

    async def restore_timers(self) -> None:
        """After a restart, re-arm the ACW timers of seats still in wrap-up."""
        async with self.kernel.sessions() as session:
            rows = (await session.scalars(select(SeatSession).where(SeatSession.status == Status.WRAP_UP.value))).all()
        for row in rows:
            self.start_timer(row.extension, row.acw_until or self.clock())

    async def close(self) -> None:
        for ext in list(self._timers):
            self.cancel_timer(ext)

    async def _publish(self, row: SeatSession, seat: Seat) -> dict[str, Any]:
        payload = view(row, seat) | {"at": self.clock().isoformat()}
        self.kernel.bus.publish("seat.status", payload)
        return payload
