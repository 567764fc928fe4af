"""routing.state unit cases the traces do not cover: resync outcomes and late events."""
from routing.state import State, apply
from routing.testing import CallScript

ZZ = "q-410100-consult"


def run(state, events, at=10.0):
    out = []
    for e in events:
        out += apply(state, e, at)[1]
    return out


def records(out):
    return [p for t, p in out if t == "call.record"]


def test_a_call_that_ended_while_the_link_was_down_is_recorded_at_resync():
    s, call = State(), CallScript(1)
    run(s, call.start() + [call.join(ZZ)])
    out = run(s, [{"Event": "LinkDown"}, {"Event": "LinkResync", "QueueStatus": [], "Channels": []}], at=20.0)
    (rec,) = records(out)
    assert rec["resynced"] and rec["outcome"] == "abandoned" and rec["wait_seconds"] == 10.0


def test_a_caller_answered_while_the_link_was_down_is_answered_after_resync():
    s, call = State(), CallScript(2)
    run(s, call.start() + [call.join(ZZ)])
    caller = {"Channel": call.channel, "Uniqueid": call.uid, "Linkedid": call.uid, "BridgeId": "b1"}
    seat = {"Channel": "PJSIP/seat1001-00000009", "Uniqueid": "9.9", "Linkedid": call.uid, "BridgeId": "b1"}
    run(s, [{"Event": "LinkResync", "QueueStatus": [], "Channels": [caller, seat]}], at=15.0)
    live = s.nodes["node1"].calls[call.uid]
    assert live.answered_at == 15.0 and live.seat_interface == "PJSIP/seat1001"
    (rec,) = records(run(s, call.end_caller() + [{**call.seat_leg("Hangup", "1001", 9), "Uniqueid": "9.9"}], at=30.0))
    assert rec["outcome"] == "answered" and rec["talk_seconds"] == 15.0


def test_late_events_of_a_closed_call_do_not_open_a_second_record():
    s, call = State(), CallScript(3)
    events = call.answered(ZZ, "1001")
    run(s, events[:-1])  # the seat leg's Hangup is held back …
    out = run(s, [{"Event": "LinkResync", "QueueStatus": [], "Channels": []}])
    assert len(records(out)) == 1
    assert records(run(s, events[-1:])) == [] and s.nodes["node1"].calls == {}  # … and arrives late


def test_queue_positions_follow_asterisk_positions():
    s = State()
    a, b, c = CallScript(4), CallScript(5), CallScript(6)
    run(s, a.start() + b.start() + c.start() + [a.join(ZZ, 1), b.join(ZZ, 2), c.join(ZZ, 1)])
    assert s.nodes["node1"].queues[ZZ].callers == [c.uid, a.uid, b.uid]  # a priority caller went first
    run(s, a.end_caller())
    assert s.nodes["node1"].queues[ZZ].callers == [c.uid, b.uid]


def test_unknown_events_change_nothing():
    s = State()
    assert apply(s, {"Event": "DTMFEnd", "Digit": "1"}, 1.0) == (s, [])
    assert apply(s, {"Response": "Success"}, 1.0) == (s, [])


def test_a_seat_in_wrap_up_is_not_available_until_it_ends():
    from routing.snapshot import queue_view
    from routing.testing import member_event

    s = State(wrapup_seconds=10)
    call = CallScript(7)
    run(s, [member_event(ZZ, "1001", status=1)] + call.answered(ZZ, "1001"), at=100.0)
    run(s, [member_event(ZZ, "1001", status=1)], at=100.0)  # app_queue says NOT_INUSE during wrap-up
    q = s.nodes["node1"].queues[ZZ]
    assert queue_view(q, 105.0, {}, 240.0).available == 0
    assert queue_view(q, 111.0, {}, 240.0).available == 1
