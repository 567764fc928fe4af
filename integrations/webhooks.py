"""Signed inbound requests (platform status callbacks, 12345 hand-offs): verify, refuse replays, audit."""
from __future__ import annotations

import time
from datetime import timedelta

from fastapi import HTTPException, Request
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import audit
from hotline.auth import Principal
from hotline.db import utcnow
from integrations.models import WebhookReceipt
from integrations.signing import SignatureError, verify

GOV12345_KEY_ID = "gov12345"


def inbound_secrets(settings) -> dict[str, str]:
    """Key id → secret of the parties allowed to call our webhooks."""
    return {settings.platform_key_id: settings.platform_secret.get_secret_value(),
            GOV12345_KEY_ID: settings.gov12345_secret.get_secret_value()}


async def reject(session: AsyncSession, principal: Principal | None, request: Request, action: str,
                 status: int, reason: str, message: str, detail: dict | None = None) -> HTTPException:
    """Audit a refused inbound request (committed now) and build the HTTP error for it."""
    audit(session, actor=principal.username if principal else "anonymous",
          role=str(principal.role) if principal else "", action=action, target_type="webhook",
          outcome="rejected", address=request.client.host if request.client else "",
          detail={"reason": reason, "message": message, **(detail or {})})
    await session.commit()
    return HTTPException(status, {"reason": reason, "message": message})


async def verified_body(request: Request, session: AsyncSession, principal: Principal, settings,
                        action: str) -> tuple[str, bytes]:
    """The raw body of a correctly signed, fresh, never-seen request; (key id, body). Audited otherwise."""
    body = await request.body()
    tolerance = settings.webhook_tolerance_seconds
    try:
        key_id, signature = verify(request.headers, body, inbound_secrets(settings), time.time(), tolerance)
    except SignatureError as exc:
        raise await reject(session, principal, request, action, 401, exc.reason, str(exc)) from None
    now = utcnow()
    # Receipts older than the replay window can go: a request that old is refused as stale anyway.
    await session.execute(delete(WebhookReceipt).where(WebhookReceipt.at < now - timedelta(seconds=2 * tolerance)))
    session.add(WebhookReceipt(signature=signature, key_id=key_id, at=now))
    try:
        await session.commit()  # the unique signature decides, also between concurrent requests
    except IntegrityError:
        await session.rollback()
        raise await reject(session, principal, request, action, 409, "replayed",
                           "重复请求 (this signed request was already received)") from None
    return key_id, body
