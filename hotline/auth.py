"""Users and roles: OAuth2 password flow with JWT for people, API keys for integrations.

Roles: ``seat`` (坐席), ``supervisor`` (班长/值班长), ``admin`` (管理员), ``auditor`` (审计),
``integration`` (platform clients). Routes declare who may call them with
``Depends(require_roles(...))``; the RBAC matrix test walks every route.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Annotated

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import select

from hotline.deps import KernelDep, SessionDep
from hotline.models import ApiKey, User


class Role(StrEnum):
    SEAT = "seat"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    AUDITOR = "auditor"
    INTEGRATION = "integration"


PEOPLE = (Role.SEAT, Role.SUPERVISOR, Role.ADMIN, Role.AUDITOR)
_hasher = PasswordHasher()
oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a person (from a JWT) or an integration (from an API key)."""

    username: str
    role: Role
    center_code: str | None = None
    seat_extension: str | None = None
    user_id: int | None = None

    @property
    def is_person(self) -> bool:
        return self.role in PEOPLE


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> str:
    return "hk_" + secrets.token_urlsafe(32)


def issue_token(user: User, secret: str, minutes: int, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    claims = {
        "sub": user.username, "uid": user.id, "role": user.role, "center": user.center_code,
        "seat": user.seat_extension, "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def decode_token(token: str, secret: str) -> Principal:
    try:
        c = jwt.decode(token, secret, algorithms=["HS256"])
        return Principal(c["sub"], Role(c["role"]), c.get("center"), c.get("seat"), c.get("uid"))
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "登录已失效，请重新登录 (invalid token)",
                            headers={"WWW-Authenticate": "Bearer"}) from exc


async def current_principal(
    request: Request, kernel: KernelDep, session: SessionDep,
    token: Annotated[str | None, Depends(oauth2)] = None,
) -> Principal:
    """Bearer JWT (header or ``access_token`` cookie for pages/WebSockets) or ``X-API-Key``."""
    key = request.headers.get("x-api-key")
    if key:
        row = await session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key), ApiKey.active))
        if row is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid API key")
        return Principal(row.name, Role(row.role))
    token = token or request.cookies.get("access_token")
    if not token:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "请先登录 (not authenticated)",
                            headers={"WWW-Authenticate": "Bearer"})
    return decode_token(token, kernel.settings.secret_key.get_secret_value())


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role | str):
    """Dependency: the caller must hold one of `roles` (403 otherwise)."""
    allowed = frozenset(Role(r) for r in roles)

    async def _check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "无权访问 (forbidden for role %s)" % principal.role)
        return principal

    _check.allowed_roles = allowed  # read by the RBAC matrix test
    return _check
