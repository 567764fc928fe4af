"""Shell pages: login, landing (redirect by role), user administration and the audit log."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hotline.auth import PEOPLE, Principal, Role, require_page_roles
from hotline.web import home_path, render, safe_next

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The login form (it posts to /api/auth/token, then opens the console)."""
    return render(request, "login.html", {"next": safe_next(next) or ""})


@router.get("/")
async def landing(request: Request,
                  principal: Annotated[Principal, Depends(require_page_roles(*PEOPLE))]) -> Response:
    """Send each person to their console; the shell itself when that console is not installed."""
    target = home_path(request.app, principal.role)
    if target != "/":
        return RedirectResponse(target, status_code=303)
    return render(request, "home.html", principal=principal)


@router.get("/account", response_class=HTMLResponse)
async def account_page(request: Request,
                       principal: Annotated[Principal, Depends(require_page_roles(*PEOPLE))]) -> HTMLResponse:
    """One's own account: change the password."""
    return render(request, "account.html", principal=principal)


@router.get("/admin/users", response_class=HTMLResponse)
async def users_page(request: Request,
                     principal: Annotated[Principal, Depends(require_page_roles(Role.ADMIN))]) -> HTMLResponse:
    """Accounts and API keys."""
    kernel = request.app.state.kernel
    centers = [{"code": c.code, "name": c.name} for c in kernel.directory.centers]
    seats = [{"extension": s.extension, "center": s.center} for s in kernel.directory.seats]
    return render(request, "users.html", {"centers": centers, "seats": seats}, principal=principal)


@router.get("/admin/audit", response_class=HTMLResponse)
async def audit_page(request: Request, principal: Annotated[Principal, Depends(
        require_page_roles(Role.ADMIN, Role.AUDITOR))]) -> HTMLResponse:
    """The audit log, newest first."""
    return render(request, "audit.html", principal=principal)
