"""HTTP API: recordings (playback/download with range requests), transcripts, search, 质检 reviews."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import FileResponse
from pydantic import AfterValidator, BaseModel, Field, field_validator
from sqlalchemy import select

from hotline.audit import audit
from hotline.auth import Principal, Role, require_roles
from hotline.deps import KernelDep, SessionDep
from recordings.access import call_owner, may_access, owner_filter
from recordings.models import QualityScore, RecordedCall, Recording
from recordings.paths import UnsafePathError, resolve_inside
from recordings.search import clean_query, search
from recordings.store import call_timeline

router = APIRouter(tags=["recordings"])
PEOPLE = (Role.SEAT, Role.SUPERVISOR, Role.ADMIN, Role.AUDITOR)
Person = Annotated[Principal, Depends(require_roles(*PEOPLE))]
Reviewer = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.ADMIN))]
QaReader = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.ADMIN, Role.AUDITOR))]


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


async def _check_call(session, request: Request, principal: Principal, linkedid: str, action: str) -> None:
    """404 for an unknown call; 403 (audited) unless `principal` may access it."""
    owner = await call_owner(session, linkedid)
    if owner is None and await session.scalar(select(Recording.id).where(Recording.linkedid == linkedid).limit(1)) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "没有该通话的录音 (no such recorded call)")
    if not may_access(principal, owner):
        audit(session, actor=principal.username, role=principal.role, action=action, target_type="call",
              target_id=linkedid, outcome="denied", address=_address(request))
        await session.commit()
        raise HTTPException(status.HTTP_403_FORBIDDEN, "无权访问该通话录音 (not your call)")


@router.get("/api/recordings/calls")
async def list_calls(session: SessionDep, principal: Person, limit: int = Query(50, ge=1, le=500),
                     offset: int = Query(0, ge=0)) -> list[dict]:
    """Recorded calls this person may see, newest first."""
    stmt = select(RecordedCall).order_by(RecordedCall.answered_at.desc()).limit(limit).offset(offset)
    cond = owner_filter(principal)
    if cond is not None:
        stmt = stmt.where(cond)
    return [{"linkedid": c.linkedid, "seat_extension": c.seat_extension, "center_code": c.center_code,
             "queue": c.queue, "caller_number": c.caller_number, "answered_at": c.answered_at,
             "ended_at": c.ended_at} for c in await session.scalars(stmt)]


@router.get("/api/recordings/calls/{linkedid}")
async def call_detail(linkedid: str, request: Request, session: SessionDep, principal: Person) -> dict:
    """A call's files, merged transcript timeline (来电人 / 坐席) and quality score (access audited)."""
    await _check_call(session, request, principal, linkedid, "transcript.view")
    recs = list(await session.scalars(select(Recording).where(Recording.linkedid == linkedid).order_by(Recording.leg)))
    timeline, legs = await call_timeline(session, linkedid)
    qa = await session.scalar(select(QualityScore).where(QualityScore.linkedid == linkedid))
    audit(session, actor=principal.username, role=principal.role, action="transcript.view", target_type="call",
          target_id=linkedid, address=_address(request))
    await session.commit()
    return {
        "linkedid": linkedid,
        "recordings": [{"id": r.id, "leg": r.leg, "status": r.status, "error": r.error, "sha256": r.sha256,
                        "size_bytes": r.size_bytes, "duration_seconds": r.duration_seconds,
                        "audio_url": f"/api/recordings/{r.id}/audio" if r.status == "ok" else None} for r in recs],
        "timeline": [s.as_dict() for s in timeline],
        "legs": {leg: {"speaker": t.speaker, "text": t.text} for leg, t in legs.items()},
        "quality": _qa_dict(qa) if qa else None,
    }


@router.get("/api/recordings/{recording_id}/audio")
async def audio(recording_id: int, request: Request, kernel: KernelDep, session: SessionDep, principal: Person,
                download: bool = False) -> FileResponse:
    """The WAV file; honours HTTP Range (seeking in the player). Every access is audited."""
    action = "recording.download" if download else "recording.play"
    rec = await session.get(Recording, recording_id)
    if rec is None or rec.status == "purged":
        raise HTTPException(status.HTTP_404_NOT_FOUND, "录音不存在或已按保存期限清除 (no such recording)")
    await _check_call(session, request, principal, rec.linkedid, action)
    try:
        path = resolve_inside(kernel.settings.recordings_dir, rec.relpath)
    except UnsafePathError as exc:
        audit(session, actor=principal.username, role=principal.role, action=action, target_type="recording",
              target_id=rec.id, outcome="refused", address=_address(request), detail={"error": str(exc)})
        await session.commit()
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from exc
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "录音文件缺失 (file missing; run `recordings verify`)")
    audit(session, actor=principal.username, role=principal.role, action=action, target_type="recording",
          target_id=rec.id, address=_address(request), detail={"linkedid": rec.linkedid, "leg": rec.leg,
                                                               "range": request.headers.get("range", "")})
    await session.commit()
    name = f"{rec.linkedid}-{rec.leg}.wav"
    return FileResponse(path, media_type="audio/wav", filename=name,
                        content_disposition_type="attachment" if download else "inline")


def _searchable(q: str) -> str:
    """The query as received, once `clean_query` accepts it (its BadQueryError is a ValueError: a 422
    naming `q`, with its message, in the published validation-error shape)."""
    clean_query(q)
    return q


SearchText = Annotated[str, Query(max_length=200, description="检索词"), AfterValidator(_searchable)]


@router.get("/api/transcripts/search")
async def search_transcripts(request: Request, session: SessionDep, principal: Person, q: SearchText,
                             limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0)) -> dict:
    """Utterances containing `q` in calls this person may see, with highlights and a jump-to-time link."""
    hits = await search(session, q, principal, limit, offset)
    audit(session, actor=principal.username, role=principal.role, action="transcript.search", target_type="query",
          target_id=q[:64], address=_address(request), detail={"hits": len(hits)})
    await session.commit()
    return {"query": q, "hits": [h.__dict__ for h in hits]}


def _qa_dict(row: QualityScore) -> dict:
    return {"linkedid": row.linkedid, "seat_extension": row.seat_extension, "center_code": row.center_code,
            "score": row.score, "findings": row.findings, "sampled": row.sampled, "review_state": row.review_state,
            "reviewer": row.reviewer, "review_score": row.review_score, "review_comment": row.review_comment,
            "reviewed_at": row.reviewed_at, "created_at": row.created_at}


@router.get("/api/recordings/qa")
async def qa_list(session: SessionDep, principal: QaReader, state: str = Query("pending", pattern="^(pending|reviewed|none|all)$"),
                  limit: int = Query(100, ge=1, le=500)) -> list[dict]:
    """Scored calls (by default those sampled and awaiting review) of the supervisor's center."""
    stmt = select(QualityScore).order_by(QualityScore.created_at.desc()).limit(limit)
    if state != "all":
        stmt = stmt.where(QualityScore.review_state == state)
    if principal.role == Role.SUPERVISOR:
        stmt = stmt.where(QualityScore.center_code == principal.center_code)
    return [_qa_dict(r) for r in await session.scalars(stmt)]


class Review(BaseModel):
    """A supervisor's verdict on a sampled call."""

    score: int = Field(..., ge=0, le=100, description="复核得分 0–100")
    comment: str = Field("", max_length=2000, description="复核意见")

    @field_validator("comment")
    @classmethod
    def _no_control(cls, v: str) -> str:
        if any(ord(c) < 32 and c not in "\n\t" for c in v):
            raise ValueError("复核意见含控制字符 (control characters)")
        return v


@router.post("/api/recordings/qa/{linkedid}/review")
async def qa_review(linkedid: str, body: Review, request: Request, session: SessionDep, principal: Reviewer) -> dict:
    """Record the review of a scored call (supervisors of its center, administrators)."""
    row = await session.scalar(select(QualityScore).where(QualityScore.linkedid == linkedid))
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "该通话尚未质检 (call not scored)")
    if principal.role == Role.SUPERVISOR and row.center_code != principal.center_code:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "只能复核本中心的通话 (not your center)")
    before = row.review_score
    row.review_state, row.reviewer, row.review_score = "reviewed", principal.username, body.score
    row.review_comment, row.reviewed_at = body.comment, datetime.now(timezone.utc)
    audit(session, actor=principal.username, role=principal.role, action="qa.review", target_type="call",
          target_id=linkedid, address=_address(request), detail={"score": body.score, "previous": before})
    await session.commit()
    return _qa_dict(row)
