"""Audit helper: one call writes who did what to which record."""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hotline.models import AuditLog


def audit(
    session: AsyncSession, *, actor: str, action: str, role: str = "", target_type: str = "",
    target_id: str | int = "", outcome: str = "ok", address: str = "", detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Add an audit row to `session` (committed with the caller's transaction)."""
    row = AuditLog(
        actor=actor, role=role, action=action, target_type=target_type, target_id=str(target_id),
        outcome=outcome, address=address, detail=detail or {},
    )
    session.add(row)
    return row
