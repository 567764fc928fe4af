"""Routing-engine events → seat events, and the console's call controls (hold, transfer, hang up)."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import select

from routing import actions
from routing.results import AmiError
from seats.membership import device_state, registration
from seats.models import SeatSession
from seats.phone import phone_hold
from seats.service import SeatError, SeatService
from seats.status import Answer, Hangup, Ring, RingStop, Status

log = logging.getLogger(__name__)
TOPICS = ("call.ringing", "call.connected", "call.ended", "member.status")
_CALL_KEYS = ("linkedid", "uniqueid", "caller_number", "caller_name", "did", "prefecture_code", "prefecture_name",
              "skill", "category", "priority", "green", "queue", "ivr_path", "handoff_ticket", "waited_seconds",
              "seat_channel", "caller_channel", "at")


def call_info(payload: dict[str, Any], previous: dict | None = None) -> dict[str, Any]:
    """The call facts kept on the seat row (merged over what was known from the ring)."""
    base = dict(previous or {}) if previous and previous.get("linkedid") == payload.get("linkedid") else {}
    base.update({k: payload[k] for k in _CALL_KEYS if payload.get(k) is not None})
    return base


class CallEvents:
    """Consumes `call.*` and `member.status` from the bus and drives the seats' state."""

    def __init__(self, service: SeatService) -> None:
        self.service = service
        self._task: asyncio.Task | None = None
        self._sub = None

    def start(self) -> None:
        """Subscribe and start handling messages in order."""
        # one subscription for every topic: separate ones would let call.connected overtake call.ringing
        self._sub = self.service.kernel.bus.subscribe("*")
        self._task = asyncio.get_running_loop().create_task(self._run(), name="seats-call-events")

    async def stop(self) -> None:
        """Unsubscribe and stop."""
        if self._sub is not None:
            self.service.kernel.bus.unsubscribe(self._sub)
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        async for msg in self._sub:
            if msg.topic not in TOPICS:
                continue
            try:
                await self.handle(msg.topic, msg.payload)
            except Exception:  # one bad message must not stop the seats following the calls
                log.exception("seats: could not handle %s", msg.topic)

    async def handle(self, topic: str, p: dict[str, Any]) -> None:
        """Apply one routing-engine message."""
        svc = self.service
        ext = p.get("seat_extension") or p.get("extension")
        linkedid = p.get("linkedid")
        if topic == "call.ringing" and ext and linkedid:
            await svc.on_event(ext, Ring(linkedid), call=call_info(p))
        elif topic == "call.connected" and linkedid:
            if ext:
                prev = await self._call_of(ext)
                await svc.on_event(ext, Answer(linkedid), call=call_info(p, prev))
            for other in await self._ringing_for(linkedid, exclude=ext):
                await svc.on_event(other, RingStop(linkedid))
        elif topic == "call.ended" and linkedid:
            for other in await self._ringing_for(linkedid, exclude=None, statuses=(Status.RINGING, Status.ON_CALL)):
                await svc.on_event(other, Hangup(linkedid))
        elif topic == "member.status" and ext:
            await self._member(ext, p)

    async def _member(self, ext: str, p: dict[str, Any]) -> None:
        state = device_state(p.get("status"))
        # The seat's phone is idle again: a ring we follow timed out (AgentRingNoAnswer), or the seat's leg
        # of a call ended without a `call.ended` for the whole call (blind transfer from the phone, Atxfer
        # completed). Hangup(None) covers both; in any other state it changes nothing.
        idle = state in ("not_inuse", "unavailable", "invalid") and not p.get("in_call")
        event = Hangup(None) if idle else None
        await self.service.on_event(ext, event, device=registration(p.get("status")))

    async def _call_of(self, ext: str) -> dict | None:
        async with self.service.kernel.sessions() as session:
            row = await session.get(SeatSession, ext)
            return row.call if row else None

    async def _ringing_for(self, linkedid: str, exclude: str | None,
                           statuses=(Status.RINGING,)) -> list[str]:
        async with self.service.kernel.sessions() as session:
            rows = (await session.scalars(select(SeatSession.extension).where(
                SeatSession.linkedid == linkedid, SeatSession.status.in_([s.value for s in statuses])))).all()
        return [r for r in rows if r != exclude]


# ---- call controls ------------------------------------------------------------------------------
TRANSFER_KINDS = ("seat", "queue", "gov12345")


async def _current_call(service: SeatService, extension: str, console_id: str | None) -> dict:
    async with service.kernel.sessions() as session:
        row = await session.get(SeatSession, extension)
    if row is None or row.status == Status.OFFLINE.value:
        raise SeatError("请先签入 (log in first)")
    if row.console_id != console_id:
        raise SeatError("此坐席已被另一处接管 (this console no longer holds the seat)")
    if row.status != Status.ON_CALL.value or not row.call or not row.call.get("seat_channel"):
        raise SeatError("当前没有通话 (no call in progress)")
    return row.call


async def hold(service: SeatService, extension: str, console_id: str | None, on: bool) -> dict:
    """保持/取消保持: the seat's phone is told to hold (the caller hears music on hold)."""
    await _current_call(service, extension, console_id)
    seat = service.seat(extension)
    await _ami(phone_hold(service.ami, endpoint=seat.endpoint, hold=on))
    return {"held": on}


async def hangup(service: SeatService, extension: str, console_id: str | None) -> dict:
    """挂断: hang up the seat's leg (the caller goes on to the satisfaction survey)."""
    call = await _current_call(service, extension, console_id)
    await _ami(actions.hangup(service.ami, channel=call["seat_channel"]))
    return {"hungup": True}


async def transfer(service: SeatService, extension: str, console_id: str | None, *, kind: str, target: str,
                   attended: bool) -> dict:
    """转接 to a seat, a queue or 12345, blind (the seat leaves at once) or attended (Atxfer)."""
    call = await _current_call(service, extension, console_id)
    context, exten = await _transfer_target(service, extension, kind, target)
    ami = service.ami
    if kind == "queue":
        skill = target.split("-", 2)[2]
        caller = call.get("caller_channel")
        if not caller:
            raise SeatError("找不到来电通道，无法转队列 (caller channel unknown)")
        await _ami(actions.setvar(ami, channel=caller, variable="HOTLINE_SKILL", value=skill))
    if attended:
        await _ami(actions.atxfer(ami, channel=call["seat_channel"], exten=exten, context=context))
    else:
        await _ami(actions.blind_transfer(ami, channel=call["seat_channel"], context=context, exten=exten))
        # Asterisk hangs up the transferer's leg at once (AgentComplete Reason: transfer): wrap-up starts now
        await service.on_event(extension, Hangup(call.get("linkedid")))
    return {"kind": kind, "target": target, "attended": attended, "context": context, "exten": exten}


async def _transfer_target(service: SeatService, extension: str, kind: str, target: str) -> tuple[str, str]:
    """Dialplan (context, exten) for a transfer; clear errors for anything that does not exist."""
    directory = service.directory
    target = (target or "").strip()
    if kind == "seat":
        seat = directory.seat(target)
        if seat is None:
            raise SeatError(f"目标坐席不存在 (no such seat): {target!r}", 404)
        if seat.extension == extension:
            raise SeatError("不能转接给自己 (cannot transfer to yourself)", 422)
        snap = await service.snapshot(seat.extension)
        if snap["status"] == Status.OFFLINE.value:
            raise SeatError(f"目标坐席{seat.extension}未签入 (target seat is not signed in)", 409)
        return "seat-transfer", seat.extension
    if kind == "queue":
        if target not in directory.queue_names():
            raise SeatError(f"目标队列不存在 (no such queue): {target!r}", 404)
        return "queue-overflow", target.split("-", 2)[1]
    if kind == "gov12345":
        return "handoff-12345", directory.trunks.gov12345.number
    raise SeatError(f"未知转接类型 (unknown transfer kind): {kind!r}; use {', '.join(TRANSFER_KINDS)}", 422)


async def _ami(coro) -> Any:
    try:
        return await coro
    except AmiError as exc:
        raise SeatError(f"电话系统拒绝了操作：{exc} (Asterisk refused)", 502) from exc
