"""Engine restart (LinkResync → reconcile), screen pop content and masking, roster rules."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hotline.auth import Role
from seats.roster import overlaps
from seats.screenpop import build_pop, ivr_path_label, mask_number, shown_number
from seats.status import Ready
from tests.http_checks import field_error
from tests.seats.test_service import CID, _row, wait_for

T = datetime(2026, 11, 30, 9, tzinfo=timezone.utc)


def _member(queue, paused="0", reason="", in_call="0", status="1", ext="1001"):
    return {"Event": "QueueMember", "Queue": queue, "Location": f"PJSIP/seat{ext}", "Membership": "dynamic",
            "Paused": paused, "PausedReason": reason, "InCall": in_call, "Status": status}


async def test_after_an_engine_restart_lost_members_are_readded_and_pauses_fixed(seat_app, ami, users, kernel):
    _, comp = seat_app
    await comp.service.login("1001", users["li"], CID)
    await comp.service.command("1001", Ready(), console_id=CID)
    ami.sent.clear()
    ami.emit({"Event": "LinkResync", "Node": "node1",
              "QueueStatus": [_member("q-410100-consult", paused="1", reason="小休"),
                              _member("q-410000-consult", ext="1003")]})  # 1003 is signed out in our database
    await wait_for(lambda: _has(ami, 3))
    got = sorted((a["Action"], a["Queue"], a["Interface"], a.get("Paused")) for a in ami.sent)
    assert got == [("QueueAdd", "q-410100-aid", "PJSIP/seat1001", "false"),
                   ("QueuePause", "q-410100-consult", "PJSIP/seat1001", "false"),
                   ("QueueRemove", "q-410000-consult", "PJSIP/seat1003", None)]


async def test_a_call_that_ended_while_the_engine_was_away_goes_to_wrap_up(seat_app, ami, users, kernel):
    _, comp = seat_app
    await comp.service.login("1001", users["li"], CID)
    await comp.service.command("1001", Ready(), console_id=CID)
    kernel.bus.publish("call.connected", {"linkedid": "L5", "seat_extension": "1001", "seat_channel": "PJSIP/seat1001-9"})
    await wait_for(lambda: _status(kernel, "on_call"))
    ami.emit({"Event": "LinkResync", "QueueStatus": [_member("q-410100-consult"), _member("q-410100-aid")]})
    await wait_for(lambda: _status(kernel, "wrap_up"))


async def _status(kernel, status):
    row = await _row(kernel, "1001")
    return row.status == status


async def _has(ami, n):
    return len(ami.sent) >= n


def test_numbers_are_masked_for_seats_and_whole_for_supervisors():
    assert mask_number("13800138000") == "138****8000"
    assert mask_number("+86 138-0013-8000") == "138****8000"
    assert mask_number("037112345678") == "037****5678"
    assert mask_number("0371123") == "037**23"
    assert mask_number("") == "未知号码"
    assert shown_number("13800138000", Role.SEAT) == "138****8000"
    assert shown_number("13800138000", Role.SUPERVISOR) == "13800138000"


def test_ivr_path_is_named_from_the_catalogue(directory):
    assert ivr_path_label("1-2", directory) == "法律咨询 › 劳动争议 (1-2)"
    assert ivr_path_label("3", directory) == "人民调解 (3)"
    assert ivr_path_label("", directory) == "—"
    assert ivr_path_label("9-9", directory) == "9-9"


def test_screen_pop_names_first_contact_and_previous_handlers(directory):
    call = {"linkedid": "L1", "caller_number": "13912345678", "prefecture_code": "410300", "skill": "aid",
            "category": "aid.wage", "ivr_path": "2", "waited_seconds": 7.6, "green": True}
    calls = [{"linkedid": "L0", "at": "2026-11-29T01:00:00+00:00", "outcome": "answered", "seat_extension": "1011"}]
    pop = build_pop(call, calls, [], Role.SEAT, directory, T)
    assert (pop["caller_number"], pop["prefecture"], pop["skill"], pop["category"], pop["waited_seconds"]) == (
        "139****5678", "洛阳市", "法律援助", "农民工讨薪", 7)
    assert pop["previous_calls"][0]["handled_by"] == "坐席1011" and pop["first_contact"] == "坐席1011"
    tickets = [{"number": "GD1", "owner": "wang", "owner_seat": "1002"}]
    assert build_pop(call, calls, tickets, Role.SEAT, directory, T)["first_contact"] == "wang（坐席1002）"
    assert build_pop({"caller_number": None}, [], [], Role.SEAT, directory, T)["prefecture"] == "未知"


def test_shift_overlap_rule():
    a, b = T, T + timedelta(hours=8)
    assert overlaps(a, b, [(a + timedelta(hours=7), b + timedelta(hours=1))])
    assert not overlaps(a, b, [(b, b + timedelta(hours=8))])  # back-to-back shifts are fine


async def test_roster_planning_rules_and_visibility(client_for):
    boss, pboss, li, audit = client_for("boss"), client_for("pboss"), client_for("li"), client_for("audit")
    shift = {"username": "li", "extension": "1001", "starts_at": "2026-12-01T08:30:00+08:00",
             "ends_at": "2026-12-01T17:30:00+08:00", "kind": "day"}
    r = await boss.post("/api/seats/roster", json=shift)
    assert r.status_code == 201, r.text
    r = await boss.post("/api/seats/roster", json={**shift, "starts_at": "2026-12-01T12:00:00+08:00",
                                                   "ends_at": "2026-12-01T20:00:00+08:00"})
    assert r.status_code == 409 and "已有排班" in r.json()["detail"]
    r = await boss.post("/api/seats/roster", json={**shift, "ends_at": "2026-12-01T08:00:00+08:00"})
    assert r.status_code == 422
    r = await boss.post("/api/seats/roster", json={**shift, "starts_at": "2026-12-01T08:30:00"})
    assert r.status_code == 422
    r = await boss.post("/api/seats/roster", json={**shift, "username": "boss"})
    assert "坐席账号" in field_error(r, "body", "username")
    r = await boss.post("/api/seats/roster", json={**shift, "extension": "9999"})
    assert "坐席不存在" in field_error(r, "body", "extension")
    assert (await pboss.post("/api/seats/roster", json=shift)).status_code == 403
    assert (await li.post("/api/seats/roster", json=shift)).status_code == 403
    assert len((await li.get("/api/seats/roster")).json()) == 1
    assert (await pboss.get("/api/seats/roster")).json() == []
    assert len((await audit.get("/api/seats/roster")).json()) == 1
    sid = (await boss.get("/api/seats/roster")).json()[0]["id"]
    assert (await pboss.delete(f"/api/seats/roster/{sid}")).status_code == 404
    assert (await boss.delete(f"/api/seats/roster/{sid}")).status_code == 204


async def test_previous_calls_and_tickets_of_the_caller_come_newest_first(kernel, users):
    from hotline.auth import Principal
    from integrations.schemas import TicketCreate
    from integrations.tickets import TicketContext, create_ticket
    from routing.models import CallRecord
    from seats.history import caller_tickets, previous_calls

    base = dict(node="node1", direction="inbound", caller_number="13912345678", outcome="answered")
    async with kernel.sessions() as s:
        s.add(CallRecord(linkedid="A1", offered_at=T - timedelta(days=3), ended_at=T - timedelta(days=3),
                         seat_extension="1011", talk_seconds=61.4, **base))
        s.add(CallRecord(linkedid="A2", offered_at=T - timedelta(days=1), ended_at=T - timedelta(days=1),
                         **{**base, "outcome": "abandoned"}))
        s.add(CallRecord(linkedid="NOW", offered_at=T, ended_at=T, **base))
        s.add(CallRecord(linkedid="B1", offered_at=T, ended_at=T, **{**base, "caller_number": "13800000000"}))
        wang = users["wang"]
        await create_ticket(s, TicketCreate(category_id="aid.wage", summary="讨薪", caller_number="13912345678"),
                            Principal("wang", Role.SEAT, "410100", "1002", wang.id), TicketContext(kernel.directory))
        await s.commit()
        calls = await previous_calls(s, "13912345678", exclude_linkedid="NOW")
        tickets = await caller_tickets(s, "13912345678")
    assert [(c["linkedid"], c["outcome"], c["seat_extension"], c["talk_seconds"]) for c in calls] == [
        ("A2", "放弃", None, None), ("A1", "已接听", "1011", 61)]
    assert [(t["owner"], t["owner_seat"], t["caller"]) for t in tickets] == [("wang", "1002", "139****5678")]
    assert await previous_calls(s, None) == []


async def test_roster_ids_beyond_the_column_range_are_refused_not_crashing(client_for):
    r = await client_for("boss").delete(f"/api/seats/roster/{2**40}")
    assert r.status_code == 422


def test_resync_listener_asks_the_link_for_link_resync_only_so_other_events_stay_unparsed():
    from routing.ami import AmiLink
    from seats.resync import listen_for_resync

    link = AmiLink(name="node1", host="127.0.0.1", port=1, username="u", secret="s")
    link.listen(lambda e: None, events={"QueueMember", "Hangup"})  # the routing engine's own needs
    unlisten = listen_for_resync(None, link, lambda coro: coro.close())
    assert link.wanted == frozenset({"QueueMember", "Hangup", "LinkResync", "LinkDown"})
    unlisten()
    assert link.wanted == frozenset({"QueueMember", "Hangup", "LinkResync", "LinkDown"})
