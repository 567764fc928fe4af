"""Administration API: users, API keys (admin only) and the audit log (admin and auditor)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from hotline.api_auth import client_address
from hotline.auth import Principal, Role, require_roles
from hotline.deps import KernelDep, SessionDep
from hotline.models import AuditLog
from hotline.users import Actor, UserError, create_api_key, create_user, list_api_keys, list_users, revoke_api_key, update_user

router = APIRouter(prefix="/api", tags=["admin"])
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


class UserOut(BaseModel):
    """An account as administrators see it (never the password hash)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    display_name: str
    role: str
    center_code: str | None
    seat_extension: str | None
    active: bool
    created_at: datetime


class UserCreate(BaseModel):
    """A new account."""

    username: str = Field(max_length=64)
    password: str = Field(max_length=256)
    role: str = Field(max_length=16)
    center_code: str | None = Field(None, max_length=6)
    seat_extension: str | None = Field(None, max_length=8)
    display_name: str = Field("", max_length=64)


class UserUpdate(BaseModel):
    """Fields to change; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")
    display_name: str | None = Field(None, max_length=64)
    role: str | None = Field(None, max_length=16)
    center_code: str | None = Field(None, max_length=6)
    seat_extension: str | None = Field(None, max_length=8)
    active: bool | None = None
    password: str | None = Field(None, max_length=256)


class KeyOut(BaseModel):
    """An API key's record (the key itself is shown only when created)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    role: str
    active: bool
    created_at: datetime


class KeyCreated(KeyOut):
    """A new key: `key` is shown this once and never stored."""

    key: str


class KeyCreate(BaseModel):
    """A new integration client."""

    name: str = Field(max_length=64)
    role: str = Field(Role.INTEGRATION.value, max_length=16)


class AuditOut(BaseModel):
    """One audit row."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor: str
    role: str
    action: str
    target_type: str
    target_id: str
    outcome: str
    address: str
    detail: dict


def _actor(principal: Principal, request: Request) -> Actor:
    return Actor(principal.username, principal.role, client_address(request))


def _refused(exc: UserError) -> HTTPException:
    return HTTPException(exc.status, {"field": exc.field, "message": exc.message})


@router.get("/users", response_model=list[UserOut])
async def users_list(admin: Admin, session: SessionDep) -> list:
    """Every account."""
    return await list_users(session)


@router.post("/users", response_model=UserOut, status_code=201)
async def users_create(body: UserCreate, admin: Admin, request: Request, kernel: KernelDep, session: SessionDep):
    """Create an account."""
    try:
        return await create_user(session, kernel.directory, _actor(admin, request), **body.model_dump())
    except UserError as exc:
        raise _refused(exc) from exc


@router.patch("/users/{user_id}", response_model=UserOut)
async def users_update(user_id: int, body: UserUpdate, admin: Admin, request: Request, kernel: KernelDep,
                       session: SessionDep):
    """Change an account (role, center, seat, name, password, active)."""
    try:
        return await update_user(session, kernel.directory, _actor(admin, request), user_id,
                                 body.model_dump(exclude_unset=True))
    except UserError as exc:
        raise _refused(exc) from exc


@router.post("/users/{user_id}/deactivate", response_model=UserOut)
async def users_deactivate(user_id: int, admin: Admin, request: Request, kernel: KernelDep, session: SessionDep):
    """Deactivate an account: its logins and tokens stop working at once."""
    if user_id == admin.user_id:
        raise HTTPException(409, {"field": "user_id", "message": "不能停用自己的账号"})
    try:
        return await update_user(session, kernel.directory, _actor(admin, request), user_id, {"active": False})
    except UserError as exc:
        raise _refused(exc) from exc


@router.get("/keys", response_model=list[KeyOut])
async def keys_list(admin: Admin, session: SessionDep) -> list:
    """Every API key (without the keys)."""
    return await list_api_keys(session)


@router.post("/keys", response_model=KeyCreated, status_code=201)
async def keys_create(body: KeyCreate, admin: Admin, request: Request, session: SessionDep) -> KeyCreated:
    """Create an API key for an integration client; the key is in this response only."""
    try:
        row, key = await create_api_key(session, _actor(admin, request), name=body.name, role=body.role)
    except UserError as exc:
        raise _refused(exc) from exc
    return KeyCreated(id=row.id, name=row.name, role=row.role, active=row.active, created_at=row.created_at, key=key)


@router.post("/keys/{key_id}/revoke", response_model=KeyOut)
async def keys_revoke(key_id: int, admin: Admin, request: Request, session: SessionDep):
    """Revoke an API key at once."""
    try:
        return await revoke_api_key(session, _actor(admin, request), key_id)
    except UserError as exc:
        raise _refused(exc) from exc


@router.get("/audit", response_model=list[AuditOut])
async def audit_list(
    principal: Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.AUDITOR))], session: SessionDep,
    actor: str | None = None, action: str | None = None, target_type: str | None = None,
    target_id: str | None = None, since: datetime | None = None, before_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list:
    """Audit rows, newest first, filtered; page with `before_id`."""
    q = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    for column, value in ((AuditLog.actor, actor), (AuditLog.action, action),
                          (AuditLog.target_type, target_type), (AuditLog.target_id, target_id)):
        if value is not None:
            q = q.where(column == value)
    if since is not None:
        if since.tzinfo is None:
            raise HTTPException(422, {"field": "since", "message": "时间须带时区，例如 2026-01-01T00:00:00+08:00"})
        q = q.where(AuditLog.at >= since)
    if before_id is not None:
        q = q.where(AuditLog.id < before_id)
    return list(await session.scalars(q))
