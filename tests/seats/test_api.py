"""Seat API: double login, bad transfers, incomplete tickets, RBAC — clear errors, nothing corrupted."""
from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from seats.models import SeatEvent, SeatSession
from tests.http_checks import field_error

A, B = "console-aaaa1111", "console-bbbb2222"
# HTTP behaviour that stores nothing backend-specific runs on SQLite only (the CI budget is shared)
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def _on_call(kernel, ext="1001", linkedid="L1"):
    """Put the seat on a call as the routing engine would (ring → connected)."""
    from tests.seats.test_service import wait_for

    kernel.bus.publish("call.ringing", {"linkedid": linkedid, "seat_extension": ext, "caller_number": "13800138000",
                                        "seat_channel": f"PJSIP/seat{ext}-01", "prefecture_code": "410100",
                                        "queue": "q-410100-consult", "skill": "consult", "ivr_path": "1-2"})
    kernel.bus.publish("call.connected", {"linkedid": linkedid, "seat_extension": ext, "caller_channel": "PJSIP/caller-01",
                                          "seat_channel": f"PJSIP/seat{ext}-01"})

    async def up():
        async with kernel.sessions() as s:
            row = await s.get(SeatSession, ext)
            return row is not None and row.status == "on_call"
    await wait_for(up)


async def test_second_browser_is_refused_then_may_take_over_explicitly(client_for, kernel):
    li = client_for("li")
    assert (await li.post("/api/seats/me/login", json={"console_id": A})).status_code == 200
    r = await li.post("/api/seats/me/login", json={"console_id": B})
    assert r.status_code == 409 and "另一处签入" in r.json()["detail"]
    # the first console still holds the seat and can work
    assert (await li.post("/api/seats/me/ready", json={"console_id": A})).json()["status"] == "available"
    # the second takes over explicitly; the first is refused from then on, the state is kept
    r = await li.post("/api/seats/me/login", json={"console_id": B, "takeover": True})
    assert r.status_code == 200 and r.json()["status"] == "available"
    r = await li.post("/api/seats/me/pause", json={"console_id": A, "reason": "break"})
    assert r.status_code == 409 and "接管" in r.json()["detail"]
    async with kernel.sessions() as s:
        row = await s.get(SeatSession, "1001")
        assert (row.console_id, row.status) == (B, "available")


@SQLITE_ONLY
async def test_login_twice_from_the_same_console_is_harmless(client_for, ami):
    li = client_for("li")
    await li.post("/api/seats/me/login", json={"console_id": A})
    r = await li.post("/api/seats/me/login", json={"console_id": A})
    assert r.status_code == 200 and len(ami.actions("QueueAdd")) == 2


@SQLITE_ONLY
async def test_commands_before_login_and_unknown_reasons_are_clear_errors(client_for):
    li = client_for("li")
    r = await li.post("/api/seats/me/ready", json={"console_id": A})
    assert r.status_code == 409 and "请先签入" in r.json()["detail"]
    await li.post("/api/seats/me/login", json={"console_id": A})
    r = await li.post("/api/seats/me/pause", json={"console_id": A, "reason": "lunch\r\nAction: Hangup"})
    assert "未知小休原因" in field_error(r, "body", "reason")
    r = await li.post("/api/seats/me/ready", json={"console_id": "x\r\n"})
    assert r.status_code == 422


@SQLITE_ONLY
async def test_transfer_to_missing_targets_is_refused_without_touching_the_call(client_for, kernel, ami):
    li = client_for("li")
    await li.post("/api/seats/me/login", json={"console_id": A})
    await li.post("/api/seats/me/ready", json={"console_id": A})
    r = await li.post("/api/seats/me/call/transfer", json={"console_id": A, "kind": "seat", "target": "1002"})
    assert r.status_code == 409 and "没有通话" in r.json()["detail"]
    await _on_call(kernel)
    sent = len(ami.sent)
    cases = [({"kind": "seat", "target": "9999"}, 404, "目标坐席不存在"),
             ({"kind": "seat", "target": "1001"}, 422, "不能转接给自己"),
             ({"kind": "seat", "target": "1002"}, 409, "未签入"),
             ({"kind": "queue", "target": "q-999999-none"}, 404, "目标队列不存在"),
             ({"kind": "queue", "target": "q-410100-x\r\nAction: Hangup"}, 404, "目标队列不存在")]
    for body, status, text in cases:
        r = await li.post("/api/seats/me/call/transfer", json={"console_id": A, **body})
        assert r.status_code == status and text in r.json()["detail"], body
    r = await li.post("/api/seats/me/call/transfer", json={"console_id": A, "kind": "fax", "target": "1"})
    assert r.status_code == 422
    assert len(ami.sent) == sent  # nothing reached Asterisk
    async with kernel.sessions() as s:
        assert (await s.get(SeatSession, "1001")).status == "on_call"


@SQLITE_ONLY
async def test_transfers_use_the_dialplan_contexts_and_a_blind_one_ends_the_seats_call(client_for, kernel, ami):
    wang = client_for("wang")
    await wang.post("/api/seats/me/login", json={"console_id": B})
    li = client_for("li")
    await li.post("/api/seats/me/login", json={"console_id": A})
    await _on_call(kernel)
    r = await li.post("/api/seats/me/call/transfer", json={"console_id": A, "kind": "gov12345", "attended": True})
    assert r.status_code == 200
    (at,) = ami.actions("Atxfer")
    assert (at["Channel"], at["Context"], at["Exten"]) == ("PJSIP/seat1001-01", "handoff-12345", "12345")
    assert (await li.get("/api/seats/me")).json()["seat"]["status"] == "on_call"  # attended: still talking
    await li.post("/api/seats/me/call/transfer", json={"console_id": A, "kind": "queue", "target": "q-410000-aid"})
    (sv,) = ami.actions("Setvar")
    assert (sv["Channel"], sv["Variable"], sv["Value"]) == ("PJSIP/caller-01", "HOTLINE_SKILL", "aid")
    (b1,) = ami.actions("BlindTransfer")
    assert (b1["Channel"], b1["Context"], b1["Exten"]) == ("PJSIP/seat1001-01", "queue-overflow", "410000")
    assert (await li.get("/api/seats/me")).json()["seat"]["status"] == "wrap_up"  # blind: the seat's leg is gone
    await li.post("/api/seats/me/ready", json={"console_id": A})
    await _on_call(kernel, linkedid="L2")
    await li.post("/api/seats/me/call/transfer", json={"console_id": A, "kind": "seat", "target": "1002"})
    b2 = ami.actions("BlindTransfer")[-1]
    assert (b2["Context"], b2["Exten"]) == ("seat-transfer", "1002")


@SQLITE_ONLY
async def test_asterisk_refusing_a_transfer_is_reported(client_for, kernel, ami):
    li = client_for("li")
    await li.post("/api/seats/me/login", json={"console_id": A})
    await _on_call(kernel)
    ami.script("BlindTransfer", {"Response": "Error", "Message": "No such channel"})
    r = await li.post("/api/seats/me/call/transfer", json={"console_id": A, "kind": "gov12345"})
    assert r.status_code == 502 and "No such channel" in r.json()["detail"]


@SQLITE_ONLY
async def test_hold_hangup_go_to_the_seat_phone_and_channel(client_for, kernel, ami):
    li = client_for("li")
    await li.post("/api/seats/me/login", json={"console_id": A})
    await _on_call(kernel)
    assert (await li.post("/api/seats/me/call/hold", json={"console_id": A})).json() == {"held": True}
    await li.post("/api/seats/me/call/unhold", json={"console_id": A})
    await li.post("/api/seats/me/call/hangup", json={"console_id": A})
    n1, n2 = ami.actions("PJSIPNotify")
    assert (n1["Endpoint"], n1["Variable"], n2["Variable"]) == ("seat1001", ["Event=hold"], ["Event=talk"])
    assert ami.actions("Hangup")[0]["Channel"] == "PJSIP/seat1001-01"


async def test_ticket_with_missing_fields_names_each_field_and_saves_nothing(client_for, kernel):
    from integrations.models import Ticket

    li = client_for("li")
    await li.post("/api/seats/me/login", json={"console_id": A})
    await _on_call(kernel)
    r = await li.post("/api/seats/me/tickets", json={"console_id": A, "summary": "x"})
    assert r.status_code == 422
    fields = {f["field"]: f["message"] for f in r.json()["detail"]["fields"]}
    assert fields["category_id"] == "请填写类别" and fields["handling"] == "请填写处理方式"
    assert fields["summary"] == "诉求摘要太短"
    r = await li.post("/api/seats/me/tickets", json={"console_id": A, "category_id": "consult.nope",
                                                     "summary": "工资被拖欠", "handling": "legal_aid"})
    assert r.status_code == 422 and "未知工单类别" in r.json()["detail"]
    r = await li.post("/api/seats/me/tickets", json={"console_id": A, "category_id": "consult.labor",
                                                     "summary": "工资被拖欠", "handling": "answered"})
    assert r.status_code == 422 and "答复" in r.json()["detail"]
    async with kernel.sessions() as s:
        assert (await s.scalars(select(Ticket))).all() == []
        assert (await s.get(SeatSession, "1001")).status == "on_call"


async def test_ticket_takes_caller_data_from_the_call_and_applies_the_handling(client_for, kernel):
    from integrations.models import Ticket

    li = client_for("li")
    await li.post("/api/seats/me/login", json={"console_id": A})
    await _on_call(kernel)
    r = await li.post("/api/seats/me/tickets", json={
        "console_id": A, "category_id": "consult.labor", "summary": "工资被拖欠三个月", "handling": "legal_aid",
        "linkedid": "L1"})
    assert r.status_code == 201, r.text
    assert r.json()["handling"] == "转法律援助" and r.json()["status"] == "processing"
    r2 = await li.post("/api/seats/me/tickets", json={
        "console_id": A, "category_id": "consult.marriage", "summary": "离婚财产分割", "handling": "answered",
        "reply": "告知可起诉", "linkedid": "L1"})
    assert r2.json()["status"] == "closed"
    async with kernel.sessions() as s:
        t = await s.scalar(select(Ticket).where(Ticket.number == r.json()["number"]))
        assert (t.caller_number, t.linkedid, t.owner_username, t.owner_seat, t.prefecture_code) == (
            "13800138000", "L1", "li", "1001", "410100")
    due = (await li.get("/api/seats/me/due", params={"category": "mediation.dispute"})).json()
    assert due["due_days"] == 15


async def test_an_unknown_category_for_the_due_date_is_a_validation_error_naming_the_parameter(client_for):
    li = client_for("li")
    for category in ("000000000000000000000000000000000000000", "mediation", "consult.labor\r\n"):
        r = await li.get("/api/seats/me/due", params={"category": category})
        assert "未知工单类别" in field_error(r, "query", "category"), category
    assert "40" in field_error(await li.get("/api/seats/me/due", params={"category": "x" * 41}), "query", "category")
    assert field_error(await li.get("/api/seats/me/due"), "query", "category")
    assert (await li.get("/api/seats/me/due", params={"category": "consult.labor"})).status_code == 200


async def test_seats_see_only_themselves_supervisors_their_center(client_for, kernel):
    li, wang = client_for("li"), client_for("wang")
    await li.post("/api/seats/me/login", json={"console_id": A})
    await wang.post("/api/seats/me/login", json={"console_id": B})
    assert (await li.get("/api/seats/1001/events")).status_code == 200
    assert (await li.get("/api/seats/1002/events")).status_code == 404
    assert (await li.get("/api/seats")).status_code == 403
    boss, pboss, root = client_for("boss"), client_for("pboss"), client_for("root")
    assert {s["extension"] for s in (await boss.get("/api/seats")).json()} == {"1001", "1002", "1007"}
    assert {s["center_code"] for s in (await pboss.get("/api/seats")).json()} == {"410000"}
    assert len((await root.get("/api/seats")).json()) == len(kernel.directory.seats)
    assert (await boss.get("/api/seats/1002/events")).status_code == 200
    assert (await pboss.get("/api/seats/1002/events")).status_code == 404
    assert (await pboss.post("/api/seats/1001/logout")).status_code == 404
    assert (await boss.post("/api/seats/me/login", json={"console_id": A})).status_code == 403


async def test_supervisor_may_sign_a_seat_out_during_a_call(client_for, kernel, ami):
    li = client_for("li")
    await li.post("/api/seats/me/login", json={"console_id": A})
    await _on_call(kernel)
    assert (await li.post("/api/seats/me/logout", json={"console_id": A})).status_code == 409
    r = await client_for("boss").post("/api/seats/1001/logout")
    assert r.status_code == 200 and r.json()["status"] == "offline"
    async with kernel.sessions() as s:
        last = (await s.scalars(select(SeatEvent).order_by(SeatEvent.id.desc()))).first()
        assert (last.from_state, last.to_state, last.username) == ("on_call", "offline", "li")


async def test_a_seat_sees_its_own_calls_with_talk_time_and_no_one_elses(client_for, kernel):
    li = client_for("li")
    await li.post("/api/seats/me/login", json={"console_id": A})
    await li.post("/api/seats/me/ready", json={"console_id": A})
    await _on_call(kernel, linkedid="L42")
    kernel.bus.publish("call.ended", {"linkedid": "L42", "seat_extension": "1001"})
    from tests.seats.test_service import wait_for

    async def wrapped():
        return (await li.get("/api/seats/1001/calls")).json()[0]["ended_at"] is not None
    await wait_for(wrapped)
    (call,) = (await li.get("/api/seats/1001/calls")).json()
    assert call["linkedid"] == "L42" and call["operator"] == "li" and call["talk_seconds"] >= 0
    assert (await client_for("wang").get("/api/seats/1001/calls")).status_code == 404
    assert len((await client_for("boss").get("/api/seats/1001/calls")).json()) == 1
    assert (await client_for("pboss").get("/api/seats/1001/calls")).status_code == 404


@SQLITE_ONLY
async def test_the_callers_number_is_masked_for_the_seat_and_whole_for_its_supervisor(client_for, kernel):
    li = client_for("li")
    await li.post("/api/seats/me/login", json={"console_id": A})
    await _on_call(kernel)
    assert (await li.get("/api/seats/me")).json()["seat"]["call"]["caller_number"] == "138****8000"
    (mine,) = [s for s in (await client_for("boss").get("/api/seats")).json() if s["extension"] == "1001"]
    assert mine["call"]["caller_number"] == "13800138000"
    (seen,) = [s for s in (await client_for("audit").get("/api/seats")).json() if s["extension"] == "1001"]
    assert seen["call"]["caller_number"] == "138****8000"


@SQLITE_ONLY
async def test_the_seat_websocket_sends_state_with_the_number_masked(seat_app, kernel, users):
    import websockets

    from tests.seats.conftest import token_for
    from tests.browser_support import serve_here

    app, comp = seat_app
    await comp.service.login("1001", users["li"], A)
    async with kernel.sessions() as s:
        row = await s.get(SeatSession, "1001")
        row.call = {"linkedid": "L1", "caller_number": "13800138000"}
        await s.commit()
    async with serve_here(app) as base:
        cookie = {"Cookie": f"access_token={token_for(kernel, users['li'])}"}
        async with websockets.connect(base.replace("http", "ws") + "/ws/seat", additional_headers=cookie) as ws:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
            await comp.service.login("1001", users["li"], B, takeover=True)  # a second browser takes over
            notices = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(2)]
        refused = None
        boss = {"Cookie": f"access_token={token_for(kernel, users['boss'])}"}
        try:
            async with websockets.connect(base.replace("http", "ws") + "/ws/seat", additional_headers=boss) as ws:
                await asyncio.wait_for(ws.recv(), 10)
        except (websockets.InvalidStatus, websockets.ConnectionClosed) as exc:
            refused = exc
    assert msg["type"] == "state" and msg["seat"]["status"] == "paused"
    assert msg["seat"]["call"]["caller_number"] == "138****8000"
    assert refused is not None  # a supervisor is not a seat: the socket is refused
    (taken,) = [n for n in notices if n["type"] == "console"]
    assert (taken["action"], taken["console_id"], taken["by"]) == ("taken_over", A, "li")


async def test_summary_adds_up_talk_and_wrap_up_from_the_stored_rows(client_for, kernel):
    from datetime import datetime, timedelta, timezone

    li = client_for("li")
    t0 = datetime.now(timezone.utc) - timedelta(seconds=1)
    await li.post("/api/seats/me/login", json={"console_id": A})
    await li.post("/api/seats/me/ready", json={"console_id": A})
    await _on_call(kernel)
    kernel.bus.publish("call.ended", {"linkedid": "L1", "seat_extension": "1001"})
    from tests.seats.test_service import wait_for

    async def wrapping():
        async with kernel.sessions() as s:
            return (await s.get(SeatSession, "1001")).status == "wrap_up"
    await wait_for(wrapping)
    end = datetime.now(timezone.utc) + timedelta(seconds=1)
    r = await client_for("boss").get("/api/seats/1001/summary", params={"start": t0.isoformat(), "end": end.isoformat()})
    sec = r.json()["seconds"]
    assert set(sec) >= {"login", "paused", "pause:登录未就绪", "available", "ringing", "on_call", "wrap_up"}
    states = sum(v for k, v in sec.items() if k != "login" and not k.startswith("pause:"))
    assert abs(sec["login"] - states) < 0.01 and sec["on_call"] > 0
    bad = await li.get("/api/seats/1001/summary", params={"start": end.isoformat(), "end": t0.isoformat()})
    assert "end 须晚于 start" in field_error(bad, "query", "end")
    naive = await li.get("/api/seats/1001/summary", params={"start": "2026-11-24T08:00:00", "end": end.isoformat()})
    assert "时区" in field_error(naive, "query", "start")
    assert (await client_for("wang").get("/api/seats/1001/summary",
                                         params={"start": t0.isoformat(), "end": end.isoformat()})).status_code == 404
