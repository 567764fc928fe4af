"""Listen / whisper / barge: the supervisor's phone is originated into the `chanspy` context with
SPY_TARGET = the seat's channel (ChanSpy options q, qw, qB in the rendered dialplan)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from hotline.auth import Principal, Role
from hotline.directory import Directory

MODES = {"listen": "监听", "whisper": "耳语", "barge": "强插"}
_CHANNEL = re.compile(r"^[A-Za-z0-9_/\-.]{1,80}$")


class SpyRefused(Exception):
    """A listen/whisper/barge the rules forbid; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class SpyPlan:
    """What to originate: the supervisor's endpoint, the dialplan extension, the channel spied on."""

    channel: str
    exten: Literal["listen", "whisper", "barge"]
    target: str
    seat_center: str


def plan(principal: Principal, directory: Directory, *, seat: str, phone: str, mode: str,
         seat_channel: str | None) -> SpyPlan:
    """Check the request against the rules (pure) and say what to originate."""
    if mode not in MODES:
        raise SpyRefused(422, f"未知的模式 (mode must be one of {', '.join(MODES)})")
    s = directory.seat(seat)
    if s is None:
        raise SpyRefused(422, f"未知的坐席 (unknown seat {seat!r})")
    sup = next((p for p in directory.supervisor_phones if p.extension == phone), None)
    if sup is None:
        raise SpyRefused(422, f"未知的班长话机 (unknown supervisor phone {phone!r})")
    if principal.role is not Role.ADMIN:
        if principal.role is not Role.SUPERVISOR or principal.center_code != s.center:
            raise SpyRefused(403, "只能监听本中心的坐席 (only the seat's own center supervisors)")
        if sup.center != principal.center_code:
            raise SpyRefused(403, "只能使用本中心的班长话机 (phone of another center)")
    if not seat_channel:
        raise SpyRefused(409, f"坐席{seat}当前没有通话 (seat has no call)")
    if not _CHANNEL.fullmatch(seat_channel):
        raise SpyRefused(409, "坐席通道名异常 (unexpected seat channel name)")
    return SpyPlan(channel=f"PJSIP/sup{sup.extension}", exten=mode, target=seat_channel, seat_center=s.center)


def seat_channel(routing: Any, seat: str) -> str | None:
    """The channel of the seat's current answered call, from the routing engine's live state."""
    if routing is None:
        return None
    tail = f"seat{seat}"
    for ns in routing.state.nodes.values():
        for call in ns.calls.values():
            if call.seat_channel and call.answered_at is not None and \
                    call.seat_interface.rsplit("/", 1)[-1] == tail:
                leg = next((lg for lg in call.legs.values() if lg.channel == call.seat_channel), None)
                if leg is None or leg.hungup_at is None:
                    return call.seat_channel
    return None


async def stored_seat_channel(session: Any, seat: str) -> str | None:
    """The seat's channel as the seat service stored it with the call (a web process without the engine)."""
    from seats.models import SeatSession

    row = await session.get(SeatSession, seat)
    if row is None or row.status != "on_call" or not row.call:
        return None
    return row.call.get("seat_channel")


async def originate_spy(ami: Any, p: SpyPlan, action_id: str) -> Any:
    """Ring the supervisor's phone; when answered it joins the seat's call as `p.exten` says."""
    from routing import actions

    return await actions.originate(ami, channel=p.channel, context="chanspy", exten=p.exten,
                                   caller_id=f'"{MODES[p.exten]}" <{p.exten}>', timeout_ms=30000,
                                   variables={"SPY_TARGET": p.target}, action_id=action_id)
