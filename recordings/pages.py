"""The 质检复核 page for supervisors."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from hotline.auth import Principal, Role, require_page_roles
from hotline.web import render

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/recordings/review", response_class=HTMLResponse)
async def review_page(request: Request, principal: Annotated[Principal, Depends(
        require_page_roles(Role.SUPERVISOR, Role.ADMIN, Role.AUDITOR))]) -> HTMLResponse:
    """Sampled calls awaiting review: listen, read the timeline, score."""
    return render(request, "recordings/review.html", {"can_review": principal.role != Role.AUDITOR},
                  principal=principal)
