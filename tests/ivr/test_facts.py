"""Facts for conditions: business hours with holidays and 调休, the caller from the AGI environment, queue load."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ivr.facts import call_info, caller_facts, hours_facts, queue_facts
from routing.state import Member, NodeState, Queue, State
from tests.ivr.fakeagi import env_block


def env(**kw) -> dict[str, str]:
    return dict(line.rstrip("\n").split(": ", 1) for line in env_block(**kw) if ": " in line)


@pytest.mark.parametrize("utc, is_open", [
    (datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc), True),    # Monday 10:00
    (datetime(2026, 11, 30, 4, 30, tzinfo=timezone.utc), False),  # Monday 12:30, lunch break
    (datetime(2026, 10, 1, 2, 0, tzinfo=timezone.utc), False),    # 国庆节
    (datetime(2026, 10, 10, 2, 0, tzinfo=timezone.utc), True),    # Saturday 调休 working day
    (datetime(2026, 2, 17, 2, 0, tzinfo=timezone.utc), False),    # 春节
])
def test_hours_follow_the_directory_calendar(directory, utc, is_open):
    assert hours_facts(directory, utc)["open"] is is_open


def test_caller_from_the_trace_environment():
    info = call_info(env(caller="13300005555", name="吴九", dnid="037112348"))
    assert (info.script, info.caller_number, info.caller_name, info.did) == ("ivr", "13300005555", "吴九", "037112348")
    facts = caller_facts(info)
    assert facts["mobile"] and facts["callback_ok"] and not facts["anonymous"]


def test_unknown_and_anonymous_callers_have_no_number_and_cannot_be_called_back():
    facts = caller_facts(call_info(env(caller="unknown", name="unknown")))
    assert facts["number"] == "" and facts["anonymous"] and not facts["callback_ok"]


def test_control_characters_in_the_environment_are_dropped():
    headers = env(name="张\x1b[31m三")
    assert call_info(headers).caller_name == "张[31m三"


def test_queue_load_is_summed_per_skill_over_centers():
    ns = NodeState("node1", queues={
        "q-410100-consult": Queue("q-410100-consult", callers=["a", "b"], members={
            "PJSIP/seat1001": Member("q-410100-consult", "PJSIP/seat1001", status=1),
            "PJSIP/seat1002": Member("q-410100-consult", "PJSIP/seat1002", status=1, paused=True)}),
        "q-410000-consult": Queue("q-410000-consult", callers=["c"]),
        "q-410000-aid": Queue("q-410000-aid"),
    })
    assert queue_facts(State(nodes={"node1": ns})) == {
        "consult": {"waiting": 3, "available": 1}, "aid": {"waiting": 0, "available": 0}}
