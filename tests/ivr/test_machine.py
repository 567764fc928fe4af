"""The pure flow interpreter: paths, retries, pending keys, collect/confirm, survey, limits — as plain data."""
from __future__ import annotations

import pytest

from ivr import machine as M
from ivr.flow import parse_flow

FACTS_OPEN = {"hours": {"open": True}, "caller": {"number": "13800138000", "callback_ok": True},
              "queue": {}, "directory": {"skills": ["consult", "aid", "mediation", "guide", "complaint"]}}


def drive(flow, script, outcomes, facts=FACTS_OPEN):
    """Feed outcomes to the machine; return (terminal effect, steps, effects asked)."""
    cur = M.start(flow, script)
    steps, effects = [], []
    outcomes = list(outcomes)
    while True:
        cur, effect, s = M.next_effect(flow, cur, facts)
        steps += s
        effects.append(effect)
        if isinstance(effect, M.TERMINAL_EFFECTS):
            return effect, steps, effects
        cur, pending = M.take_pending(cur)
        if pending is not None and isinstance(effect, M.Ask):
            outcome = pending
        else:
            outcome = outcomes.pop(0)
        cur, step = M.apply(flow, cur, effect, outcome)
        steps.append(step)


def play(n=1):
    return [M.Heard(None)] * n


def keys(*ks):
    return [M.Input(k, k == "") for k in ks]


@pytest.mark.parametrize("digits, skill, category", [
    (["1", "3"], "consult", "consult.contract"),
    (["1", "7"], "consult", "consult.administrative"),
    (["2"], "aid", "aid.application"),
    (["3"], "mediation", "mediation.dispute"),
    (["5"], "complaint", "complaint.service"),
    (["0"], "consult", None),
])
def test_open_hours_menu_paths_end_in_the_right_place(default_flow, digits, skill, category):
    outs = play() + [M.Input(digits[0])]
    if digits[0] == "2":
        outs += play() + keys("1")
    else:
        outs += keys(*digits[1:])
    effect, _, _ = drive(default_flow, "ivr", outs)
    assert isinstance(effect, M.Place) and (effect.skill, effect.category) == (skill, category)


def test_closed_hours_go_to_the_after_hours_menu(default_flow):
    facts = {**FACTS_OPEN, "hours": {"open": False}}
    effect, steps, effects = drive(default_flow, "ivr", play() + keys("1"), facts)
    assert effects[1] == M.Ask("after-hours", 5000, 1)
    assert isinstance(effect, M.Place) and effect.duty


def test_long_consult_queue_offers_a_callback_before_a_person(default_flow):
    facts = {**FACTS_OPEN, "queue": {"consult": {"waiting": 12, "available": 0}}}
    effect, _, effects = drive(default_flow, "ivr", play() + keys("0", "2", "1"), facts)
    assert M.Ask("busy-offer", 5000, 1) in effects
    assert effect == M.RegisterCallback("13800138000", None, "callback-registered")


def test_missing_queue_facts_never_block_a_person(default_flow):
    effect, _, _ = drive(default_flow, "ivr", play() + keys("0"))
    assert isinstance(effect, M.Place) and effect.skill == "consult"


def test_invalid_then_valid_key_continues_with_error_prompt_between(default_flow):
    effect, steps, effects = drive(default_flow, "ivr", play() + keys("8") + play() + keys("3"))
    assert M.Play(("invalid",)) in effects
    assert [s.kind for s in steps if s.node == "main_menu"] == ["invalid", "prompt", "choice"]
    assert effect.skill == "mediation"


def test_key_pressed_during_the_error_prompt_counts_as_the_answer(default_flow):
    effect, _, _ = drive(default_flow, "ivr", play() + keys("8") + [M.Heard("5")])
    assert effect.skill == "complaint"


def test_retries_exhausted_falls_back(default_flow):
    effect, steps, _ = drive(default_flow, "ivr", play() + keys("") + play() + keys("") + play() + keys(""))
    assert steps[-1].kind == "condition"  # busy_check → route_person
    assert [s.detail.get("fallback") for s in steps if s.kind == "timeout"][-1] == "busy_check"
    assert effect.skill == "consult" and effect.category is None


def test_repeat_forever_hits_the_step_limit_and_reaches_a_person(default_flow):
    effect, steps, _ = drive(default_flow, "ivr", play() + keys(*["9"] * 100))
    assert steps[-1].kind == "limit"
    assert isinstance(effect, M.Place) and effect.skill == "consult"


def test_step_limit_without_on_limit_ends_the_call():
    flow = parse_flow({"name": "t", "max_steps": 5, "entries": {"ivr": "m"}, "nodes": {
        "m": {"type": "menu", "prompt": "main-menu", "choices": {"9": "m", "1": "x"}, "fallback": "x"},
        "x": {"type": "hangup"}}})
    effect, _, _ = drive(flow, "ivr", keys(*["9"] * 10))
    assert effect == M.End(prompt=None, reason="limit")


COLLECT = {"name": "t", "entries": {"ivr": "c"}, "nodes": {
    "c": {"type": "collect", "prompt": "callback-enter-number", "var": "n", "min_digits": 11, "max_digits": 11,
          "pattern": "^1[3-9]\\d{9}$", "confirm_prompt": "callback-confirm", "next": "cb", "fallback": "bye"},
    "cb": {"type": "callback", "number_var": "n", "prompt": "callback-registered", "fallback": "bye"},
    "bye": {"type": "hangup"}}}


def test_collect_reads_back_and_confirms():
    flow = parse_flow(COLLECT)
    effect, _, effects = drive(flow, "ivr", keys("13912345678") + [M.Heard(None)] + keys("1"))
    assert M.SayDigits("13912345678") in effects
    assert effect == M.RegisterCallback("13912345678", None, "callback-registered")


@pytest.mark.parametrize("entered", ["12345", "1391234567x", "23912345678", "1*912345678"])
def test_collect_rejects_bad_numbers_then_falls_back(entered):
    flow = parse_flow(COLLECT)
    effect, steps, _ = drive(flow, "ivr", keys(entered) + play() + keys(entered) + play() + keys(entered))
    assert [s.kind for s in steps].count("invalid") == 3
    assert effect == M.End(None)


def test_callback_without_a_usable_number_goes_to_its_fallback(default_flow):
    facts = {**FACTS_OPEN, "hours": {"open": False}, "caller": {"number": "", "callback_ok": False}}
    effect, steps, _ = drive(default_flow, "ivr", play() + keys("2", "") + play() + keys("") + play() + keys(""), facts)
    assert isinstance(effect, M.TakeMessage)


@pytest.mark.parametrize("outs, score, unsatisfied", [
    (keys("1"), 1, True), (keys("2"), 2, True), (keys("3"), 3, False), (keys("4"), 4, False),
    (keys("0") + play() + keys("4"), 4, False), (keys("", ""), None, False), (keys("#") + play() + keys("6"), None, False),
])
def test_survey_scores(default_flow, outs, score, unsatisfied):
    effect, _, _ = drive(default_flow, "survey", outs)
    assert isinstance(effect, M.Scored) and (effect.score, effect.unsatisfied) == (score, unsatisfied)


@pytest.mark.parametrize("test, facts, expected", [
    ({"fact": "hours.open", "eq": True}, {"hours": {"open": True}}, True),
    ({"fact": "queue.consult.waiting", "ge": 10}, {"queue": {"consult": {"waiting": 3}}}, False),
    ({"fact": "queue.consult.waiting", "ge": 10}, {}, False),
    ({"fact": "caller.number", "startswith": "0371"}, {"caller": {"number": "037166668888"}}, True),
    ({"fact": "channel.QUEUESTATUS", "in": ["TIMEOUT", "FULL"]}, {"channel": {"QUEUESTATUS": "FULL"}}, True),
    ({"fact": "caller.number", "set": False}, {"caller": {"number": ""}}, True),
    ({"fact": "caller.number", "lt": 5}, {"caller": {"number": "abc"}}, False),
])
def test_condition_tests(test, facts, expected):
    from ivr.flow import Test
    assert M.holds(Test.model_validate(test), facts) is expected
