"""Build the ticket exchange document (the data standard) and write it to the outbox."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.directory import Directory
from integrations.models import OutboxMessage, Ticket
from integrations.policy import HANDOFF_UNITS, STATUS_LABELS
from integrations.schemas import TicketExchange

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "ticket-exchange.schema.json"
DESTINATIONS = ("platform", "gov12345")


def exchange_schema() -> dict:
    """The JSON Schema of the exchange format, generated from `TicketExchange`."""
    schema = TicketExchange.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def write_schema(path: Path = SCHEMA_PATH) -> Path:
    """Regenerate the committed schema file (hotline12348 integrations schema)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(exchange_schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def exchange_document(ticket: Ticket, directory: Directory, event_type: str, actor: str, at: datetime) -> dict:
    """The exchange document of `ticket` at its current version, validated against the model."""
    category = directory.category(ticket.category_id)
    handoff = None
    if ticket.handoff_unit:
        handoff = {"unit": ticket.handoff_unit, "label": HANDOFF_UNITS[ticket.handoff_unit],
                   "external_ref": ticket.external_ref}
    doc = TicketExchange(
        number=ticket.number, seq=ticket.version, source=ticket.source, status=ticket.status,
        status_label=STATUS_LABELS[ticket.status],
        category={"id": ticket.category_id, "name": category.name if category else ticket.category_id},
        skill=ticket.skill, center_code=ticket.center_code, prefecture_code=ticket.prefecture_code,
        caller={"number": ticket.caller_number, "name": ticket.caller_name}, linkedid=ticket.linkedid,
        summary=ticket.summary, detail=ticket.detail, reply=ticket.reply, green=ticket.green,
        handoff=handoff, satisfaction=ticket.satisfaction, created_at=ticket.created_at,
        updated_at=ticket.updated_at, due_at=ticket.due_at, closed_at=ticket.closed_at,
        event={"type": event_type, "at": at, "actor": actor},
    )
    return doc.model_dump(mode="json")


def destinations_for(ticket: Ticket) -> list[str]:
    """Every ticket goes to the 12348 platform; tickets shared with 12345 also go there."""
    out = ["platform"]
    if ticket.handoff_unit == "gov12345" or ticket.source == "gov12345":
        out.append("gov12345")
    return out


async def enqueue(session: AsyncSession, ticket: Ticket, document: dict, event_type: str,
                  now: datetime) -> list[OutboxMessage]:
    """Add one outbox row per destination to `session` (same transaction as the ticket change).

    `prev_seq` chains the rows of one ticket and destination, so the receiver can tell a gap from
    a first message (12345 first hears of a ticket at the hand-off, not at seq 1).
    """
    rows = []
    for dest in destinations_for(ticket):
        if dest == "platform":  # every version goes to the platform
            prev = ticket.version - 1 or None
        else:
            prev = await session.scalar(select(func.max(OutboxMessage.seq)).where(
                OutboxMessage.ticket_id == ticket.id, OutboxMessage.destination == dest))
        row = OutboxMessage(
            destination=dest, ticket_id=ticket.id, seq=ticket.version, prev_seq=prev,
            idempotency_key=f"{ticket.number}:{ticket.version}:{dest}", event_type=event_type,
            payload=document, state="pending", attempts=0, created_at=now, next_attempt_at=now,
        )
        session.add(row)
        rows.append(row)
    return rows
