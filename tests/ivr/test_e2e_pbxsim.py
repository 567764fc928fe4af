"""End to end against pbxsim: its FastAGI client dials our server as Asterisk does; callers press keys on a
timeline in simulated time and land in the skill queue the dialplan then runs."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.models import IvrStep
from ivr.prompts import load_catalogue
from pbxsim.core import Simulator
from pbxsim.parties import CallerScript, place_call
from pbxsim.scheduler import Scheduler
from pbxsim.setup import directory_config
from tests.ivr.conftest import OPEN

# Every prompt lasts one simulated second; menus then wait 5 s for a key.
PROMPTS = {f"hotline/{pid}": 1.0 for pid in load_catalogue()}


async def run_call(ivr_server, directory, tmp_path, script: CallerScript, seconds: float = 40):
    host, port = await ivr_server()
    sched = Scheduler(start=OPEN.timestamp())
    sim = Simulator(directory_config(directory, f"agi://{host}:{port}", str(tmp_path), PROMPTS), sched)
    chan = place_call(sim, script)
    await sched.advance(seconds)
    return chan


# welcome 0–1 s, recording notice 1–2 s, main menu 2–3 s then waits: a key at 3.5 s answers it;
# the next menu's prompt runs 3.5–4.5 s: a key at 5.0 s answers that one.
CASES = [
    ([(3.5, "1"), (5.0, "2")], "consult", "consult.labor"),
    ([(3.5, "1"), (5.0, "5")], "consult", "consult.traffic"),
    ([(3.5, "2"), (8.0, "2")], "aid", "aid.wage"),  # aid explanation: two prompts before the aid menu
    ([(3.5, "3")], "mediation", "mediation.dispute"),
    ([(3.5, "4"), (5.0, "2"), (7.0, "0")], "guide", "guide.forensic"),
    ([(3.5, "5")], "complaint", "complaint.service"),
    ([(3.5, "0")], "consult", ""),
    ([(0.5, "3")], "mediation", "mediation.dispute"),  # pressed during the greeting
]


@pytest.mark.parametrize("dtmf, skill, category", CASES, ids=[f"{c[1]}-{c[2] or 'person'}-{c[0][0][0]}" for c in CASES])
async def test_caller_reaches_the_skill_queue_with_the_right_variables(path_server, directory, tmp_path, dtmf, skill, category):
    chan = await run_call(path_server, directory, tmp_path, CallerScript(number="037166668888", name="李四", did="037112348", dtmf=dtmf))
    v = chan.variables
    assert (v.get("HOTLINE_ACTION"), v.get("HOTLINE_SKILL"), v.get("HOTLINE_CATEGORY")) == ("queue", skill, category)
    assert v["HOTLINE_QUEUE"] == f"q-410100-{skill}" and v["HOTLINE_PREFECTURE"] == "410100"
    assert chan.application == "Queue" and chan.app_data.startswith(f"q-410100-{skill},")


async def test_silent_caller_is_reprompted_then_reaches_a_seat(ivr_server, directory, tmp_path, kernel):
    chan = await run_call(ivr_server, directory, tmp_path, CallerScript(number="13800138000", did="12348"), seconds=60)
    assert chan.variables["HOTLINE_SKILL"] == "consult" and chan.application == "Queue"
    async with kernel.sessions() as s:
        kinds = [r.kind for r in (await s.execute(select(IvrStep).order_by(IvrStep.id))).scalars()]
    assert kinds.count("timeout") == 3 and kinds[-1] == "route"


async def test_invalid_keys_then_a_valid_one(ivr_server, directory, tmp_path):
    chan = await run_call(ivr_server, directory, tmp_path, CallerScript(
        number="13800138000", dtmf=[(3.5, "7"), (5.5, "*"), (7.5, "3")]))
    assert chan.variables["HOTLINE_SKILL"] == "mediation"


async def test_caller_hanging_up_mid_menu_leaves_a_clean_record(ivr_server, directory, tmp_path, kernel):
    chan = await run_call(ivr_server, directory, tmp_path, CallerScript(
        number="13800138000", dtmf=[(3.5, "1")], hangup_after=4.0))
    assert chan.hungup and "HOTLINE_QUEUE" not in chan.variables
    async with kernel.sessions() as s:
        rows = (await s.execute(select(IvrStep).order_by(IvrStep.id))).scalars().all()
    assert [r.kind for r in rows][-1] == "hangup" and rows[-1].node == "consult_menu"
    assert "route" not in [r.kind for r in rows]


async def test_caller_hanging_up_during_the_greeting(ivr_server, directory, tmp_path, kernel):
    chan = await run_call(ivr_server, directory, tmp_path, CallerScript(number="13800138000", hangup_after=0.5))
    assert chan.hungup
    async with kernel.sessions() as s:
        rows = (await s.execute(select(IvrStep).order_by(IvrStep.id))).scalars().all()
    assert [(r.kind, r.node) for r in rows] == [("start", "greeting"), ("hangup", "greeting")]


@pytest.mark.parametrize("key, score, unsatisfied", [("2", 2, True), ("5", 5, False)])
async def test_survey_context_stores_the_score(ivr_server, directory, tmp_path, kernel, key, score, unsatisfied):
    from pbxsim import calls
    from pbxsim.dialplan import run_pbx
    from pbxsim.model import UP

    from ivr.models import SurveyResult

    sub = kernel.bus.subscribe("call.survey")
    host, port = await ivr_server()
    sched = Scheduler(start=OPEN.timestamp())
    sim = Simulator(directory_config(directory, f"agi://{host}:{port}", str(tmp_path), PROMPTS), sched)
    # The caller's channel after the seat hung up, sent on to the `survey` context.
    chan = sim.new_channel("caller", state=UP, context="survey", exten="s", cid_num="13800138000", cid_name="张三")
    chan.party = CallerScript(number="13800138000")
    sched.call_later(1.5, calls.dtmf, sim, chan, key)
    sim.spawn(run_pbx(sim, chan))
    await sched.advance(20)
    async with kernel.sessions() as s:
        row = (await s.execute(select(SurveyResult))).scalar_one()
    assert (row.linkedid, row.score, row.unsatisfied) == (chan.linkedid, score, unsatisfied)
    assert sub.queue.get_nowait().payload["unsatisfied"] is unsatisfied


async def test_long_wait_after_queue_offers_a_callback(ivr_server, directory, tmp_path, kernel):
    from ivr.models import CallbackRequest

    # Nobody answers q-410100-aid: Queue() times out after 60 s, the after-queue script offers
    # 1 keep waiting / 2 callback / 3 留言; the caller presses 2, then 1 for this number.
    chan = await run_call(ivr_server, directory, tmp_path, CallerScript(
        number="13800138000", did="037112348", dtmf=[(3.5, "2"), (8.0, "1"), (75.0, "2"), (77.0, "1")]), seconds=100)
    assert chan.variables["QUEUESTATUS"] == "TIMEOUT"
    assert (chan.variables["HOTLINE_ACTION"], chan.variables["HOTLINE_CALLBACK_NUMBER"]) == ("callback", "13800138000")
    async with kernel.sessions() as s:
        cb = (await s.execute(select(CallbackRequest))).scalar_one()
    assert (cb.number, cb.skill) == ("13800138000", "aid")
