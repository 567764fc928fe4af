"""User and API-key administration shared by the admin API and the CLI; every change is audited."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import audit
from hotline.auth import PEOPLE, Role, hash_api_key, hash_password, new_api_key
from hotline.directory import Directory
from hotline.models import ApiKey, User

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")
KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
PASSWORD_MIN, PASSWORD_MAX = 8, 256
EDITABLE = ("display_name", "role", "center_code", "seat_extension", "active", "password")


class UserError(ValueError):
    """A user or key change was refused; `field` names the offending input."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.status = field, message, status


@dataclass(frozen=True)
class Actor:
    """Who makes a change (an admin over the API, or ``cli:<login>`` on the console)."""

    name: str
    role: str = ""
    address: str = ""


def check_username(username: str) -> str:
    """Login names: ASCII letters, digits and ``_.@-``, 2–64 characters."""
    if not USERNAME.fullmatch(username):
        raise UserError("username", f"用户名须为 2–64 位字母、数字或 _.@- (got {username!r})")
    return username


def check_password(password: str) -> str:
    """At least 8 characters, no control characters."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise UserError("password", f"密码长度须为 {PASSWORD_MIN}–{PASSWORD_MAX} 位")
    if _CONTROL.search(password):
        raise UserError("password", "密码不能包含控制字符")
    return password


def check_profile(directory: Directory, role: str, center_code: str | None, seat_extension: str | None,
                  display_name: str) -> dict[str, Any]:
    """Validate role, center, seat and name against the directory; return the normalised fields."""
    try:
        r = Role(role)
    except ValueError:
        raise UserError("role", f"未知角色 {role!r} (one of {', '.join(p.value for p in PEOPLE)})") from None
    if r not in PEOPLE:
        raise UserError("role", f"{role!r} 只能用于 API 密钥 (people get seat/supervisor/admin/auditor)")
    center_code, seat_extension = center_code or None, seat_extension or None
    if center_code is not None and directory.center(center_code) is None:
        raise UserError("center_code", f"未知中心代码 {center_code!r}")
    if seat_extension is not None:
        seat = directory.seat(seat_extension)
        if seat is None:
            raise UserError("seat_extension", f"未知坐席分机 {seat_extension!r}")
        if center_code is not None and seat.center != center_code:
            raise UserError("seat_extension", f"坐席 {seat_extension} 属于中心 {seat.center}，不是 {center_code}")
        center_code = seat.center
    if len(display_name) > 64 or _CONTROL.search(display_name):
        raise UserError("display_name", "姓名最多 64 个字符，且不能包含控制字符")
    return {"role": r.value, "center_code": center_code, "seat_extension": seat_extension,
            "display_name": display_name.strip()}


async def _count_active_admins(session: AsyncSession, excluding: int) -> int:
    return await session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN.value, User.active, User.id != excluding)) or 0


async def create_user(
    session: AsyncSession, directory: Directory, actor: Actor, *, username: str, password: str, role: str,
    center_code: str | None = None, seat_extension: str | None = None, display_name: str = "",
) -> User:
    """Create a person's account (audited, committed)."""
    check_username(username)
    check_password(password)
    fields = check_profile(directory, role, center_code, seat_extension, display_name)
    if await session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError("username", f"用户名 {username!r} 已存在", status=409)
    user = User(username=username, password_hash=hash_password(password), active=True, **fields)
    session.add(user)
    await session.flush()
    audit(session, actor=actor.name, role=actor.role, action="user.create", target_type="user",
          target_id=user.id, address=actor.address, detail={"username": username, **fields})
    await session.commit()
    return user


async def update_user(
    session: AsyncSession, directory: Directory, actor: Actor, user_id: int, changes: dict[str, Any],
) -> User:
    """Apply `changes` (any of EDITABLE) to a user; refuses to remove the last active admin."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise UserError(sorted(unknown)[0], "不可修改的字段")
    user = await session.get(User, user_id)
    if user is None:
        raise UserError("user_id", f"用户 {user_id} 不存在", status=404)
    merged = {k: changes.get(k, getattr(user, k)) for k in ("role", "center_code", "seat_extension", "display_name")}
    if "center_code" in changes and "seat_extension" not in changes and merged["seat_extension"]:
        merged["seat_extension"] = None  # moving to another center frees the old seat
    fields = check_profile(directory, merged["role"], merged["center_code"], merged["seat_extension"],
                           merged["display_name"] or "")
    active = bool(changes.get("active", user.active))
    if user.role == Role.ADMIN and user.active and (fields["role"] != Role.ADMIN or not active):
        if await _count_active_admins(session, excluding=user.id) == 0:
            raise UserError("role" if active else "active", "不能停用或降级最后一个管理员", status=409)
    diff = {k: v for k, v in {**fields, "active": active}.items() if getattr(user, k) != v}
    for k, v in diff.items():
        setattr(user, k, v)
    if changes.get("password") is not None:
        user.password_hash = hash_password(check_password(changes["password"]))
        diff["password"] = "changed"
    action = "user.deactivate" if diff.get("active") is False else "user.update"
    audit(session, actor=actor.name, role=actor.role, action=action, target_type="user", target_id=user.id,
          address=actor.address, detail={"username": user.username, "changes": diff})
    await session.commit()
    return user


async def unlock_user(session: AsyncSession, actor: Actor, username: str) -> int:
    """Forget the failed logins of `username` from every address (lifts a lock-out); audited."""
    from sqlalchemy import delete

    from hotline.models import LoginAttempt

    result = await session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
    audit(session, actor=actor.name, role=actor.role, action="user.unlock", target_type="user",
          target_id=username, address=actor.address, detail={"cleared_attempts": result.rowcount})
    await session.commit()
    return result.rowcount


async def list_users(session: AsyncSession) -> list[User]:
    """Every account, ordered by username."""
    return list(await session.scalars(select(User).order_by(User.username)))


async def create_api_key(session: AsyncSession, actor: Actor, *, name: str,
                         role: str = Role.INTEGRATION.value) -> tuple[ApiKey, str]:
    """Create a key for an integration client; returns the row and the key (shown once)."""
    if not KEY_NAME.fullmatch(name):
        raise UserError("name", f"密钥名称须为 2–64 位字母、数字或 _.- (got {name!r})")
    try:
        r = Role(role)
    except ValueError:
        raise UserError("role", f"未知角色 {role!r}") from None
    if await session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise UserError("name", f"密钥名称 {name!r} 已存在", status=409)
    key = new_api_key()
    row = ApiKey(name=name, key_hash=hash_api_key(key), role=r.value, active=True)
    session.add(row)
    await session.flush()
    audit(session, actor=actor.name, role=actor.role, action="apikey.create", target_type="api_key",
          target_id=row.id, address=actor.address, detail={"name": name, "role": r.value})
    await session.commit()
    return row, key


async def revoke_api_key(session: AsyncSession, actor: Actor, key_id: int) -> ApiKey:
    """Deactivate a key at once (audited)."""
    row = await session.get(ApiKey, key_id)
    if row is None:
        raise UserError("key_id", f"密钥 {key_id} 不存在", status=404)
    row.active = False
    audit(session, actor=actor.name, role=actor.role, action="apikey.revoke", target_type="api_key",
          target_id=row.id, address=actor.address, detail={"name": row.name})
    await session.commit()
    return row


async def list_api_keys(session: AsyncSession) -> list[ApiKey]:
    """Every key (hashes only), ordered by name."""
    return list(await session.scalars(select(ApiKey).order_by(ApiKey.name)))
