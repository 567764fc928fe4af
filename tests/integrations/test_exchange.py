"""The ticket exchange format: committed JSON Schema matches the model, documents validate against it."""
from __future__ import annotations

import json

import jsonschema_rs
from sqlalchemy import select

from integrations.exchange import SCHEMA_PATH, exchange_schema
from integrations.models import OutboxMessage
from integrations.schemas import HandoffRequest, StatusChange, TicketCreate
from integrations.tickets import change_status, create_ticket, handoff


def test_committed_schema_is_the_one_generated_from_the_model():
    assert json.loads(SCHEMA_PATH.read_text(encoding="utf-8")) == exchange_schema()


def test_every_field_of_the_exchange_format_is_documented():
    schema = exchange_schema()
    models = [schema, *schema["$defs"].values()]
    undocumented = [(m["title"], name) for m in models for name, prop in m["properties"].items()
                    if "description" not in prop and "$ref" not in prop and name not in ("schema_version",)]
    assert undocumented == []


async def test_documents_sent_to_the_platform_validate_against_the_committed_schema(kernel, ctx, seat):
    async with kernel.sessions() as s:
        t = await create_ticket(s, TicketCreate(category_id="aid.wage", summary="农民工讨薪", caller_number="13800138000",
                                                linkedid="1795901580.0", green=True), seat, ctx)
        await handoff(s, t, HandoffRequest(unit="legal_aid"), seat, ctx)
        await change_status(s, t, StatusChange(status="closed", reply="已转法律援助中心受理"), seat, ctx)
        await s.commit()
        docs = (await s.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.id))).all()
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    for doc in docs:
        validator.validate(doc)
    assert [d["event"]["type"] for d in docs] == ["created", "handoff", "status"]
    assert docs[1]["handoff"]["label"] == "转法律援助" and docs[2]["status_label"] == "已办结"
    bad = dict(docs[0], status="lost")
    assert not validator.is_valid(bad)
