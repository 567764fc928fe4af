"""Users and roles: OAuth2 password flow with JWT for people, API keys for integrations.

Roles: ``seat`` (坐席), ``supervisor`` (班长/值班长), ``admin`` (管理员), ``auditor`` (审计),
``integration`` (platform clients). Routes declare who may call them with
``Depends(require_roles(...))``; pages use ``Depends(require_page_roles(...))`` which sends a
browser without a valid login to ``/login``. The RBAC matrix test walks every route.
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Annotated
from urllib.parse import quote

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import select
from starlette.requests import HTTPConnection

from hotline.deps import KernelDep, SessionDep
from hotline.models import ApiKey, RevokedToken, User

COOKIE = "access_token"


class Role(StrEnum):
    """What a principal may do; routes list the roles they admit."""

    SEAT = "seat"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    AUDITOR = "auditor"
    INTEGRATION = "integration"


ROLE_LABELS = {
    Role.SEAT: "坐席", Role.SUPERVISOR: "班长", Role.ADMIN: "管理员", Role.AUDITOR: "审计员",
    Role.INTEGRATION: "对接系统",
}
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
    token_id: str | None = None
    token_expires: datetime | None = None

    @property
    def is_person(self) -> bool:
        return self.role in PEOPLE


class LoginRequired(Exception):
    """A page was opened without a valid login: the app answers with a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url

    @property
    def location(self) -> str:
        return "/login?next=" + quote(self.next_url, safe="/")


class PageForbidden(Exception):
    """A logged-in person opened a page their role may not see (rendered as a 403 page)."""

    def __init__(self, principal: Principal, allowed: frozenset[Role]) -> None:
        super().__init__(principal.role)
        self.principal = principal
        self.allowed = allowed


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches `password_hash` (never raises on a malformed hash)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


# A hash to verify against when the user does not exist, so both cases take the same time.
_dummy_hash: str | None = None


def burn_password_check(password: str) -> None:
    """Spend the time of a real verification (unknown user) so timing reveals nothing."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    verify_password(_dummy_hash, password)


def set_password_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Swap the Argon2 parameters (test suites use cheap ones); returns the previous hasher."""
    global _hasher, _dummy_hash
    previous, _hasher, _dummy_hash = _hasher, hasher, None
    return previous


def hash_api_key(key: str) -> str:
    """SHA-256 of an API key (keys are long random strings, so a fast hash is enough)."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> str:
    """A fresh random API key, shown to the operator once."""
    return "hk_" + secrets.token_urlsafe(32)


def issue_token(user: User, secret: str, minutes: int, now: datetime | None = None) -> str:
    """Signed JWT for `user`, valid `minutes` from `now`, with a unique id for logout."""
    now = now or datetime.now(timezone.utc)
    claims = {
        "sub": user.username, "uid": user.id, "role": user.role, "center": user.center_code,
        "seat": user.seat_extension, "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()), "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def decode_token(token: str, secret: str) -> Principal:
    """Principal from a JWT; 401 when the signature, expiry or claims are wrong."""
    try:
        c = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub", "role"]})
        return Principal(c["sub"], Role(c["role"]), c.get("center"), c.get("seat"), c.get("uid"), c.get("jti"),
                         datetime.fromtimestamp(c["exp"], timezone.utc))
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise _unauthorized("登录已失效，请重新登录 (invalid token)") from exc


async def _person(session, claims: Principal) -> Principal:
    """Re-read the user so deactivation, role changes and logout take effect at once (one query: the
    user's current row and whether this token was revoked)."""
    if claims.user_id is None:
        raise _unauthorized("账号不可用，请联系管理员 (account disabled)")
    revoked = select(RevokedToken.jti).where(RevokedToken.jti == (claims.token_id or "")).exists()
    row = (await session.execute(
        select(User.username, User.role, User.center_code, User.seat_extension, User.active, revoked.label("revoked"))
        .where(User.id == claims.user_id))).first()
    if row is not None and row.revoked:
        raise _unauthorized("已退出登录，请重新登录 (token revoked)")
    if row is None or not row.active or row.username != claims.username:
        raise _unauthorized("账号不可用，请联系管理员 (account disabled)")
    return Principal(row.username, Role(row.role), row.center_code, row.seat_extension, claims.user_id,
                     claims.token_id, claims.token_expires)


async def current_principal(
    conn: HTTPConnection, kernel: KernelDep, session: SessionDep,
    token: Annotated[str | None, Depends(oauth2)] = None,
) -> Principal:
    """Bearer JWT (header or ``access_token`` cookie for pages/WebSockets) or ``X-API-Key``."""
    key = conn.headers.get("x-api-key")
    if key:
        row = await session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key), ApiKey.active))
        if row is None:
            raise _unauthorized("API 密钥无效 (invalid API key)")
        principal = Principal(row.name, Role(row.role))
        if conn.scope["type"] == "websocket":
            await session.rollback()  # a WebSocket lives for hours: do not hold a pooled connection
        return principal
    token = token or conn.cookies.get(COOKIE)
    if not token:
        raise _unauthorized("请先登录 (not authenticated)")
    principal = await _person(session, decode_token(token, kernel.settings.secret_key.get_secret_value()))
    if conn.scope["type"] == "websocket":
        await session.rollback()  # a WebSocket lives for hours: do not hold a pooled connection
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role | str):
    """Dependency: the caller must hold one of `roles` (401 without login, 403 otherwise)."""
    allowed = frozenset(Role(r) for r in roles)

    async def _check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "无权访问 (forbidden for role %s)" % principal.role)
        return principal

    _check.allowed_roles = allowed  # read by the RBAC matrix test
    return _check


def require_page_roles(*roles: Role | str):
    """Page dependency: like `require_roles`, but a browser without login is sent to /login."""
    allowed = frozenset(Role(r) for r in roles)

    async def _check(conn: HTTPConnection, kernel: KernelDep, session: SessionDep,
                     token: Annotated[str | None, Depends(oauth2)] = None) -> Principal:
        try:
            principal = await current_principal(conn, kernel, session, token)
        except HTTPException as exc:
            target = conn.url.path + (f"?{conn.url.query}" if conn.url.query else "")
            raise LoginRequired(target) from exc
        if principal.role not in allowed:
            raise PageForbidden(principal, allowed)
        return principal

    _check.allowed_roles = allowed
    _check.page = True  # anonymous callers get a redirect, not a 401
    return _check
