"""Who may see which centers: supervisors their own center (the provincial center the province),
admins and auditors everything; a refused request is audited."""
from __future__ import annotations

from fastapi import HTTPException, Request, status

from hotline.audit import audit
from hotline.auth import Principal, Role
from hotline.directory import Directory
from supervisor.metrics import center_of


def visible_centers(principal: Principal, directory: Directory) -> frozenset[str] | None:
    """Center codes the person may see; None = the whole province; empty = nothing."""
    if principal.role in (Role.ADMIN, Role.AUDITOR):
        return None
    if principal.role is Role.SUPERVISOR and principal.center_code:
        if principal.center_code == directory.province_center.code:
            return None
        return frozenset({principal.center_code})
    return frozenset()


def requested_centers(principal: Principal, directory: Directory, center: str | None,
                      queue: str | None) -> tuple[frozenset[str] | None, str | None]:
    """(centers the answer covers, the center refused or None) for an optional center/queue filter."""
    allowed = visible_centers(principal, directory)
    wanted = center or center_of(queue)
    if wanted is None:
        return allowed, None  # a supervisor without a center sees an empty board, not someone else's
    if allowed is not None and wanted not in allowed:
        return allowed, wanted
    return frozenset({wanted}), None


async def deny(session, request: Request, principal: Principal, target: str, what: str) -> HTTPException:
    """Audit a refused look at another center's data and return the 403 to raise."""
    audit(session, actor=principal.username, role=principal.role.value, action=f"supervisor.{what}",
          target_type="center", target_id=target, outcome="denied",
          address=request.client.host if request.client else "", detail={"path": request.url.path})
    await session.commit()
    return HTTPException(status.HTTP_403_FORBIDDEN, f"无权查看该中心的数据 (center {target} is not yours)")
