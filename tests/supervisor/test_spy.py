"""Listen / whisper / barge: the Originate into `chanspy`, who may do it, audited either way."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.auth import Principal, Role
from hotline.models import AuditLog
from routing.state import Call, Leg, NodeState
from supervisor.spy import SpyRefused, plan, seat_channel
from tests.supervisor.test_live import routing_with

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
PROV = Principal("prov", Role.SUPERVISOR, "410000")


def with_call(routing, seat: str, channel: str, hungup: bool = False):
    ns: NodeState = routing.state.nodes["node1"]
    c = Call("L-" + seat, "node1", 0.0, answered_at=1.0, seat_interface=f"PJSIP/seat{seat}", seat_channel=channel)
    c.legs["u1"] = Leg(channel, "u1", 1.0, hungup_at=5.0 if hungup else None)
    ns.calls[c.linkedid] = c
    return routing


@pytest.mark.parametrize(("principal", "seat", "phone", "mode", "status"), [
    (Principal("zz", Role.SUPERVISOR, "410100"), "1003", "9001", "listen", 403),  # another center's seat
    (Principal("zz", Role.SUPERVISOR, "410100"), "1001", "9001", "listen", 403),  # another center's phone
    (PROV, "1001", "9001", "listen", 403),  # the province sees the data, spies only on its own seats
    (PROV, "1003", "9001", "shout", 422),
    (PROV, "9999", "9001", "listen", 422),
    (PROV, "1003", "9002", "listen", 422),
    (PROV, "1004", "9001", "listen", 409),  # no call
    (Principal("a", Role.SEAT, "410000", "1003"), "1004", "9001", "listen", 403),
])
def test_refusals(directory, principal, seat, phone, mode, status):
    with pytest.raises(SpyRefused) as exc:
        plan(principal, directory, seat=seat, phone=phone, mode=mode, seat_channel=None if seat == "1004" else "PJSIP/seat1-1")
    assert exc.value.status == status


@pytest.mark.parametrize("mode", ["listen", "whisper", "barge"])
def test_plan_of_an_allowed_spy(directory, mode):
    p = plan(PROV, directory, seat="1003", phone="9001", mode=mode, seat_channel="PJSIP/seat1003-0000002a")
    assert (p.channel, p.exten, p.target) == ("PJSIP/sup9001", mode, "PJSIP/seat1003-0000002a")


def test_admin_may_spy_on_any_seat(directory):
    assert plan(Principal("root", Role.ADMIN), directory, seat="1001", phone="9001", mode="barge",
                seat_channel="PJSIP/seat1001-01").exten == "barge"


def test_a_channel_name_with_control_characters_is_refused(directory):
    with pytest.raises(SpyRefused):
        plan(PROV, directory, seat="1003", phone="9001", mode="listen", seat_channel="PJSIP/seat1003\r\nAction: X")


def test_seat_channel_is_the_live_answered_call_of_that_seat():
    r = with_call(routing_with({}), "1003", "PJSIP/seat1003-0000002a")
    assert seat_channel(r, "1003") == "PJSIP/seat1003-0000002a"
    assert seat_channel(r, "1004") is None
    assert seat_channel(with_call(routing_with({}), "1004", "PJSIP/seat1004-01", hungup=True), "1004") is None


@SQLITE_ONLY
async def test_spy_originates_chanspy_and_is_audited(client_for, kernel, sup_app):
    ami = sup_app[2]
    kernel.services["routing"] = with_call(routing_with({}), "1003", "PJSIP/seat1003-0000002a")
    r = await client_for("prov").post("/api/supervisor/spy", json={"seat": "1003", "phone": "9001", "mode": "whisper"})
    assert r.status_code == 202, r.text
    sent = ami.actions("Originate")[-1]
    assert (sent["Channel"], sent["Context"], sent["Exten"]) == ("PJSIP/sup9001", "chanspy", "whisper")
    assert sent["Variable"] == ["SPY_TARGET=PJSIP/seat1003-0000002a"]
    r = await client_for("zz").post("/api/supervisor/spy", json={"seat": "1003", "phone": "9001", "mode": "barge"})
    assert r.status_code == 403 and len(ami.actions("Originate")) == 1
    async with kernel.sessions() as s:
        rows = list(await s.scalars(select(AuditLog).where(AuditLog.action.like("supervisor.%")).order_by(AuditLog.id)))
    assert [(a.actor, a.action, a.outcome, a.target_id) for a in rows] == [
        ("prov", "supervisor.whisper", "ok", "1003"), ("zz", "supervisor.barge", "denied", "1003")]


@SQLITE_ONLY
async def test_without_the_engine_the_seat_channel_comes_from_the_stored_seat_call(client_for, kernel, sup_app):
    from seats.models import SeatSession

    async with kernel.sessions() as s:
        s.add(SeatSession(extension="1003", center_code="410000", status="on_call",
                          call={"linkedid": "L9", "seat_channel": "PJSIP/seat1003-00000009"}))
        await s.commit()
    r = await client_for("prov").post("/api/supervisor/spy", json={"seat": "1003", "phone": "9001", "mode": "listen"})
    assert r.status_code == 202 and r.json()["target"] == "PJSIP/seat1003-00000009"
    r = await client_for("prov").post("/api/supervisor/spy", json={"seat": "1004", "phone": "9001", "mode": "listen"})
    assert r.status_code == 409 and "没有通话" in r.json()["detail"]
