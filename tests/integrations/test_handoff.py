"""Pre-filling a ticket from a call (screen pop payload or stored call record) and hand-off screen pop."""
from __future__ import annotations

from datetime import datetime, timezone

from integrations.handoff import prefill_from_call, screen_pop
from integrations.schemas import TicketCreate
from integrations.tickets import create_ticket
from routing.models import CallRecord

AT = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)


async def test_prefill_comes_from_the_stored_call_record(kernel):
    async with kernel.sessions() as s:
        s.add(CallRecord(linkedid="1795901580.0", node="node1", direction="inbound", caller_number="13800138000",
                         caller_name="张三", prefecture_code="410100", skill="consult", category="consult.labor",
                         green=True, ivr_path=["1", "2"], handoff_ticket="GOV2026112800042", offered_at=AT,
                         ended_at=AT, outcome="answered"))
        await s.commit()
        data = await prefill_from_call(s, "1795901580.0")
    assert data == {"linkedid": "1795901580.0", "caller_number": "13800138000", "caller_name": "张三",
                    "prefecture_code": "410100", "category_id": "consult.labor", "green": True, "ivr_path": "1-2",
                    "external_ref": "GOV2026112800042"}
    TicketCreate(**data, summary="欠薪咨询")  # what the console posts back validates


async def test_prefill_from_the_ringing_payload_and_an_unknown_call(kernel):
    payload = {"caller_number": "03716345678", "caller_name": "", "prefecture_code": "410100",
               "category": "aid.wage", "green": False, "ivr_path": ["2"], "handoff_ticket": None}
    async with kernel.sessions() as s:
        assert (await prefill_from_call(s, "1.5", payload))["category_id"] == "aid.wage"
        unknown = await prefill_from_call(s, "9.9")
    assert unknown["caller_number"] == "" and unknown["category_id"] == ""


async def test_screen_pop_finds_a_handoff_by_our_number_or_theirs(kernel, ctx, seat):
    async with kernel.sessions() as s:
        t = await create_ticket(s, TicketCreate(category_id="consult.other", summary="12345转来",
                                                external_ref="GOV1"), seat, ctx)
        await s.commit()
        assert (await screen_pop(s, {"handoff_ticket": "GOV1"}))["number"] == t.number
        assert (await screen_pop(s, {"handoff_ticket": t.number}))["id"] == t.id
        assert await screen_pop(s, {"handoff_ticket": "GOV2"}) == {"handoff_ticket": "GOV2", "found": False}
        assert await screen_pop(s, {"handoff_ticket": None}) is None
