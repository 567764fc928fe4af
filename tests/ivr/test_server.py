"""The FastAGI server driven by an in-test Asterisk speaking AGI as in the traces: paths, bad input, hang-ups."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from ivr.models import CallbackRequest, IvrStep, SurveyResult, VoiceMessage
from tests.conftest import TRACES
from tests.ivr.conftest import CLOSED
from tests.ivr.fakeagi import Caller, FakeAsterisk, env_block, trace_connection


async def call(ivr_server, keys=(), clock=None, script="ivr", **caller):
    host, port = await (ivr_server(clock=clock) if clock else ivr_server())
    fake = FakeAsterisk(Caller(keys=list(keys), **caller), env=env_block(script=script))
    await fake.run(host, port)
    return fake


async def steps_of(kernel, linkedid="1795901443.0"):
    async with kernel.sessions() as s:
        rows = (await s.execute(select(IvrStep).where(IvrStep.linkedid == linkedid).order_by(IvrStep.seq))).scalars()
        return [(r.kind, r.node, r.digits) for r in rows]


def hotline_vars(fake):
    return {k: v for k, v in fake.variables.items() if k.startswith("HOTLINE_")}


PATHS = [
    (["1", "1"], "consult", "consult.marriage", "0"),
    (["1", "2"], "consult", "consult.labor", "0"),
    (["1", "6"], "consult", "consult.criminal", "0"),
    (["1", "8"], "consult", "consult.other", "0"),
    (["1", "0"], "consult", "consult.other", "0"),
    (["2", "1"], "aid", "aid.application", "0"),
    (["2", "2"], "aid", "aid.wage", "10"),
    (["3"], "mediation", "mediation.dispute", "0"),
    (["4", "1", "0"], "guide", "guide.notary", "0"),
    (["4", "2", "0"], "guide", "guide.forensic", "0"),
    (["4", "3", "0"], "guide", "guide.lawyer", "0"),
    (["5"], "complaint", "complaint.service", "0"),
    (["0"], "consult", "", "0"),
    (["9", "3"], "mediation", "mediation.dispute", "0"),
    (["1", "*", "5"], "complaint", "complaint.service", "0"),
]


@pytest.mark.parametrize("keys, skill, category, priority", PATHS, ids=["-".join(p[0]) for p in PATHS])
async def test_each_menu_path_reaches_its_skill_queue_with_its_variables(path_server, keys, skill, category, priority):
    fake = await call(path_server, keys)
    v = hotline_vars(fake)
    assert v["HOTLINE_ACTION"] == "queue"
    assert (v["HOTLINE_SKILL"], v["HOTLINE_CATEGORY"], v["HOTLINE_PRIORITY"]) == (skill, category, priority)
    assert v["HOTLINE_QUEUE"] == f"q-410000-{skill}"  # DID 12348, mobile caller: the provincial center
    assert v["HOTLINE_GREEN"] == ("1" if priority == "10" else "0")
    assert fake.sent[-1] == 'STREAM FILE hotline/transfer-seat ""'


async def test_prefecture_did_queues_in_that_prefecture(ivr_server):
    host, port = await ivr_server()
    fake = FakeAsterisk(Caller(keys=["3"]), env=env_block(dnid="037112348"))
    await fake.run(host, port)
    assert fake.variables["HOTLINE_QUEUE"] == "q-410100-mediation"
    assert fake.variables["HOTLINE_PREFECTURE"] == "410100"


async def test_timeouts_reprompt_then_fall_through_to_a_seat(ivr_server, kernel):
    fake = await call(ivr_server, [None, None, None])
    assert [c for c in fake.sent if c.startswith("GET DATA")] == ["GET DATA hotline/main-menu 5000 1"] * 3
    assert fake.sent.count('STREAM FILE hotline/no-input "0123456789*#"') == 2
    assert hotline_vars(fake)["HOTLINE_SKILL"] == "consult"
    kinds = [k for k, _, _ in await steps_of(kernel)]
    assert kinds.count("timeout") == 3 and kinds[-1] == "route"


async def test_invalid_keys_star_and_hash_reprompt_then_fall_through(ivr_server, kernel):
    fake = await call(ivr_server, ["7", "*", ""])  # "" is what GET DATA returns when only # was pressed
    assert fake.sent.count('STREAM FILE hotline/invalid "0123456789*#"') == 2
    assert hotline_vars(fake)["HOTLINE_ACTION"] == "queue"
    steps = await steps_of(kernel)
    assert [s for s in steps if s[0] in ("invalid", "timeout")] == [
        ("invalid", "main_menu", "7"), ("invalid", "main_menu", "*"), ("timeout", "main_menu", "")]


async def test_dtmf_flood_is_logged_and_treated_as_invalid(ivr_server, caplog):
    with caplog.at_level(logging.WARNING, logger="ivr.channel"):
        fake = await call(ivr_server, ["1234567890123456789012345678901234567890", "3"])
    assert "DTMF flood" in caplog.text
    assert hotline_vars(fake)["HOTLINE_SKILL"] == "mediation"


async def test_a_key_pressed_during_the_greeting_answers_the_main_menu(ivr_server):
    fake = await call(ivr_server, [], interrupt={"welcome": "5"})
    assert not any(c.startswith("GET DATA hotline/main-menu") for c in fake.sent)
    assert 'STREAM FILE hotline/recording-notice "0123456789*#"' not in fake.sent
    assert hotline_vars(fake)["HOTLINE_SKILL"] == "complaint"


async def test_hangup_mid_menu_leaves_a_clean_record(ivr_server, kernel):
    fake = await call(ivr_server, ["1"], hangup_on="GET DATA hotline/consult-menu")
    assert hotline_vars(fake) == {}
    steps = await steps_of(kernel)
    assert steps[0][0] == "start" and steps[-1] == ("hangup", "consult_menu", "")
    assert [k for k, _, _ in steps].count("hangup") == 1
    assert "route" not in [k for k, _, _ in steps]


async def test_hangup_during_prompt_playback_ends_cleanly(ivr_server, kernel, caplog):
    with caplog.at_level(logging.INFO, logger="ivr.runner"):
        fake = await call(ivr_server, [], hangup_on="STREAM FILE hotline/welcome")
    assert fake.sent[-1] == "CHANNEL STATUS"
    assert await steps_of(kernel) == [("start", "greeting", ""), ("hangup", "greeting", "")]
    assert "caller gone at greeting" in caplog.text


async def test_trace_hangup_in_ivr_replays_to_a_clean_record(ivr_server, kernel):
    env, trace_sent, replies = trace_connection(TRACES / "hangup-in-ivr.agi.jsonl")
    host, port = await ivr_server()
    fake = FakeAsterisk(env=env, replies=replies)
    await fake.run(host, port)
    assert fake.sent[:2] == trace_sent[:2] == ["ANSWER", 'STREAM FILE hotline/welcome "0123456789*#"']
    assert not any(c.startswith("SET VARIABLE") for c in fake.sent)
    assert await steps_of(kernel, "1795901677.0") == [("start", "greeting", ""), ("hangup", "greeting", "")]


async def test_a_garbage_reply_is_logged_and_the_call_goes_on(ivr_server, caplog):
    host, port = await ivr_server()
    fake = FakeAsterisk(Caller(keys=["3"]))
    original = fake.answer
    fake.answer = lambda cmd: ["HELLO I AM NOT ASTERISK"] if cmd.startswith("STREAM FILE hotline/recording") else original(cmd)
    with caplog.at_level(logging.WARNING):
        await fake.run(host, port)
    assert "unexpected line from Asterisk" in caplog.text and "HELLO I AM NOT ASTERISK" in caplog.text
    assert fake.variables["HOTLINE_SKILL"] == "mediation"


async def test_every_step_is_published_as_ivr_step_and_never_as_a_call_topic(ivr_server, kernel):
    sub = kernel.bus.subscribe("ivr.step")
    calls = kernel.bus.subscribe("call.*")
    await call(ivr_server, ["3"])
    msgs = []
    while not sub.queue.empty():
        msgs.append(sub.queue.get_nowait().payload)
    while not calls.queue.empty():  # call.* belongs to the routing engine's call payloads
        assert "step" not in calls.queue.get_nowait().payload
    assert [m["step"] for m in msgs] == ["start", "play", "condition", "choice", "route"]
    assert set(msgs[0]) >= {"linkedid", "uniqueid", "step", "node", "digits", "at"}
    assert msgs[0]["ami_node"] == "node1"
    assert msgs[3]["digits"] == "3" and msgs[3]["node"] == "main_menu"


@pytest.mark.parametrize("key, score, unsatisfied", [("1", 1, True), ("2", 2, True), ("3", 3, False), ("5", 5, False)])
async def test_survey_score_is_stored_and_published(ivr_server, kernel, key, score, unsatisfied):
    sub = kernel.bus.subscribe("call.survey")
    fake = await call(ivr_server, [key], script="survey")
    assert not any(c == "ANSWER" for c in fake.sent)
    async with kernel.sessions() as s:
        row = (await s.execute(select(SurveyResult))).scalar_one()
    assert (row.linkedid, row.score, row.unsatisfied) == ("1795901443.0", score, unsatisfied)
    payload = sub.queue.get_nowait().payload
    assert (payload["linkedid"], payload["score"], payload["unsatisfied"]) == ("1795901443.0", score, unsatisfied)


async def test_survey_without_a_valid_key_stores_no_score(ivr_server, kernel):
    fake = await call(ivr_server, ["9", None], script="survey")
    assert 'STREAM FILE hotline/invalid "0123456789*#"' in fake.sent
    async with kernel.sessions() as s:
        row = (await s.execute(select(SurveyResult))).scalar_one()
    assert (row.score, row.unsatisfied) == (None, False)


async def test_after_hours_duty_seat(ivr_server):
    fake = await call(ivr_server, ["1"], clock=CLOSED)
    assert 'GET DATA hotline/after-hours 5000 1' in fake.sent
    assert fake.variables["HOTLINE_QUEUE"] == "q-410000-consult"


async def test_after_hours_voicemail_is_recorded_and_stored(ivr_server, kernel, settings):
    fake = await call(ivr_server, ["3"], clock=CLOSED)
    rec = next(c for c in fake.sent if c.startswith("RECORD FILE"))
    assert rec.endswith(' wav "#" 120000 BEEP s=5') and "/voicemail/2026/11/30/1795901443.0-" in rec
    assert fake.variables["HOTLINE_ACTION"] == "voicemail"
    async with kernel.sessions() as s:
        vm = (await s.execute(select(VoiceMessage))).scalar_one()
    assert vm.seconds == 5.0 and vm.ended_by == "dtmf" and vm.path.startswith(str(settings.recordings_dir))


async def test_voicemail_ended_by_hanging_up_is_still_stored(ivr_server, kernel):
    await call(ivr_server, ["3"], clock=CLOSED, hangup_on="RECORD FILE")
    async with kernel.sessions() as s:
        vm = (await s.execute(select(VoiceMessage))).scalar_one()
    assert vm.ended_by == "hangup" and vm.seconds == 3.0
    assert (await steps_of(kernel))[-1][0] == "hangup"


async def test_callback_to_the_calling_number(ivr_server, kernel):
    fake = await call(ivr_server, ["2", "1"], clock=CLOSED)
    assert fake.variables["HOTLINE_ACTION"] == "callback"
    assert fake.variables["HOTLINE_CALLBACK_NUMBER"] == "13800138000"
    async with kernel.sessions() as s:
        cb = (await s.execute(select(CallbackRequest))).scalar_one()
    assert (cb.number, cb.status) == ("13800138000", "pending")


async def test_callback_to_another_number_is_read_back_and_confirmed(ivr_server, kernel):
    fake = await call(ivr_server, ["2", "2", "12345", "13912345678", "2", "13912345679", "1"], clock=CLOSED)
    assert fake.sent.count("SAY DIGITS 13912345678 \"\"") == 1
    assert fake.sent.count("SAY DIGITS 13912345679 \"\"") == 1
    assert fake.variables["HOTLINE_CALLBACK_NUMBER"] == "13912345679"
    kinds = [k for k, _, _ in await steps_of(kernel)]
    assert "invalid" in kinds and "reenter" in kinds and "confirmed" in kinds


async def test_after_queue_timeout_offers_to_keep_waiting_with_higher_priority(ivr_server):
    fake = await call(ivr_server, ["1"], script="after-queue", variables={"QUEUESTATUS": "TIMEOUT", "HOTLINE_SKILL": "aid"})
    assert fake.sent[:2] == ["GET VARIABLE QUEUESTATUS", "GET VARIABLE HOTLINE_SKILL"]
    assert (fake.variables["HOTLINE_SKILL"], fake.variables["HOTLINE_PRIORITY"]) == ("aid", "5")


async def test_after_queue_long_wait_callback_offer(ivr_server):
    fake = await call(ivr_server, ["2", "1"], script="after-queue", variables={"QUEUESTATUS": "TIMEOUT", "HOTLINE_SKILL": "aid"})
    assert fake.variables["HOTLINE_ACTION"] == "callback"


async def test_after_queue_with_nothing_to_offer_says_goodbye(ivr_server):
    fake = await call(ivr_server, [], script="after-queue", variables={"QUEUESTATUS": "CONTINUE"})
    assert fake.variables["HOTLINE_ACTION"] == "hangup"
    assert fake.sent[-1] == 'STREAM FILE hotline/goodbye ""'


async def test_callback_ivr_connects_the_citizen_to_the_skill_of_the_original_call(ivr_server, kernel):
    fake = await call(ivr_server, ["1"], script="callback-ivr",
                      variables={"HOTLINE_SKILL": "mediation", "CHANNEL(linkedid)": "1795900000.7"})
    assert (fake.variables["HOTLINE_SKILL"], fake.variables["HOTLINE_PRIORITY"]) == ("mediation", "20")
    assert (await steps_of(kernel, "1795900000.7"))[-1][0] == "route"


async def test_unknown_channel_skill_is_ignored(ivr_server):
    fake = await call(ivr_server, ["1"], script="after-queue", variables={"QUEUESTATUS": "TIMEOUT", "HOTLINE_SKILL": "x\"y"})
    assert fake.variables["HOTLINE_SKILL"] == "consult"


async def test_unknown_script_closes_with_a_log_line(ivr_server, caplog):
    with caplog.at_level(logging.ERROR, logger="ivr.agi"):
        fake = await call(ivr_server, [], script="nonsense")
    assert fake.sent == []
    assert "no script 'nonsense'" in caplog.text


# The capture server's script as a flow: welcome, a one-key menu, 1 → consult.
TRACE_FLOW = {"name": "trace", "entries": {"ivr": "welcome"}, "nodes": {
    "welcome": {"type": "play", "prompts": ["welcome"], "next": "menu"},
    "menu": {"type": "menu", "prompt": "menu", "timeout": 5, "retries": 0, "choices": {"1": "consult"}, "fallback": "consult"},
    "consult": {"type": "route", "skill": "consult"},
}}
TRACE_CONNECTIONS = [(name, conn) for name in ("queue-answered", "queue-abandoned", "ring-no-answer", "overflow-redirect",
                                             "mixmonitor", "hold-blindtransfer") for conn in (1,)] + [("status-midcall", 1), ("status-midcall", 2)]


@pytest.mark.parametrize("name, conn", TRACE_CONNECTIONS, ids=[f"{n}-{c}" for n, c in TRACE_CONNECTIONS])
async def test_recorded_connections_replay_command_for_command(path_server, name, conn):
    from ivr.flow import parse_flow

    env, trace_sent, replies = trace_connection(TRACES / f"{name}.agi.jsonl", conn)
    host, port = await path_server(flow=parse_flow(TRACE_FLOW))
    fake = FakeAsterisk(env=env, replies=replies)
    await fake.run(host, port)
    assert fake.sent[:3] == trace_sent[:3] == ["ANSWER", 'STREAM FILE hotline/welcome "0123456789*#"', "GET DATA hotline/menu 5000 1"]
    assert (fake.variables["HOTLINE_ACTION"], fake.variables["HOTLINE_SKILL"]) == ("queue", "consult")


async def test_a_database_failure_never_drops_the_call(path_server, path_kernel, caplog):
    def broken():
        raise ConnectionError("database is down")

    path_kernel.sessions = broken
    with caplog.at_level(logging.ERROR, logger="ivr.journal"):
        fake = await call(path_server, ["3"])
    assert fake.variables["HOTLINE_SKILL"] == "mediation"
    assert "cannot store IvrStep" in caplog.text


async def test_environment_lines_that_are_not_agi_variables_are_logged_and_skipped(path_server, caplog):
    host, port = await path_server()
    env = env_block()
    env.insert(3, "Hello from a port scanner\n")
    fake = FakeAsterisk(Caller(keys=["3"]), env=env)
    with caplog.at_level(logging.WARNING, logger="ivr.agi"):
        await fake.run(host, port)
    assert "not an agi_* variable" in caplog.text
    assert fake.variables["HOTLINE_SKILL"] == "mediation"


async def test_a_command_that_gets_no_reply_ends_the_call_with_a_record(path_server, path_kernel, monkeypatch):
    monkeypatch.setattr("ivr.channel.QUICK", 0.2)
    host, port = await path_server()
    fake = FakeAsterisk(Caller(keys=["3"]))
    original = fake.answer
    fake.answer = lambda cmd: [] if cmd.startswith("SET VARIABLE") else original(cmd)  # Asterisk went silent
    await fake.run(host, port)
    async with path_kernel.sessions() as s:
        rows = (await s.execute(select(IvrStep).where(IvrStep.kind == "agi-timeout"))).scalars().all()
    assert rows and rows[-1].node == "route_mediation"


async def test_a_prompt_reply_that_never_comes_times_out_after_its_length(path_server, path_kernel, monkeypatch):
    import wave

    folder = path_kernel.settings.prompts_dir / "hotline"
    folder.mkdir(parents=True, exist_ok=True)
    with wave.open(str(folder / "welcome.wav"), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(bytes(1600))  # 0.1 s
    monkeypatch.setattr("ivr.channel.MARGIN", 0.2)
    host, port = await path_server()
    fake = FakeAsterisk(Caller(keys=["3"]))
    original = fake.answer
    fake.answer = lambda cmd: [] if cmd.startswith("STREAM FILE hotline/welcome") else original(cmd)
    await fake.run(host, port, timeout=5)  # the flow's 180 s default would outlast this
    assert fake.sent[-1].startswith("STREAM FILE hotline/welcome")
    async with path_kernel.sessions() as s:
        row = (await s.execute(select(IvrStep).where(IvrStep.kind == "agi-timeout", IvrStep.node == "greeting"))).scalars().first()
    assert row is not None
