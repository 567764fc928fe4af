"""Password login with rate limiting by username + address (counted in the database, so every
process shares the count) and an audit row for every outcome."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import audit
from hotline.auth import burn_password_check, hash_password, password_needs_rehash, verify_password
from hotline.models import LoginAttempt, User
from hotline.settings import Settings

FIELD_MAX = 64


@dataclass(frozen=True)
class Lockout:
    """Whether a username+address may try again, and when."""

    locked: bool
    failures: int
    retry_after: int = 0


@dataclass(frozen=True)
class LoginOutcome:
    """Result of a login: ``ok`` (with the user), ``denied`` or ``locked`` (with retry_after)."""

    status: str
    user: User | None = None
    retry_after: int = 0
    failures: int = 0


def lockout(failures: Sequence[datetime], now: datetime, max_failures: int, window_seconds: int) -> Lockout:
    """Decide from the failure times: locked while `max_failures` fall inside the window."""
    window = timedelta(seconds=window_seconds)
    recent = sorted(t for t in failures if t > now - window)
    if len(recent) < max_failures:
        return Lockout(False, len(recent))
    # Unlocked once enough of the counted failures have aged out of the window.
    release = recent[len(recent) - max_failures] + window
    return Lockout(True, len(recent), max(1, math.ceil((release - now).total_seconds())))


def _clip(value: str) -> str:
    return value[:FIELD_MAX]


async def _recent_failures(session: AsyncSession, username: str, address: str, since: datetime) -> list[datetime]:
    rows = await session.scalars(select(LoginAttempt.at).where(
        LoginAttempt.username == username, LoginAttempt.address == address, LoginAttempt.at > since))
    return list(rows)


async def login(
    session: AsyncSession, settings: Settings, *, username: str, password: str, address: str, now: datetime,
) -> LoginOutcome:
    """Check a password login, record the outcome (attempts + audit) and commit."""
    name, address = _clip(username.strip()), _clip(address)
    window = settings.login_window_seconds
    since = now - timedelta(seconds=window)
    state = lockout(await _recent_failures(session, name, address, since), now, settings.login_max_failures, window)
    if state.locked:
        audit(session, actor=name, action="auth.login", outcome="locked", address=address,
              detail={"failures": state.failures, "retry_after": state.retry_after})
        await session.commit()
        return LoginOutcome("locked", retry_after=state.retry_after, failures=state.failures)
    user = await session.scalar(select(User).where(User.username == name))
    if user is None:
        burn_password_check(password)
        reason = "unknown_user"
    elif not verify_password(user.password_hash, password):
        reason = "bad_password"
    elif not user.active:
        reason = "inactive"
    else:
        return await _succeed(session, user, password, address, now)
    await session.execute(delete(LoginAttempt).where(LoginAttempt.at <= since))
    session.add(LoginAttempt(at=now, username=name, address=address, note=reason))
    failures = state.failures + 1
    audit(session, actor=name, action="auth.login", outcome="denied", address=address,
          target_type="user", target_id=user.id if user else "", detail={"reason": reason, "failures": failures})
    await session.commit()
    return LoginOutcome("denied", failures=failures)


async def _succeed(session: AsyncSession, user: User, password: str, address: str, now: datetime) -> LoginOutcome:
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)  # parameters were raised since it was set
    await session.execute(delete(LoginAttempt).where(
        LoginAttempt.username == user.username, LoginAttempt.address == address))
    audit(session, actor=user.username, role=user.role, action="auth.login", address=address,
          target_type="user", target_id=user.id)
    await session.commit()
    return LoginOutcome("ok", user=user)
