"""Tables of the integrations package: tickets and their history, outbox, callbacks, webhook receipts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UTCDateTime, utcnow


class Ticket(Base):
    """A 工单: one citizen request, from 受理 to 回访."""

    __tablename__ = "tickets"
    # (…, id): the ticket list is newest first within what a seat (owner) or a supervisor (center) sees
    __table_args__ = (Index("ix_tickets_owner_status", "owner_username", "status"),
                      Index("ix_tickets_owner_id", "owner_username", "id"),
                      Index("ix_tickets_center_id", "center_code", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(24), unique=True, nullable=True)
    source: Mapped[str] = mapped_column(String(16), default="manual")
    linkedid: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    caller_number: Mapped[str] = mapped_column(String(32), default="")
    caller_name: Mapped[str] = mapped_column(String(64), default="")
    prefecture_code: Mapped[str | None] = mapped_column(String(6), nullable=True)
    center_code: Mapped[str] = mapped_column(String(6))
    category_id: Mapped[str] = mapped_column(String(40))
    skill: Mapped[str] = mapped_column(String(40))
    ivr_path: Mapped[str] = mapped_column(String(64), default="")
    green: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")
    reply: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="accepted", index=True)
    handoff_unit: Mapped[str | None] = mapped_column(String(24), nullable=True)
    external_ref: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    owner_username: Mapped[str] = mapped_column(String(64), default="")
    owner_seat: Mapped[str | None] = mapped_column(String(8), nullable=True)
    satisfaction: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unsatisfied: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    overdue_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class TicketEvent(Base):
    """One change of a ticket: who, when, what (field → [old, new])."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")


class OutboxMessage(Base):
    """A ticket change waiting to reach a destination (12348 platform or 12345), in order per ticket."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    destination: Mapped[str] = mapped_column(String(16))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    prev_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    event_type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")


class CallbackTask(Base):
    """A 回访 (or queue callback) to place: whom, why, how, and every attempt's outcome."""

    __tablename__ = "callback_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True, index=True)
    linkedid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    number: Mapped[str] = mapped_column(String(20))
    # Equals `number` while the task is open, NULL after: one open callback per number, on every backend.
    active_number: Mapped[str | None] = mapped_column(String(20), nullable=True, unique=True)
    reason: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(8), default="seat")
    queue: Mapped[str | None] = mapped_column(String(40), nullable=True)
    position_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seat_extension: Mapped[str | None] = mapped_column(String(8), nullable=True)
    state: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action_id: Mapped[str | None] = mapped_column(String(40), nullable=True, unique=True)
    call_uniqueid: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="")
    history: Mapped[list] = mapped_column(JSON, default=list)
    satisfaction: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookReceipt(Base):
    """A signature already accepted: a second request with it is a replay."""

    __tablename__ = "webhook_receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signature: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
