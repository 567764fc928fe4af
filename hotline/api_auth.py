"""Login API: OAuth2 password → JWT (also an httpOnly cookie for pages and WebSockets), logout, me."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlalchemy import delete

from hotline.audit import audit
from hotline.auth import (
    COOKIE, PEOPLE, ROLE_LABELS, Principal, Role, decode_token, issue_token, oauth2, require_roles, verify_password,
)
from hotline.db import utcnow
from hotline.deps import KernelDep, SessionDep
from hotline.login import login
from hotline.metrics import LOGINS
from hotline.models import RevokedToken, User
from hotline.users import Actor, UserError, update_user

router = APIRouter(prefix="/api", tags=["auth"])


class TokenOut(BaseModel):
    """OAuth2 token response, plus where the person's console is."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    role: str
    home: str


class MeOut(BaseModel):
    """The caller as the consoles show them."""

    username: str
    role: str
    role_label: str
    center_code: str | None
    center_name: str | None
    seat_extension: str | None
    expires_at: datetime | None


def client_address(request: Request) -> str:
    """The peer address (a reverse proxy in front should be configured to pass it through)."""
    return request.client.host if request.client else ""


@router.post("/auth/token", response_model=TokenOut)
async def token(
    request: Request, response: Response, form: Annotated[OAuth2PasswordRequestForm, Depends()],
    kernel: KernelDep, session: SessionDep,
) -> TokenOut:
    """Log in with username and password (rate-limited per username + address)."""
    s = kernel.settings
    outcome = await login(session, s, username=form.username, password=form.password,
                          address=client_address(request), now=utcnow())
    LOGINS.labels(outcome.status).inc()
    if outcome.status == "locked":
        minutes = max(1, round(outcome.retry_after / 60))
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                            f"登录失败次数过多，请约 {minutes} 分钟后再试 (too many failed logins)",
                            headers={"Retry-After": str(outcome.retry_after)})
    if outcome.status != "ok" or outcome.user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "用户名或密码错误 (invalid credentials)",
                            headers={"WWW-Authenticate": "Bearer"})
    jwt_token = issue_token(outcome.user, s.secret_key.get_secret_value(), s.token_minutes)
    response.set_cookie(COOKIE, jwt_token, max_age=s.token_minutes * 60, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    from hotline.web import home_path

    return TokenOut(access_token=jwt_token, expires_in=s.token_minutes * 60, role=outcome.user.role,
                    home=home_path(request.app, Role(outcome.user.role)))


@router.post("/auth/logout")
async def logout(
    request: Request, response: Response, kernel: KernelDep, session: SessionDep,
    bearer: Annotated[str | None, Depends(oauth2)] = None,
) -> dict[str, str]:
    """End the login: the token stops working everywhere and the cookie is cleared."""
    response.delete_cookie(COOKIE, path="/")
    raw = bearer or request.cookies.get(COOKIE)
    if not raw:
        return {"status": "ok"}
    try:
        p = decode_token(raw, kernel.settings.secret_key.get_secret_value())
    except HTTPException:
        return {"status": "ok"}  # an expired token needs no revoking
    now = utcnow()
    await session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))
    if p.token_id and await session.get(RevokedToken, p.token_id) is None:
        session.add(RevokedToken(jti=p.token_id, username=p.username, expires_at=p.token_expires or now))
        audit(session, actor=p.username, role=p.role, action="auth.logout", target_type="user",
              target_id=p.user_id or "", address=client_address(request))
    await session.commit()
    return {"status": "ok"}


class PasswordChange(BaseModel):
    """A person's own password change."""

    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


@router.post("/me/password")
async def change_own_password(
    body: PasswordChange, request: Request, kernel: KernelDep, session: SessionDep,
    principal: Annotated[Principal, Depends(require_roles(*PEOPLE))],
) -> dict[str, str]:
    """Change one's own password (the current one is asked again)."""
    user = await session.get(User, principal.user_id)
    if user is None or not verify_password(user.password_hash, body.current_password):
        audit(session, actor=principal.username, role=principal.role, action="user.password", outcome="denied",
              target_type="user", target_id=principal.user_id or "", address=client_address(request))
        await session.commit()
        raise HTTPException(400, {"field": "current_password", "message": "当前密码不正确"})
    try:
        await update_user(session, kernel.directory, Actor(principal.username, principal.role, client_address(request)),
                          user.id, {"password": body.new_password})
    except UserError as exc:
        raise HTTPException(exc.status, {"field": "new_password", "message": exc.message}) from exc
    return {"status": "ok"}


@router.get("/me", response_model=MeOut)
async def me(principal: Annotated[Principal, Depends(require_roles(*Role))], kernel: KernelDep) -> MeOut:
    """Who is logged in, with the center's name for the header."""
    center = kernel.directory.center(principal.center_code) if principal.center_code else None
    return MeOut(username=principal.username, role=principal.role, role_label=ROLE_LABELS[principal.role],
                 center_code=principal.center_code, center_name=center.name if center else None,
                 seat_extension=principal.seat_extension, expires_at=principal.token_expires)

