"""Reference receiver: signatures, de-duplication, order per ticket, document validation, faults."""
from __future__ import annotations

import json
import time

import httpx

from integrations.receiver import Faults, ReceiverState, create_receiver
from integrations.signing import signed_headers

DOC = {"schema_version": "1.0", "number": "GD20261124000001", "seq": 1, "source": "manual", "status": "accepted",
       "status_label": "已受理", "category": {"id": "consult.labor", "name": "劳动争议"}, "skill": "consult",
       "center_code": "410100", "prefecture_code": None, "caller": {"number": "", "name": ""}, "linkedid": None,
       "summary": "欠薪", "detail": "", "reply": "", "green": False, "handoff": None, "satisfaction": None,
       "created_at": "2026-11-24T02:00:00Z", "updated_at": "2026-11-24T02:00:00Z",
       "due_at": "2026-11-27T16:00:00Z", "closed_at": None,
       "event": {"type": "created", "at": "2026-11-24T02:00:00Z", "actor": "seat1001"}}


def _item(seq, prev):
    return {"idempotency_key": f"GD20261124000001:{seq}:platform", "seq": seq, "prev_seq": prev,
            "document": DOC | {"seq": seq}}


async def _post(client, items, secret="s", ts=None):
    body = json.dumps({"events": items}).encode()
    return await client.post("/tickets/events", content=body,
                             headers=signed_headers("k", secret, body, ts or int(time.time())))


async def test_receiver_applies_in_order_rejects_gaps_and_counts_duplicates_once():
    state = ReceiverState(secrets={"platform": {"k": "s"}, "gov12345": {"k": "t"}})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_receiver(state)), base_url="http://r") as c:
        r = await _post(c, [_item(2, 1)])
        assert r.json()["results"][0]["status"] == "out_of_order"
        r = await _post(c, [_item(1, None), _item(2, 1), _item(1, None)])
        assert [x["status"] for x in r.json()["results"]] == ["accepted", "accepted", "duplicate"]
        bad = _item(3, 2)
        bad["document"] = bad["document"] | {"status": "lost"}
        assert (await _post(c, [bad])).json()["results"][0]["status"] == "invalid"
        assert (await _post(c, [_item(3, 2)], secret="wrong")).status_code == 401
        assert (await _post(c, [_item(3, 2)], ts=int(time.time()) - 3600)).status_code == 401
        assert (await c.post("/tickets/events", content=b"[]")).status_code == 401
        summary = (await c.get("/_received")).json()
    assert summary["count"] == 2 and summary["duplicates"] == 1 and summary["out_of_order"] == 1
    assert summary["invalid"] == 1 and summary["rejected_signatures"] == 3
    assert summary["tickets"] == {"platform:GD20261124000001": [1, 2]}


async def test_receiver_can_be_told_to_fail_or_go_away():
    state = ReceiverState(secrets={"platform": {"k": "s"}})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_receiver(state)), base_url="http://r") as c:
        await c.post("/_control", json=Faults(outage=True).model_dump())
        assert (await _post(c, [_item(1, None)])).status_code == 503
        await c.post("/_control", json=Faults(error_rate=1.0).model_dump())
        assert (await _post(c, [_item(1, None)])).status_code == 503
        await c.post("/_control", json=Faults().model_dump())
        assert (await _post(c, [_item(1, None)])).status_code == 200
        assert (await c.post("/_control", json={"error_rate": 2})).status_code == 422
    assert state.summary()["count"] == 1 and state.injected_errors == 1
