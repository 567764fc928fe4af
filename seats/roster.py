"""Duty roster (排班): supervisors plan their center's shifts, admins every center's."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import and_, select

from hotline.audit import audit
from hotline.auth import Principal, Role, require_roles
from hotline.deps import KernelDep, SessionDep
from hotline.directory import safe_text
from hotline.models import User
from seats.models import DutyShift
from hotline.validation import invalid

router = APIRouter(prefix="/api/seats/roster", tags=["seats"])
Planner = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.ADMIN))]
Reader = Annotated[Principal, Depends(require_roles(Role.SEAT, Role.SUPERVISOR, Role.ADMIN, Role.AUDITOR))]
MAX_SHIFT = timedelta(hours=24)
KINDS = {"day": "白班", "night": "夜班", "duty": "值班", "holiday": "节假日值班"}


class ShiftIn(BaseModel):
    """One shift to plan."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    username: str = Field(..., min_length=1, max_length=64)
    extension: str = Field(..., pattern=r"^\d{3,8}$")
    starts_at: datetime
    ends_at: datetime
    kind: str = "day"
    note: str = Field("", max_length=500)

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("时间须带时区，例如 2026-12-01T08:30:00+08:00 (timezone required)")
        return v

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in KINDS:
            raise ValueError(f"班次类型须为 {', '.join(KINDS)} (unknown kind)")
        return v

    @field_validator("note")
    @classmethod
    def _note(cls, v: str) -> str:
        return safe_text(v) if v else v

    @model_validator(mode="after")
    def _span(self) -> "ShiftIn":
        if self.ends_at <= self.starts_at:
            raise ValueError("结束时间须晚于开始时间 (ends_at must be after starts_at)")
        if self.ends_at - self.starts_at > MAX_SHIFT:
            raise ValueError("一个班次不能超过24小时 (a shift cannot exceed 24 hours)")
        return self


def overlaps(start: datetime, end: datetime, spans: list[tuple[datetime, datetime]]) -> bool:
    """True when [start, end) meets any of `spans` (shifts touching end-to-start do not overlap)."""
    return any(s < end and start < e for s, e in spans)


def _out(row: DutyShift) -> dict[str, Any]:
    return {"id": row.id, "username": row.username, "extension": row.extension, "center_code": row.center_code,
            "starts_at": row.starts_at.isoformat(), "ends_at": row.ends_at.isoformat(), "kind": row.kind,
            "kind_label": KINDS.get(row.kind, row.kind), "note": row.note, "created_by": row.created_by}


@router.get("")
async def list_shifts(principal: Reader, session: SessionDep,
                      start: datetime | None = Query(None), end: datetime | None = Query(None)) -> list[dict[str, Any]]:
    """Shifts in a window: a seat sees its own, a supervisor its center's, admins and auditors all."""
    q = select(DutyShift).order_by(DutyShift.starts_at)
    if start is not None:
        q = q.where(DutyShift.ends_at > start)
    if end is not None:
        q = q.where(DutyShift.starts_at < end)
    if principal.role == Role.SEAT:
        q = q.where(DutyShift.username == principal.username)
    elif principal.role == Role.SUPERVISOR:
        q = q.where(DutyShift.center_code == (principal.center_code or ""))
    return [_out(r) for r in (await session.scalars(q)).all()]


@router.post("", status_code=201)
async def add_shift(body: ShiftIn, principal: Planner, session: SessionDep, kernel: KernelDep) -> dict[str, Any]:
    """Plan a shift; the operator must be a seat user, the seat must exist, no double booking."""
    seat = kernel.directory.seat(body.extension)
    if seat is None:
        raise invalid(("body", "extension"), f"坐席不存在 (no such seat): {body.extension!r}", body.extension)
    if principal.role == Role.SUPERVISOR and seat.center != principal.center_code:
        raise HTTPException(403, "只能为本中心排班 (only your own center)")
    user = await session.scalar(select(User).where(User.username == body.username))
    if user is None or user.role != Role.SEAT.value or not user.active:
        raise invalid(("body", "username"), f"不是有效的坐席账号 (not an active seat user): {body.username!r}",
                      body.username)
    clash = (await session.execute(select(DutyShift.starts_at, DutyShift.ends_at).where(and_(
        DutyShift.starts_at < body.ends_at, DutyShift.ends_at > body.starts_at,
        (DutyShift.username == body.username) | (DutyShift.extension == body.extension))))).all()
    if overlaps(body.starts_at, body.ends_at, [(a, b) for a, b in clash]):
        raise HTTPException(409, "该时段已有排班（人员或坐席冲突） (overlaps another shift)")
    row = DutyShift(username=body.username, extension=body.extension, center_code=seat.center,
                    starts_at=body.starts_at, ends_at=body.ends_at, kind=body.kind, note=body.note,
                    created_by=principal.username)
    session.add(row)
    await session.flush()
    audit(session, actor=principal.username, role=principal.role, action="roster.add", target_type="duty_shift",
          target_id=row.id, detail={"username": body.username, "extension": body.extension})
    await session.commit()
    return _out(row)


@router.delete("/{shift_id}", status_code=204)
async def delete_shift(principal: Planner, session: SessionDep,
                       shift_id: int = Path(..., ge=1, le=2**31 - 1)) -> None:
    """Remove a planned shift (own center for supervisors)."""
    row = await session.get(DutyShift, shift_id)
    if row is None or (principal.role == Role.SUPERVISOR and row.center_code != principal.center_code):
        raise HTTPException(404, f"排班不存在 (no such shift): {shift_id}")
    await session.delete(row)
    audit(session, actor=principal.username, role=principal.role, action="roster.delete",
          target_type="duty_shift", target_id=shift_id)
    await session.commit()
