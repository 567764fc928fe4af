"""Pure pieces: text normalisation, timeline merge, MixMonitor plan, access rules, quality scoring, sampling."""
from __future__ import annotations

from pathlib import Path

import pytest

from hotline.auth import Principal, Role
from recordings.access import CallOwner, may_access
from recordings.policy import center_of_queue, plan_monitor
from recordings.quality import RuleSet, score_call, should_sample
from recordings.search import highlight_spans, snippet_html
from recordings.transcripts import leg_segments, merge_timeline, normalise_text


def w(word, start, end):
    return {"word": word, "start": start, "end": end, "conf": 1.0}


def test_spaces_between_han_characters_are_removed_but_not_between_latin_words():
    assert normalise_text("您好 ， 12348 法律 咨询 热线") == "您好，12348法律咨询热线"
    assert normalise_text("我 用 WeChat 联系") == "我用 WeChat 联系"
    assert normalise_text("  hello   world ") == "hello world"
    assert normalise_text("안녕 하세요") == "안녕 하세요"


def test_timeline_interleaves_legs_by_start_time():
    caller = leg_segments("in", "来电人", [[w("我", 1.0, 1.2), w("想", 1.2, 1.4)], [w("离婚", 6.0, 6.5)]])
    seat = leg_segments("out", "坐席", [[w("您好", 0.0, 0.5)], [w("请讲", 3.0, 3.4)]])
    merged = merge_timeline(caller, seat)
    assert [(s.speaker, s.text) for s in merged] == [("坐席", "您好"), ("来电人", "我想"), ("坐席", "请讲"),
                                                     ("来电人", "离婚")]


def test_monitor_plan_records_legs_with_r_and_t_on_the_caller_channel():
    plan = plan_monitor({"linkedid": "1795901609.0", "caller_channel": "PJSIP/caller-00000000",
                         "at": "2026-11-28T21:33:41+00:00"}, Path("/var/rec"))
    assert plan.channel == "PJSIP/caller-00000000"
    assert plan.file == "/var/rec/2026/11/28/1795901609.0-mix.wav"
    assert plan.options == "r(/var/rec/2026/11/28/1795901609.0-in.wav)t(/var/rec/2026/11/28/1795901609.0-out.wav)"


@pytest.mark.parametrize("payload", [
    {"linkedid": "1.1", "caller_channel": "PJSIP/x\r\nAction: Hangup", "at": "2026-11-28T00:00:00Z"},
    {"linkedid": "../1.1", "caller_channel": "PJSIP/x", "at": "2026-11-28T00:00:00Z"},
    {"linkedid": "1.1", "caller_channel": "", "at": "2026-11-28T00:00:00Z"},
])
def test_monitor_plan_refuses_unsafe_payloads(payload):
    with pytest.raises(ValueError):
        plan_monitor(payload, Path("/var/rec"))


def test_monitor_plan_refuses_a_recordings_dir_mixmonitor_would_misparse():
    with pytest.raises(ValueError, match="recordings_dir"):
        plan_monitor({"linkedid": "1.1", "caller_channel": "PJSIP/a", "at": "2026-11-28T00:00:00Z"}, Path("/var/rec(1)"))


def test_center_comes_from_the_queue_name():
    assert center_of_queue("q-410100-consult") == "410100"
    assert center_of_queue("q-bad") is None


@pytest.mark.parametrize("role,center,seat,expected", [
    (Role.SEAT, "410100", "1001", True), (Role.SEAT, "410100", "1002", False),
    (Role.SUPERVISOR, "410100", None, True), (Role.SUPERVISOR, "410200", None, False),
    (Role.AUDITOR, None, None, True), (Role.ADMIN, None, None, True), (Role.INTEGRATION, None, None, False),
])
def test_access_rules(role, center, seat, expected):
    p = Principal("u", role, center, seat)
    assert may_access(p, CallOwner("1001", "410100")) is expected


def test_unknown_call_is_visible_only_to_auditors_and_admins():
    assert not may_access(Principal("s", Role.SEAT, "410100", "1001"), None)
    assert may_access(Principal("a", Role.AUDITOR), None)


def _call(seat_words, caller_words=()):
    return merge_timeline(leg_segments("out", "坐席", [seat_words]), leg_segments("in", "来电人", [list(caller_words)]))


def test_a_model_call_scores_full_marks():
    seat = [w("您好", 0.2, 0.5), w("12348", 0.5, 1.0), w("请讲", 1.0, 1.4), w("感谢", 8.0, 8.4), w("您的", 8.4, 8.6),
            w("来电", 8.6, 9.0)]
    res = score_call(_call(seat, [w("我", 2.0, 2.3), w("想", 2.3, 2.6), w("咨询", 2.6, 3.0)]), 9.5)
    assert (res.score, res.passed, res.findings) == (100, True, ())


def test_missing_opening_closing_and_a_forbidden_promise_are_each_penalised():
    seat = [w("喂", 0.2, 0.5), w("这个", 2.0, 2.3), w("保证", 2.3, 2.6), w("胜诉", 2.6, 3.0)]
    res = score_call(_call(seat), 4.0)
    assert sorted(f.rule for f in res.findings) == ["closing", "forbidden", "opening"]
    assert res.score == 100 - 20 - 10 - 30 and not res.passed
    assert next(f for f in res.findings if f.rule == "forbidden").at == 0.2


def test_long_silence_and_talk_over_come_from_word_timings():
    seat = [w("您好", 0.0, 0.4), w("12348", 0.4, 1.0), w("再见", 20.0, 24.0)]
    caller = [w("喂喂", 19.5, 23.8)]
    res = score_call(_call(seat, caller), 25.0, RuleSet(max_silence_s=10, max_talkover_s=3))
    rules = {f.rule: f for f in res.findings}
    assert set(rules) == {"silence", "talkover"}
    assert rules["silence"].at == 1.0 and "18.5" in rules["silence"].detail
    assert "3.8" in rules["talkover"].detail


def test_rule_sets_load_from_plain_data_and_reject_unknown_keys():
    assert RuleSet.from_dict({"name": "夜间", "forbidden": ["包赢"]}).forbidden == ("包赢",)
    with pytest.raises(ValueError, match="unknown"):
        RuleSet.from_dict({"forbiden": []})


def test_sampling_never_falls_below_five_percent_and_takes_every_failed_call():
    scored = sampled = 0
    for _ in range(1000):
        if should_sample(scored, sampled, draw=0.99):  # unlucky draws only: the floor alone
            sampled += 1
        scored += 1
        assert sampled >= 0.05 * scored
    assert sampled == 50
    assert should_sample(10, 10, draw=0.99, failed=True)
    assert should_sample(10, 10, draw=0.01)


def test_highlights_mark_every_occurrence_and_escape_html():
    text = "我想咨询<离婚>，离婚财产怎么分"
    spans = highlight_spans(text, "离婚")
    assert spans == [(5, 7), (9, 11)]
    assert snippet_html(text, spans) == "我想咨询&lt;<mark>离婚</mark>&gt;，<mark>离婚</mark>财产怎么分"


def test_a_worker_dying_at_start_is_restarted_with_growing_back_off():
    from recordings.pool import restart_delay

    assert [restart_delay(n) for n in range(9)] == [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
