"""The seat service against FakeAmi: QueueAdd paused at login, pause/ready, calls from the bus, ACW."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from routing.results import AmiError
from seats.models import SeatEvent, SeatMembership, SeatSession
from seats.status import ACW_REASON, LOGIN_REASON, Logout, Pause, Ready

CID = "console-aaaa1111"


async def _events(kernel, ext):
    async with kernel.sessions() as s:
        return (await s.scalars(select(SeatEvent).where(SeatEvent.extension == ext).order_by(SeatEvent.id))).all()


async def _row(kernel, ext):
    async with kernel.sessions() as s:
        return await s.get(SeatSession, ext)


async def wait_for(pred, timeout=5.0):
    """Poll until `pred()` (async) is true; the bound only stops a broken test from hanging."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if await pred():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_login_adds_every_skill_queue_paused_with_penalties(seat_app, ami, users, kernel):
    _, comp = seat_app
    out = await comp.service.login("1001", users["li"], CID)
    adds = ami.actions("QueueAdd")
    assert [(a["Queue"], a["Penalty"], a["Paused"], a["Reason"]) for a in adds] == [
        ("q-410100-consult", "0", "true", LOGIN_REASON), ("q-410100-aid", "1", "true", LOGIN_REASON)]
    assert {a["Interface"] for a in adds} == {"PJSIP/seat1001"}
    assert adds[0]["MemberName"] == "李律师(1001)"
    assert out["status"] == "paused" and out["reason"] == LOGIN_REASON
    async with kernel.sessions() as s:
        assert len((await s.scalars(select(SeatMembership))).all()) == 2
    (ev,) = await _events(kernel, "1001")
    assert (ev.from_state, ev.to_state, ev.reason, ev.username, ev.user_id) == (
        "offline", "paused", LOGIN_REASON, "li", users["li"].id)


async def test_ready_unpauses_in_all_queues_and_pause_sends_the_reason(seat_app, ami, users):
    _, comp = seat_app
    await comp.service.login("1001", users["li"], CID)
    await comp.service.command("1001", Ready(), console_id=CID)
    await comp.service.command("1001", Pause("培训"), console_id=CID)
    pauses = ami.actions("QueuePause")
    assert [(p.get("Queue"), p["Paused"], p.get("Reason")) for p in pauses] == [
        (None, "false", None), (None, "true", "培训")]


async def test_failed_queue_add_takes_back_what_was_added_and_leaves_the_seat_offline(seat_app, ami, users, kernel):
    _, comp = seat_app
    ami.script("QueueAdd", {"Response": "Success"},
               {"Response": "Error", "Message": "Unable to add interface to queue: No such queue"})
    from seats.service import SeatError

    with pytest.raises(SeatError, match="No such queue"):
        await comp.service.login("1001", users["li"], CID)
    assert [a["Queue"] for a in ami.actions("QueueRemove")] == ["q-410100-consult"]
    row = await _row(kernel, "1001")
    assert row is None or row.status == "offline"
    assert await _events(kernel, "1001") == []


async def test_member_already_there_after_a_crash_is_brought_to_paused(seat_app, ami, users):
    _, comp = seat_app
    ami.script("QueueAdd", {"Response": "Error", "Message": "Unable to add interface: Already there"})
    out = await comp.service.login("1001", users["li"], CID)
    assert out["status"] == "paused"
    (p,) = ami.actions("QueuePause")
    assert (p["Queue"], p["Paused"], p["Reason"]) == ("q-410100-consult", "true", LOGIN_REASON)


async def test_asterisk_refusing_a_pause_changes_nothing(seat_app, ami, users, kernel):
    _, comp = seat_app
    await comp.service.login("1001", users["li"], CID)
    await comp.service.command("1001", Ready(), console_id=CID)
    ami.script("QueuePause", AmiError("Interface not found", {"Response": "Error"}))
    from seats.service import SeatError

    with pytest.raises(SeatError, match="Interface not found"):
        await comp.service.command("1001", Pause("小休"), console_id=CID)
    row = await _row(kernel, "1001")
    assert row.status == "available" and row.reason is None
    assert [e.to_state for e in await _events(kernel, "1001")] == ["paused", "available"]


async def test_a_call_from_the_bus_rings_connects_ends_and_wrap_up_times_out(seat_app, ami, users, kernel):
    _, comp = seat_app
    svc = comp.service
    await svc.login("1001", users["li"], CID)
    await svc.command("1001", Ready(), console_id=CID)
    bus = kernel.bus
    bus.publish("call.ringing", {"linkedid": "L1", "seat_extension": "1001", "seat_channel": "PJSIP/seat1001-01",
                                 "caller_number": "13800138000", "queue": "q-410100-consult", "waited_seconds": 3})
    await wait_for(lambda: _status(kernel, "1001", "ringing"))
    bus.publish("call.connected", {"linkedid": "L1", "seat_extension": "1001", "seat_channel": "PJSIP/seat1001-01",
                                   "caller_channel": "PJSIP/caller-00", "queue": "q-410100-consult"})
    await wait_for(lambda: _status(kernel, "1001", "on_call"))
    row = await _row(kernel, "1001")
    assert row.call["caller_channel"] == "PJSIP/caller-00" and row.call["caller_number"] == "13800138000"
    bus.publish("call.ended", {"linkedid": "L1", "seat_extension": "1001", "outcome": "answered"})
    await wait_for(lambda: _status(kernel, "1001", "wrap_up"))
    assert ami.actions("QueuePause")[-1]["Reason"] == ACW_REASON
    await wait_for(lambda: _status(kernel, "1001", "available"))
    assert ami.actions("QueuePause")[-1]["Paused"] == "false"
    steps = [(e.from_state, e.to_state, e.linkedid) for e in await _events(kernel, "1001")]
    assert steps[1:] == [("paused", "available", None), ("available", "ringing", "L1"), ("ringing", "on_call", "L1"),
                         ("on_call", "wrap_up", "L1"), ("wrap_up", "available", "L1")]


async def test_other_seats_ringing_for_an_answered_call_stop_ringing(seat_app, ami, users, kernel):
    _, comp = seat_app
    svc = comp.service
    for ext, user, cid in (("1001", "li", CID), ("1002", "wang", "console-bbbb2222")):
        await svc.login(ext, users[user], cid)
        await svc.command(ext, Ready(), console_id=cid)
    for ext in ("1001", "1002"):
        kernel.bus.publish("call.ringing", {"linkedid": "L7", "seat_extension": ext, "caller_number": "139"})
    await wait_for(lambda: _status(kernel, "1002", "ringing"))
    kernel.bus.publish("call.connected", {"linkedid": "L7", "seat_extension": "1001", "seat_channel": "PJSIP/seat1001-2"})
    await wait_for(lambda: _status(kernel, "1002", "available"))
    assert (await _row(kernel, "1001")).status == "on_call"


async def test_member_status_sets_the_phone_registration(seat_app, ami, users, kernel):
    _, comp = seat_app
    await comp.service.login("1001", users["li"], CID)
    kernel.bus.publish("member.status", {"extension": "1001", "interface": "PJSIP/seat1001", "status": 5})
    await wait_for(lambda: _device(kernel, "1001", "unregistered"))
    kernel.bus.publish("member.status", {"extension": "1001", "interface": "PJSIP/seat1001", "status": "1"})
    await wait_for(lambda: _device(kernel, "1001", "registered"))


async def test_an_idle_phone_ends_a_ring_or_a_call_the_engine_did_not_end(seat_app, ami, users, kernel):
    _, comp = seat_app
    await comp.service.login("1001", users["li"], CID)
    await comp.service.command("1001", Ready(), console_id=CID)
    kernel.bus.publish("call.ringing", {"linkedid": "L3", "seat_extension": "1001"})
    await wait_for(lambda: _status(kernel, "1001", "ringing"))
    kernel.bus.publish("member.status", {"extension": "1001", "status": 1, "in_call": False})  # ring timed out
    await wait_for(lambda: _status(kernel, "1001", "available"))
    kernel.bus.publish("call.connected", {"linkedid": "L4", "seat_extension": "1001", "seat_channel": "PJSIP/seat1001-4"})
    await wait_for(lambda: _status(kernel, "1001", "on_call"))
    kernel.bus.publish("member.status", {"extension": "1001", "status": 2, "in_call": True})
    kernel.bus.publish("member.status", {"extension": "1001", "status": 1, "in_call": False})  # leg gone (transfer)
    await wait_for(lambda: _status(kernel, "1001", "wrap_up"))


async def test_logout_removes_from_every_queue_and_tolerates_not_there(seat_app, ami, users, kernel):
    _, comp = seat_app
    await comp.service.login("1001", users["li"], CID)
    ami.script("QueueRemove", {"Response": "Error", "Message": "Unable to remove interface: Not there"})
    out = await comp.service.command("1001", Logout(), console_id=CID)
    assert out["status"] == "offline" and out["username"] is None
    assert sorted(a["Queue"] for a in ami.actions("QueueRemove")) == ["q-410100-aid", "q-410100-consult"]
    async with kernel.sessions() as s:
        assert (await s.scalars(select(SeatMembership))).all() == []


async def test_status_changes_are_published_on_the_bus(seat_app, users, kernel):
    _, comp = seat_app
    sub = kernel.bus.subscribe("seat.status")
    await comp.service.login("1001", users["li"], CID)
    msg = await asyncio.wait_for(sub.queue.get(), 5)
    assert msg.payload["extension"] == "1001" and msg.payload["label"] == f"小休({LOGIN_REASON})"


async def _status(kernel, ext, status):
    row = await _row(kernel, ext)
    return row is not None and row.status == status


async def _device(kernel, ext, device):
    row = await _row(kernel, ext)
    return row is not None and row.device == device


async def test_a_wrap_up_that_ended_while_the_process_was_down_ends_at_start(kernel, ami, users):
    from datetime import timedelta

    from hotline.db import utcnow
    from seats.component import SeatsComponent, SeatSettings

    past = utcnow() - timedelta(seconds=5)
    async with kernel.sessions() as s:
        s.add(SeatSession(extension="1001", center_code="410100", status="wrap_up", reason=ACW_REASON, since=past,
                          acw_until=past + timedelta(seconds=2), username="li", user_id=users["li"].id,
                          console_id=CID, device="registered", linkedid="L1"))
        await s.commit()
    kernel.services["ami"] = ami
    comp = SeatsComponent(SeatSettings(acw_seconds=2))
    await comp.start(kernel, {"api"})
    try:
        await wait_for(lambda: _status(kernel, "1001", "available"))
    finally:
        await comp.stop()
    assert ami.actions("QueuePause")[-1]["Paused"] == "false"


async def test_call_events_published_back_to_back_are_applied_in_order(seat_app, ami, users, kernel):
    _, comp = seat_app
    await comp.service.login("1001", users["li"], CID)
    await comp.service.command("1001", Ready(), console_id=CID)
    for topic in ("call.ringing", "call.connected", "call.ended"):
        kernel.bus.publish(topic, {"linkedid": "L9", "seat_extension": "1001", "seat_channel": "PJSIP/seat1001-9"})
    await wait_for(lambda: _status(kernel, "1001", "wrap_up"))
    steps = [(e.from_state, e.to_state) for e in await _events(kernel, "1001")][2:]
    assert steps == [("available", "ringing"), ("ringing", "on_call"), ("on_call", "wrap_up")]


async def test_a_stray_ring_during_a_call_does_not_replace_the_calls_channels(seat_app, ami, users, kernel):
    _, comp = seat_app
    await comp.service.login("1001", users["li"], CID)
    await comp.service.command("1001", Ready(), console_id=CID)
    kernel.bus.publish("call.connected", {"linkedid": "L1", "seat_extension": "1001", "seat_channel": "PJSIP/seat1001-1"})
    kernel.bus.publish("call.ringing", {"linkedid": "L2", "seat_extension": "1001", "seat_channel": "PJSIP/seat1001-2"})
    kernel.bus.publish("member.status", {"extension": "1001", "status": 2, "in_call": True})
    await wait_for(lambda: _device(kernel, "1001", "registered"))
    row = await _row(kernel, "1001")
    assert (row.status, row.linkedid, row.call["seat_channel"]) == ("on_call", "L1", "PJSIP/seat1001-1")
