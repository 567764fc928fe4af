"""Every reference trace replayed through the real parser and state gives its outcome table's records."""
import pytest

from routing.capture import read_capture
from routing.replay import replay
from tests.conftest import TRACES

# (caller, queues visited, wait s measured, seat, talk s measured, who hung up, outcome) per the .md tables
EXPECTED = {
    "queue-answered": [("13800138000", ["q-410100-consult"], 3.0, "1001", 10.5, "caller", "answered")],
    "queue-abandoned": [("13912345678", ["q-410100-consult"], 12.1, None, None, "caller", "abandoned")],
    "ring-no-answer": [("13700001111", ["q-410100-linear"], 19.0, "1002", 8.0, "seat", "answered")],
    "overflow-redirect": [("13600002222", ["q-410100-consult", "q-410000-consult"], 10.0, "1003", 8.5, "caller",
                           "answered")],
    "mixmonitor": [("13500003333", ["q-410100-consult"], 2.0, "1001", 13.5, "caller", "answered")],
    "hold-blindtransfer": [("13400004444", ["q-410100-consult"], 2.0, "1001", 8.0, "caller", "handoff")],
    "hangup-in-ivr": [("13300005555", [], None, None, None, "caller", "abandoned")],
    "status-midcall": [("13200006666", ["q-410100-consult"], 2.0, "1001", 14.5, "caller", "answered"),
                       ("13100007777", ["q-410100-consult"], 15.5, None, None, "caller", "abandoned")],
    "originate-callback": [("13800138000", [], None, "1001", 8.0, "seat", "answered"),
                           ("13800138000", [], None, "1002", None, None, "originate-failed"),
                           ("13800138000", [], None, "1003", None, None, "originate-failed")],
    "ami-basics": [], "member-admin": [],
}


def _approx(value, expected):
    return value is None if expected is None else value == pytest.approx(expected, abs=0.06)


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_trace_replay_gives_the_outcome_table(scenario):
    result = replay(read_capture(TRACES / f"{scenario}.ami.jsonl"))
    assert result.live_calls() == []
    got = result.records
    assert len(got) == len(EXPECTED[scenario])
    for rec, (number, queues, wait, seat, talk, hung, outcome) in zip(got, EXPECTED[scenario]):
        assert rec["caller_number"] == number
        assert rec["queues_visited"] == queues
        assert _approx(rec["wait_seconds"], wait), rec["wait_seconds"]
        assert rec["seat_extension"] == seat
        assert _approx(rec["talk_seconds"], talk), rec["talk_seconds"]
        assert rec["hangup_by"] == hung
        assert rec["outcome"] == outcome


def test_overflow_redirect_is_not_counted_as_an_abandon():
    (rec,) = replay(read_capture(TRACES / "overflow-redirect.ami.jsonl")).records
    assert [q["result"] for q in rec["queues"]] == ["redirected", "answered"]
    assert rec["overflowed"] and [q["asterisk_holdtime"] for q in rec["queues"]] == [8, 2]


def test_ring_no_answer_is_counted_and_first_seat_recorded():
    (rec,) = replay(read_capture(TRACES / "ring-no-answer.ami.jsonl")).records
    assert rec["ring_no_answer"] == 1
    assert [(r["interface"], r["result"]) for r in rec["rings"]] == [("PJSIP/seat1001", "noanswer"),
                                                                       ("PJSIP/seat1002", "answered")]


def test_hold_time_and_blind_transfer_target_are_recorded():
    (rec,) = replay(read_capture(TRACES / "hold-blindtransfer.ami.jsonl")).records
    assert rec["hold_seconds"] == pytest.approx(3.0, abs=0.06)
    assert rec["transfer"]["context"] == "handoff-12345" and rec["transfer"]["exten"] == "12345"
    assert rec["complete_reason"] == "transfer"


def test_chinese_names_and_abandon_details_survive_replay():
    result = replay(read_capture(TRACES / "status-midcall.ami.jsonl"))
    answered, abandoned = result.records
    assert answered["caller_name"] == "郑十" and abandoned["caller_name"] == "钱十一"
    assert abandoned["abandoned_in"] == "queue" and not abandoned["short_abandon"]
    assert answered["legs"][0]["channel"] == "PJSIP/caller-00000000"


def test_ivr_hangup_is_an_ivr_abandon_not_a_short_queue_abandon():
    (rec,) = replay(read_capture(TRACES / "hangup-in-ivr.ami.jsonl")).records
    assert rec["abandoned_in"] == "ivr" and rec["short_abandon"] is False and rec["queued_at"] is None


def test_member_admin_trace_leaves_the_member_state_asterisk_reported():
    result = replay(read_capture(TRACES / "member-admin.ami.jsonl"))
    queue = result.state.nodes["node1"].queues["q-410100-consult"]
    assert list(queue.members) == ["PJSIP/seat1002"] and queue.members["PJSIP/seat1002"].name == "王律师(1002)"
    seat1001 = [p for t, p in result.domain_events if t == "member.status" and p["extension"] == "1001"]
    assert (seat1001[0]["paused"], seat1001[0]["paused_reason"]) == (True, "签到未就绪")
    assert seat1001[-1]["status"] == "INVALID"  # removed
