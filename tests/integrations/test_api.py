"""HTTP API: tickets with RBAC, audited bad input, signed webhooks (bad signature, replay, stale), 12345."""
from __future__ import annotations

import json
import time

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from hotline.app import create_app
from hotline.auth import hash_api_key, issue_token
from hotline.models import ApiKey, AuditLog, User
from integrations.component import IntegrationsComponent
from integrations.models import OutboxMessage
from integrations.signing import signed_headers
from routing.testing import FakeAmi

PEOPLE = {
    "seat1001": ("seat", "410100", "1001"), "seat1002": ("seat", "410100", "1002"),
    "sup410100": ("supervisor", "410100", None), "sup410300": ("supervisor", "410300", None),
    "admin": ("admin", None, None), "auditor": ("auditor", None, None),
}
KEYS = {"platform": "hk_platform_test_key", "gov12345": "hk_gov12345_test_key"}


@pytest_asyncio.fixture
async def api(kernel):
    """callers["seat1001"] etc.: httpx clients against the app with the integrations component."""
    async with kernel.sessions() as s:
        for name, (role, center, ext) in PEOPLE.items():
            s.add(User(username=name, password_hash="x", role=role, center_code=center, seat_extension=ext))
        for name, key in KEYS.items():
            s.add(ApiKey(name=name, key_hash=hash_api_key(key), role="integration"))
        await s.commit()
        users = {u.username: u for u in (await s.scalars(select(User))).all()}
    kernel.services["ami"] = FakeAmi()
    app = create_app(kernel=kernel, components=[IntegrationsComponent()])
    secret = kernel.settings.secret_key.get_secret_value()
    async with app.router.lifespan_context(app):
        clients = {}
        for name, user in users.items():
            clients[name] = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t",
                                              headers={"Authorization": "Bearer " + issue_token(user, secret, 60)})
        for name, key in KEYS.items():
            clients[name] = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t",
                                              headers={"X-API-Key": key})
        yield clients
        for c in clients.values():
            await c.aclose()


NEW = {"category_id": "consult.labor", "summary": "公司拖欠工资", "caller_number": "13800138000", "caller_name": "张三"}


async def _audits(kernel, action):
    async with kernel.sessions() as s:
        return (await s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))).all()


async def test_a_seat_creates_and_closes_a_ticket_and_sees_its_history(api):
    r = await api["seat1001"].post("/api/tickets", json=NEW)
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    assert r.json()["status_label"] == "已受理" and r.json()["category_name"] == "劳动争议"
    r = await api["seat1001"].post(f"/api/tickets/{number}/status", json={"status": "closed", "reply": "已答复"})
    assert r.status_code == 200 and r.json()["status_label"] == "已办结"
    detail = (await api["seat1001"].get(f"/api/tickets/{number}")).json()
    assert [h["action"] for h in detail["history"]] == ["created", "status"]


async def test_invalid_ticket_payloads_get_field_errors_and_are_audited(api, kernel):
    r = await api["seat1001"].post("/api/tickets", json={"category_id": "consult.labor", "summary": "x\r\ny",
                                                         "caller_number": "abc"})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["detail"]["errors"]}
    assert fields == {"summary", "caller_number"}
    r = await api["seat1001"].post("/api/tickets", json=NEW | {"category_id": "consult.astrology"})
    assert r.status_code == 422 and "unknown category" in r.json()["detail"]["message"]
    r = await api["seat1001"].post("/api/tickets", content=b"not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    rows = await _audits(kernel, "ticket.create")
    assert [a.outcome for a in rows] == ["rejected", "rejected"] and rows[0].actor == "seat1001"


async def test_seats_see_their_own_supervisors_their_center_auditors_read_only(api):
    number = (await api["seat1001"].post("/api/tickets", json=NEW)).json()["number"]
    assert (await api["seat1002"].get(f"/api/tickets/{number}")).status_code == 404
    assert (await api["seat1002"].get("/api/tickets")).json() == []
    assert (await api["sup410100"].get(f"/api/tickets/{number}")).status_code == 200
    assert (await api["sup410300"].get(f"/api/tickets/{number}")).status_code == 404
    assert len((await api["auditor"].get("/api/tickets")).json()) == 1
    r = await api["auditor"].post(f"/api/tickets/{number}/status", json={"status": "processing"})
    assert r.status_code == 403
    assert (await api["platform"].get("/api/tickets")).status_code == 403


def _signed(key_id: str, secret: str, payload: dict, ts: int | None = None) -> tuple[bytes, dict]:
    body = json.dumps(payload).encode()
    return body, {"Content-Type": "application/json", **signed_headers(key_id, secret, body, ts or int(time.time()))}


async def test_platform_status_callback_is_applied_once_and_replays_and_bad_signatures_are_refused(api, kernel):
    number = (await api["seat1001"].post("/api/tickets", json=NEW)).json()["number"]
    key_id, secret = kernel.settings.platform_key_id, kernel.settings.platform_secret.get_secret_value()
    body, headers = _signed(key_id, secret, {"number": number, "status": "processing", "event_id": "e1"})
    r = await api["platform"].post("/api/integrations/webhooks/status", content=body, headers=headers)
    assert r.status_code == 200 and r.json() == {"number": number, "status": "processing", "changed": True}

    r = await api["platform"].post("/api/integrations/webhooks/status", content=body, headers=headers)
    assert r.status_code == 409 and r.json()["detail"]["reason"] == "replayed"
    bad = dict(headers, **{"X-Hotline-Signature": "v1=" + "0" * 64})
    r = await api["platform"].post("/api/integrations/webhooks/status", content=body, headers=bad)
    assert r.status_code == 401 and r.json()["detail"]["reason"] == "bad_signature"
    body2, old = _signed(key_id, secret, {"number": number, "status": "closed", "event_id": "e2"},
                         ts=int(time.time()) - 3600)
    r = await api["platform"].post("/api/integrations/webhooks/status", content=body2, headers=old)
    assert r.status_code == 401 and r.json()["detail"]["reason"] == "stale"
    r = await api["seat1001"].post("/api/integrations/webhooks/status", content=body2, headers=old)
    assert r.status_code == 403  # people cannot post platform callbacks at all
    rows = await _audits(kernel, "webhook.status")
    assert [(a.outcome, a.detail.get("reason")) for a in rows] == [
        ("ok", None), ("rejected", "replayed"), ("rejected", "bad_signature"), ("rejected", "stale")]
    ticket = (await api["seat1001"].get(f"/api/tickets/{number}")).json()
    assert ticket["status"] == "processing" and ticket["history"][-1]["actor"] == "platform"


async def test_a_12345_handoff_opens_one_ticket_shown_at_screen_pop_and_claimed_by_the_seat(api, kernel):
    secret = kernel.settings.gov12345_secret.get_secret_value()
    payload = {"external_ref": "GOV2026112800042", "summary": "咨询劳动仲裁", "caller_number": "13900139000",
               "prefecture_code": "410100"}
    body, headers = _signed("gov12345", secret, payload)
    r = await api["gov12345"].post("/api/integrations/gov12345/handoffs", content=body, headers=headers)
    assert r.status_code == 201 and r.json()["created"] and r.json()["source"] == "gov12345"
    number = r.json()["number"]
    # 12345 retries a second later (an identical request in the same second would be a replay): same ticket.
    body, headers = _signed("gov12345", secret, payload, ts=int(time.time()) + 1)
    r = await api["gov12345"].post("/api/integrations/gov12345/handoffs", content=body, headers=headers)
    assert r.status_code == 201 and not r.json()["created"] and r.json()["number"] == number
    pop = (await api["seat1001"].get("/api/integrations/screen-pop/GOV2026112800042")).json()
    assert pop["number"] == number and pop["owner"] == ""
    assert (await api["seat1001"].post(f"/api/tickets/{number}/claim")).status_code == 200
    assert (await api["seat1002"].post(f"/api/tickets/{number}/claim")).status_code == 422
    async with kernel.sessions() as s:
        dests = (await s.scalars(select(OutboxMessage.destination).order_by(OutboxMessage.id))).all()
    assert dests == ["platform", "gov12345", "platform", "gov12345"]  # status synced back to 12345 too


async def test_handoff_to_12345_during_a_call_blind_transfers_the_caller(api, kernel):
    number = (await api["seat1001"].post("/api/tickets", json=NEW)).json()["number"]
    r = await api["seat1001"].post(f"/api/tickets/{number}/handoff",
                                   json={"unit": "gov12345", "channel": "PJSIP/caller-00000001"})
    assert r.status_code == 200 and r.json()["transferred"] == {"ok": True}
    [sent] = kernel.services["ami"].actions("BlindTransfer")
    assert (sent["Channel"], sent["Context"], sent["Exten"]) == ("PJSIP/caller-00000001", "handoff-12345", "12345")


@pytest.mark.parametrize("channel", ["PJSIP/x\r\nAction: Hangup", "a" * 81, "PJSIP/x y"])
async def test_a_bad_transfer_channel_is_refused_before_anything_changes(api, kernel, channel):
    number = (await api["seat1001"].post("/api/tickets", json=NEW)).json()["number"]
    r = await api["seat1001"].post(f"/api/tickets/{number}/handoff", json={"unit": "gov12345", "channel": channel})
    assert r.status_code == 422 and r.json()["detail"]["errors"][0]["field"] == "channel"
    assert not kernel.services["ami"].actions("BlindTransfer")
    assert (await api["seat1001"].get(f"/api/tickets/{number}")).json()["status"] == "accepted"


async def test_a_transfer_the_pbx_refuses_is_reported_and_audited(api, kernel):
    from routing.results import AmiError

    kernel.services["ami"].script("BlindTransfer", AmiError("No such channel", {"Response": "Error"}))
    number = (await api["seat1001"].post("/api/tickets", json=NEW)).json()["number"]
    r = await api["seat1001"].post(f"/api/tickets/{number}/handoff",
                                   json={"unit": "gov12345", "channel": "PJSIP/caller-00000009"})
    assert r.json()["transferred"] == {"ok": False, "error": "No such channel"}
    [row] = await _audits(kernel, "call.transfer_12345")
    assert row.outcome == "failed" and row.target_id == number


async def test_admin_resends_a_dead_letter_and_others_may_not(api, kernel):
    await api["seat1001"].post("/api/tickets", json=NEW)
    async with kernel.sessions() as s:
        row = await s.scalar(select(OutboxMessage))
        row.state = "dead"
        await s.commit()
    assert len((await api["auditor"].get("/api/integrations/outbox/dead")).json()) == 1
    assert (await api["sup410100"].post(f"/api/integrations/outbox/{row.id}/resend")).status_code == 403
    r = await api["admin"].post(f"/api/integrations/outbox/{row.id}/resend")
    assert r.status_code == 200 and r.json() == {"requeued": [row.id]}
    assert (await api["admin"].post(f"/api/integrations/outbox/{row.id}/resend")).status_code == 404
    assert [a.actor for a in await _audits(kernel, "outbox.resend")] == ["admin"]


async def test_callbacks_api_asks_once_per_number_refuses_bad_numbers_and_records_the_result(api, kernel):
    number = (await api["seat1001"].post("/api/tickets", json=NEW)).json()["number"]
    await api["seat1001"].post(f"/api/tickets/{number}/status", json={"status": "closed", "reply": "已答复"})
    # Closing opened the routine 回访; asking again for 不满意 folds into it (one task per number).
    r = await api["seat1001"].post("/api/callbacks", json={"ticket": number, "reason": "unsatisfied"})
    assert r.status_code == 201 and not r.json()["created"] and r.json()["reason"] == "unsatisfied"
    task_id = r.json()["id"]
    r = await api["seat1001"].post("/api/callbacks", json={"ticket": number, "number": "110\r\n"})
    assert r.status_code == 422 and "malformed callback number" in r.json()["detail"]["message"]
    assert [a.outcome for a in await _audits(kernel, "callback.request")] == ["rejected"]
    assert (await api["seat1002"].post("/api/callbacks", json={"ticket": number})).status_code == 404
    r = await api["sup410100"].post(f"/api/callbacks/{task_id}/result", json={"satisfaction": 5, "note": "满意"})
    assert r.status_code == 200 and r.json()["satisfaction"] == 5
    ticket = (await api["seat1001"].get(f"/api/tickets/{number}")).json()
    assert (ticket["status"], ticket["satisfaction"]) == ("revisited", 5)
    assert len((await api["auditor"].get("/api/callbacks")).json()) == 1
    assert (await api["auditor"].post(f"/api/callbacks/{task_id}/result", json={})).status_code == 403


async def test_every_refusal_has_the_published_422_shape(api):
    """Rule refusals, invalid bodies and FastAPI's own parameter errors all fit the 422 the schema declares."""
    from integrations.schemas import RefusedResponse

    spec = (await api["seat1001"].get("/openapi.json")).json()
    for path, method in (("/api/tickets", "post"), ("/api/tickets", "get"), ("/api/tickets/{key}/claim", "post"),
                         ("/api/callbacks", "post")):
        ref = spec["paths"][path][method]["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/RefusedResponse"), (path, method)
    refusals = [await api["seat1001"].post("/api/tickets", json={"summary": "x\r\ny"}),
                await api["seat1001"].post("/api/tickets", json=NEW | {"category_id": "consult.astrology"}),
                await api["seat1001"].get("/api/tickets", params={"limit": 0})]
    for r in refusals:
        assert r.status_code == 422, r.text
        RefusedResponse.model_validate(r.json())
    assert isinstance(refusals[2].json()["detail"], list) and "message" in refusals[1].json()["detail"]
