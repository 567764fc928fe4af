"""RoutingService with FakeAmi: inject AMI events, assert the decisions, actions and bus payloads."""
import asyncio
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from hotline.bus import EventBus
from routing.policy import RouteRequest
from routing.service import RoutingService
from routing.testing import CallScript, FakeAmi, member_event

ZZ, PROV = "q-410100-consult", "q-410000-consult"
OPEN = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc).timestamp()  # Friday 10:00 in Zhengzhou
CLOSED = datetime(2026, 11, 27, 14, 0, tzinfo=timezone.utc).timestamp()  # Friday 22:00


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture
def setup(directory):
    bus = EventBus()
    sub = bus.subscribe("*")
    clock = Clock(OPEN)
    service = RoutingService(directory, bus, clock=clock)
    ami = FakeAmi()
    service.attach(ami)
    return service, ami, sub, clock


def drain(sub):
    out = []
    while not sub.queue.empty():
        m = sub.queue.get_nowait()
        out.append((m.topic, m.payload))
    return out


def staff(ami, queue, seat, **kw):
    ami.emit(member_event(queue, seat, event="QueueMemberAdded", **kw))


def busy_home_free_province(service, ami, overflow_after):
    """Zhengzhou's one seat is talking, a provincial seat is free; overflow after `overflow_after` s."""
    service.rules = replace(service.rules, overflow_after_seconds=overflow_after, prefecture_max_wait_seconds=10_000)
    staff(ami, ZZ, "1001", in_call=True, status=2)
    staff(ami, PROV, "1003")


def request(script, **kw):
    return RouteRequest(uniqueid=script.uid, linkedid=script.uid, channel=script.channel,
                        caller_number=script.number, caller_name=script.name, **kw)


def emit_all(ami, events):
    for e in events:
        ami.emit(e)


async def test_zhengzhou_caller_goes_to_zhengzhou_queue_and_record_keeps_the_route(setup):
    service, ami, sub, _ = setup
    staff(ami, ZZ, "1001")
    call = CallScript(1, number="13803710000")
    emit_all(ami, call.start())
    decision = await service.place(request(call, skill="consult", category="consult.labor", ivr_path=("1", "2")))
    assert (decision.action, decision.queue, decision.reason) == ("queue", ZZ, "prefecture_available")
    emit_all(ami, call.answered(ZZ, "1001")[2:])
    topics = drain(sub)
    names = [t for t, _ in topics]
    for topic in ("call.new", "call.ivr", "call.queued", "call.ringing", "call.connected", "call.ended", "call.record"):
        assert topic in names
    ivr = next(p for t, p in topics if t == "call.ivr")
    assert ivr["prefecture_code"] == "410100" and ivr["prefecture_name"] == "郑州市" and ivr["caller_name"] == "张三"
    ringing = next(p for t, p in topics if t == "call.ringing")
    assert ringing["seat_extension"] == "1001" and ringing["category"] == "consult.labor"
    record = next(p for t, p in topics if t == "call.record")
    assert record["prefecture_code"] == "410100" and record["decision"] == "queue"
    assert record["ivr_path"] == ["1", "2"] and record["seat_extension"] == "1001"


async def test_luoyang_caller_with_no_local_seat_goes_provincial(setup):
    service, ami, _, _ = setup
    staff(ami, PROV, "1003")
    call = CallScript(2, number="13937900000")  # 洛阳 mobile; nobody logged in at 洛阳
    emit_all(ami, call.start())
    d = await service.place(request(call))
    assert d.queue == PROV and d.prefecture_code == "410300"


async def test_did_names_the_prefecture(setup):
    service, ami, _, _ = setup
    staff(ami, "q-411300-consult", "1021")
    call = CallScript(3, number="13800138000", did="037712348")
    emit_all(ami, call.start())
    d = await service.place(request(call, did="037712348"))
    assert d.queue == "q-411300-consult"


async def test_waiting_caller_overflows_to_provincial_on_time_keeping_priority(setup):
    service, ami, sub, clock = setup
    busy_home_free_province(service, ami, overflow_after=0.05)
    call = CallScript(4, number="13803710000")
    emit_all(ami, call.start())
    d = await service.place(request(call, green=True, green_reason="elderly"))
    assert d.queue == ZZ and d.priority == 10
    ami.emit(call.join(ZZ))
    assert ami.actions("Redirect") == []
    clock.t += 60
    await asyncio.sleep(0.2)
    (redirect,) = ami.actions("Redirect")
    assert (redirect["Channel"], redirect["Context"], redirect["Exten"]) == (call.channel, "queue-overflow", "410000")
    # Asterisk's view of the Redirect: abandon + leave in the old queue, join in the new one
    emit_all(ami, [call.caller("QueueCallerAbandon", Queue=ZZ, Position="1", HoldTime="60"),
                   call.caller("QueueCallerLeave", Queue=ZZ, Position="1"), call.join(PROV)])
    overflowed = [p for t, p in drain(sub) if t == "call.overflowed"]
    assert overflowed and overflowed[0]["from_queue"] == ZZ and overflowed[0]["to_queue"] == PROV


async def test_overflowed_caller_returns_when_a_prefecture_seat_frees_first(setup):
    service, ami, _, _ = setup
    staff(ami, ZZ, "1001", in_call=True, status=2)
    staff(ami, PROV, "1003", in_call=True, status=2)
    call = CallScript(5)
    emit_all(ami, call.start())
    await service.place(request(call))
    emit_all(ami, [call.join(ZZ), call.caller("QueueCallerAbandon", Queue=ZZ, HoldTime="45"),
                   call.caller("QueueCallerLeave", Queue=ZZ), call.join(PROV)])
    ami.emit(member_event(ZZ, "1001", status=1))  # the Zhengzhou seat is free before any provincial one
    await asyncio.sleep(0.05)
    (redirect,) = ami.actions("Redirect")
    assert redirect["Exten"] == "410100" and redirect["Context"] == "queue-overflow"


async def test_no_overflow_when_a_prefecture_seat_freed_first(setup):
    service, ami, _, clock = setup
    busy_home_free_province(service, ami, overflow_after=0.05)
    call = CallScript(6)
    emit_all(ami, call.start())
    await service.place(request(call))
    ami.emit(call.join(ZZ))
    ami.emit(member_event(ZZ, "1001", status=1))
    clock.t += 60
    await asyncio.sleep(0.2)
    assert ami.actions("Redirect") == []


async def test_repeat_caller_reaches_the_seat_who_answered_before(setup):
    service, ami, _, clock = setup
    for seat in ("1001", "1002"):
        staff(ami, ZZ, seat)
    first = CallScript(7, number="13803711111")
    emit_all(ami, first.start())
    await service.place(request(first))
    emit_all(ami, first.answered(ZZ, "1002")[2:])
    ami.emit(member_event(ZZ, "1002", status=1))
    clock.t += 3600
    again = CallScript(8, number="13803711111")
    emit_all(ami, again.start())
    d = await service.place(request(again))
    assert (d.reason, d.preferred_seat, d.queue) == ("first_contact", "1002", ZZ)


async def test_callback_accepted_once_per_number(setup):
    service, ami, sub, _ = setup
    staff(ami, ZZ, "1001", in_call=True, status=2)
    call = CallScript(9)
    emit_all(ami, call.start())
    d1 = await service.place(request(call, accept_callback=True))
    d2 = await service.place(request(call, accept_callback=True))
    assert d1.action == "callback" and d2.action == "queue"
    assert [p["number"] for t, p in drain(sub) if t == "callback.requested"] == ["13803710000"]


async def test_after_hours_goes_to_duty_seat_queue(setup):
    service, ami, _, clock = setup
    clock.t = CLOSED
    staff(ami, PROV, "1003")
    call = CallScript(10)
    emit_all(ami, call.start())
    d = await service.place(request(call))
    assert (d.action, d.reason, d.queue) == ("queue", "after_hours_duty", PROV)


async def test_after_hours_record_outcome_when_caller_leaves_a_message(setup):
    service, ami, sub, clock = setup
    clock.t = CLOSED
    call = CallScript(11, number="anonymous")
    emit_all(ami, call.start())
    d = await service.place(request(call))
    emit_all(ami, call.end_caller())
    record = next(p for t, p in drain(sub) if t == "call.record")
    assert d.action == "voicemail" and record["outcome"] == "after-hours"


async def test_survey_score_lands_on_the_record(setup):
    service, ami, sub, _ = setup
    call = CallScript(12)
    emit_all(ami, call.start())
    assert service.set_survey(call.uid, 5)
    emit_all(ami, call.end_caller())
    record = next(p for t, p in drain(sub) if t == "call.record")
    assert record["survey_score"] == 5 and not service.set_survey(call.uid, 4)


async def test_member_status_payload(setup):
    _, ami, sub, _ = setup
    ami.emit(member_event(ZZ, "1001", paused=True, reason="小休", event="QueueMemberPause"))
    (payload,) = [p for t, p in drain(sub) if t == "member.status"]
    assert payload == {**payload, "queue": ZZ, "interface": "PJSIP/seat1001", "extension": "1001",
                       "status": "NOT_INUSE", "paused": True, "paused_reason": "小休", "in_call": False,
                       "node": "node1"}


async def test_callback_originate_failure_is_recorded_and_success_clears_the_pending_number(setup):
    service, ami, sub, _ = setup
    service.pending_callbacks.add("13800138000")
    await service.originate_callback("node1", seat_extension="1002", number="13800138000", action_id="cb-1",
                                     variables={"TICKET_ID": "GD202611280002"})
    (orig,) = ami.actions("Originate")
    assert (orig["Channel"], orig["Context"], orig["Exten"], orig["ActionID"]) == (
        "PJSIP/seat1002", "callback", "13800138000", "cb-1")
    assert orig["Variable"] == ["TICKET_ID=GD202611280002"] and orig["CallerID"] == '"12348回访" <12348>'
    ami.emit({"Event": "OriginateResponse", "ActionID": "cb-1", "Response": "Failure", "Reason": "0",
              "Channel": "PJSIP/seat1002", "Uniqueid": "<unknown>"})
    (rec,) = [p for t, p in drain(sub) if t == "call.record"]
    assert rec["outcome"] == "originate-failed" and rec["direction"] == "callback" and rec["seat_extension"] == "1002"
    assert "13800138000" in service.pending_callbacks  # still owed: the dialer tries again

    await service.originate_callback("node1", seat_extension="1001", number="13800138000", action_id="cb-2")
    seat = {"Channel": "PJSIP/seat1001-00000007", "Uniqueid": "7.0", "Linkedid": "7.0", "CallerIDNum": "1001",
            "Context": "from-seats", "Exten": "s"}
    citizen = {"Channel": "PJSIP/caller-00000008", "Uniqueid": "7.1", "Linkedid": "7.0",
               "CallerIDNum": "13800138000", "Context": "from-carrier", "Exten": "s"}
    for e in ({**seat, "Event": "Newchannel"},
              {"Event": "OriginateResponse", "ActionID": "cb-2", "Response": "Success", "Reason": "4",
               "Uniqueid": "7.0"},
              {**citizen, "Event": "Newchannel"}, {**citizen, "Event": "BridgeEnter", "BridgeUniqueid": "b"},
              {**seat, "Event": "BridgeEnter", "BridgeUniqueid": "b"}, {**seat, "Event": "HangupRequest"},
              {**citizen, "Event": "Hangup", "Cause": "16"}, {**seat, "Event": "Hangup", "Cause": "16"}):
        ami.emit(e)
    (rec,) = [p for t, p in drain(sub) if t == "call.record"]
    assert (rec["outcome"], rec["hangup_by"], rec["caller_number"]) == ("answered", "seat", "13800138000")
    assert "13800138000" not in service.pending_callbacks


async def test_survey_after_the_call_ended_updates_the_stored_record(kernel):
    from sqlalchemy import select

    from routing.models import CallRecord
    from routing.writer import RecordWriter

    writer = RecordWriter(kernel.sessions)
    await writer.start()
    service = RoutingService(kernel.directory, kernel.bus, writer=writer)
    ami = FakeAmi()
    service.attach(ami)
    call = CallScript(30)
    for e in call.ivr_hangup():
        ami.emit(e)
    assert await service.record_survey(call.uid, 3)
    await writer.stop()
    async with kernel.sessions() as s:
        assert (await s.scalar(select(CallRecord.survey_score).where(CallRecord.linkedid == call.uid))) == 3


async def test_two_nodes_keep_separate_state_and_act_on_their_own_link(directory):
    service = RoutingService(directory, EventBus(), clock=Clock(OPEN))
    node1, node2 = FakeAmi("node1"), FakeAmi("node2")
    service.attach(node1)
    service.attach(node2)
    staff(node2, "q-410100-consult", "1001", in_call=True, status=2)
    staff(node2, "q-410000-consult", "1003", in_call=True, status=2)
    same = CallScript(40)  # the same Uniqueid on two Asterisk boxes is two different calls
    emit_all(node1, same.start())
    emit_all(node2, same.start())
    await service.place(request(same, node="node2"))
    emit_all(node2, [same.join(ZZ), same.caller("QueueCallerAbandon", Queue=ZZ), same.caller("QueueCallerLeave", Queue=ZZ),
                     same.join(PROV)])
    node2.emit(member_event(ZZ, "1001", status=1))
    await asyncio.sleep(0)
    assert node1.actions("Redirect") == [] and len(node2.actions("Redirect")) == 1
    assert set(service.state.nodes["node1"].calls) == set(service.state.nodes["node2"].calls) == {same.uid}
    assert service.state.nodes["node1"].calls[same.uid].route == {}


async def test_an_originate_sent_by_another_package_is_known_to_the_state(setup):
    from routing import actions

    service, ami, sub, _ = setup
    await actions.originate(ami, channel="PJSIP/seat1003", context="callback", exten="13800138000",
                            caller_id='"12348回访" <12348>', timeout_ms=8000, action_id="dialer-7",
                            variables={"TICKET_ID": "GD1"})
    seat = {"Channel": "PJSIP/seat1003-00000002", "Uniqueid": "3.2", "Linkedid": "3.2", "Context": "from-seats",
            "Exten": "s", "CallerIDNum": "1003"}
    for e in ({**seat, "Event": "Newchannel"}, {**seat, "Event": "Hangup", "Cause": "19"},
              {"Event": "OriginateResponse", "ActionID": "dialer-7", "Response": "Failure", "Reason": "3",
               "Channel": "PJSIP/seat1003", "Uniqueid": "<unknown>"}):
        ami.emit(e)
    published = drain(sub)
    (rec,) = [p for t, p in published if t == "call.record"]
    assert (rec["direction"], rec["outcome"], rec["originate_reason"]) == ("callback", "originate-failed", "3")
    assert not [p for t, p in published if t == "call.new"]  # a callback is not a new inbound call


def test_first_contact_memory_forgets_callers_older_than_n_days(directory):
    from datetime import timedelta

    service = RoutingService(directory, None, clock=Clock(OPEN))
    now = datetime.fromtimestamp(OPEN, timezone.utc)
    base = {"outcome": "answered", "direction": "inbound", "seat_extension": "1001"}
    service._finished({**base, "linkedid": "a", "caller_number": "1", "ended_at": (now - timedelta(days=9)).isoformat()})
    service._finished({**base, "linkedid": "b", "caller_number": "2", "ended_at": (now - timedelta(days=1)).isoformat()})
    service._finished({**base, "linkedid": "c", "caller_number": "3", "ended_at": now.isoformat()})
    assert list(service.last_contact) == ["2", "3"]


async def test_overflow_after_zero_checks_at_join_without_a_timer(setup):
    """`overflow_after_seconds: 0`: a caller joining a busy prefecture queue moves on the QueueCallerJoin itself."""
    service, ami, _, _ = setup
    busy_home_free_province(service, ami, overflow_after=0)
    call = CallScript(20, number="13803710000")
    emit_all(ami, call.start())
    d = await service.place(request(call))
    assert (d.queue, d.overflow_after_seconds) == (ZZ, 0)
    ami.emit(call.join(ZZ))
    (redirect,) = ami.actions("Redirect")  # written synchronously while the join was applied
    assert (redirect["Channel"], redirect["Exten"]) == (call.channel, "410000")
    assert not service._timers


async def test_overflow_after_zero_keeps_the_caller_home_while_a_prefecture_seat_is_free(setup):
    service, ami, _, _ = setup
    service.rules = replace(service.rules, overflow_after_seconds=0, prefecture_max_wait_seconds=10_000)
    staff(ami, ZZ, "1001")
    staff(ami, PROV, "1003")
    call = CallScript(21, number="13803710000")
    emit_all(ami, call.start())
    await service.place(request(call))
    ami.emit(call.join(ZZ))
    assert ami.actions("Redirect") == []




async def test_a_freed_seat_only_recalls_callers_of_its_own_prefecture_queue(setup):
    service, ami, _, _ = setup
    luoyang = "q-410300-consult"
    for q, seat in ((ZZ, "1001"), (luoyang, "1011"), (PROV, "1003")):
        staff(ami, q, seat, in_call=True, status=2)
    calls = []
    for n, (number, home) in enumerate((("13803710000", ZZ), ("13903790000", luoyang))):
        call = CallScript(30 + n, number=number)
        emit_all(ami, call.start())
        await service.place(request(call))
        emit_all(ami, [call.join(home), call.caller("QueueCallerAbandon", Queue=home, HoldTime="45"),
                       call.caller("QueueCallerLeave", Queue=home), call.join(PROV)])
        calls.append(call)
    ami.emit(member_event(luoyang, "1011", status=1))  # a Luoyang seat frees: only the Luoyang caller goes back
    (redirect,) = ami.actions("Redirect")
    assert (redirect["Channel"], redirect["Exten"]) == (calls[1].channel, "410300")


async def test_a_freed_seat_reconsiders_one_provincial_caller_not_all(setup, monkeypatch):
    """Many overflowed callers and a busy prefecture: a freed-seat event costs one reconsideration."""
    service, ami, _, _ = setup
    staff(ami, ZZ, "1001", in_call=True, status=2)
    staff(ami, ZZ, "1002", in_call=True, status=2)
    staff(ami, PROV, "1003", in_call=True, status=2)
    for n in range(40):
        call = CallScript(100 + n, number=f"1380371{n:04d}")
        emit_all(ami, call.start())
        await service.place(request(call))
        emit_all(ami, [call.join(ZZ), call.caller("QueueCallerAbandon", Queue=ZZ, HoldTime="45"),
                       call.caller("QueueCallerLeave", Queue=ZZ), call.join(PROV)])
    other = CallScript(200, number="13803719999")  # someone waits at home: one free seat is not enough to recall
    emit_all(ami, other.start())
    await service.place(request(other))
    ami.emit(other.join(ZZ))
    checked = []
    real = service.check_waiting
    monkeypatch.setattr(service, "check_waiting", lambda node, lid: checked.append(lid) or real(node, lid))
    ami.emit(member_event(ZZ, "1001", status=1))
    assert len(checked) == 1 and ami.actions("Redirect") == []
