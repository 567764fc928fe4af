"""Who may hear or read a call's recordings and transcripts."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.auth import Principal, Role
from recordings.models import RecordedCall


@dataclass(frozen=True)
class CallOwner:
    """The seat that answered a call and the center it belongs to."""

    seat_extension: str | None
    center_code: str | None


def may_access(principal: Principal, owner: CallOwner | None) -> bool:
    """Seats their own calls, supervisors their center's, auditors and administrators all."""
    if principal.role in (Role.ADMIN, Role.AUDITOR):
        return True
    if owner is None:
        return False
    if principal.role == Role.SUPERVISOR:
        return bool(principal.center_code) and principal.center_code == owner.center_code
    if principal.role == Role.SEAT:
        return bool(principal.seat_extension) and principal.seat_extension == owner.seat_extension
    return False


async def call_owner(session: AsyncSession, linkedid: str) -> CallOwner | None:
    """Ownership from the routing engine's call record when it has one, else from our recorded call."""
    try:
        from routing.models import CallRecord  # the routing engine's record is authoritative
    except ModuleNotFoundError:
        CallRecord = None
    if CallRecord is not None:
        row = await session.scalar(select(CallRecord).where(CallRecord.linkedid == linkedid))
        if row is not None and row.seat_extension:
            from recordings.policy import center_of_queue

            # the queue that finally connected the call says whose supervisors see it (after overflow too)
            return CallOwner(row.seat_extension, center_of_queue(row.last_queue or ""))
    call = await session.scalar(select(RecordedCall).where(RecordedCall.linkedid == linkedid))
    return CallOwner(call.seat_extension, call.center_code) if call else None


def owner_filter(principal: Principal):
    """A WHERE clause on RecordedCall limiting a listing to the calls `principal` may see (None = all)."""
    if principal.role in (Role.ADMIN, Role.AUDITOR):
        return None
    if principal.role == Role.SUPERVISOR and principal.center_code:
        return RecordedCall.center_code == principal.center_code
    if principal.role == Role.SEAT and principal.seat_extension:
        return RecordedCall.seat_extension == principal.seat_extension
    return RecordedCall.id.is_(None)  # matches nothing
