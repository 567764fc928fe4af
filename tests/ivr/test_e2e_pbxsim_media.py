"""留言 and callback-number read-back end to end on pbxsim: RECORD FILE writes the caller's message, SAY DIGITS
reads the number back, and the dialplan ends the call by HOTLINE_ACTION; a seat hanging up leads to the survey."""
from __future__ import annotations

import array
import math
import wave

from sqlalchemy import select

from ivr.models import CallbackRequest, VoiceMessage
from pbxsim.parties import CallerScript
from pbxsim.recorder import write_wav
from tests.ivr.test_e2e_pbxsim import run_call

# main menu 2 (法律援助) at 3.5 s, aid menu 1 at 8.0 s: q-410100-aid, where nobody answers; Queue() times
# out at 69 s and after-queue offers 1 wait / 2 callback / 3 留言 from 74 s.
TO_AID = [(3.5, "2"), (8.0, "1")]


def speech(tmp_path) -> str:
    """Two seconds of a loud tone: the caller's message."""
    pcm = array.array("h", (int(8000 * math.sin(2 * math.pi * 440 * i / 8000)) for i in range(16000)))
    write_wav(tmp_path / "said.wav", pcm)
    return str(tmp_path / "said.wav")


async def test_voicemail_is_recorded_as_a_wav_and_the_call_ends(ivr_server, directory, tmp_path, kernel):
    chan = await run_call(ivr_server, directory, tmp_path, CallerScript(
        number="13800138000", did="037112348", speech=speech(tmp_path), dtmf=[*TO_AID, (75.0, "3")]), seconds=100)
    assert chan.variables["HOTLINE_ACTION"] == "voicemail"
    assert chan.hungup and chan.hangup_cause == 16  # the dialplan's Hangup(): never queued again
    async with kernel.sessions() as s:
        vm = (await s.execute(select(VoiceMessage))).scalar_one()
    with wave.open(vm.path, "rb") as w:
        frames = w.getnframes()
        pcm = array.array("h", w.readframes(frames))
    # 2 s of speech then 5 s of silence (the flow's silence_seconds) cut back to 1 s: 3 s kept
    assert frames == 24160 and max(pcm[:16000]) > 7000 and vm.seconds == frames / 8000
    # res_agi reports a silence end as "(timeout)"
    assert (vm.ended_by, vm.skill, vm.caller_number) == ("timeout", "aid", "13800138000")


async def test_callback_number_is_read_back_and_confirmed(ivr_server, directory, tmp_path, kernel):
    # 2 callback at 75 s, 2 another number at 77 s, 13912345678# keyed from 80 s; the read-back lasts
    # 11 digits × 0.6 s until 90.0 s, the confirm prompt 1 s more: 1 at 91.5 s confirms.
    keys = [(80.0 + 0.3 * i, d) for i, d in enumerate("13912345678#")]
    chan = await run_call(ivr_server, directory, tmp_path, CallerScript(
        number="13800138000", did="037112348", dtmf=[*TO_AID, (75.0, "2"), (77.0, "2"), *keys, (91.5, "1")]),
        seconds=110)
    assert (chan.variables["HOTLINE_ACTION"], chan.variables["HOTLINE_CALLBACK_NUMBER"]) == ("callback", "13912345678")
    assert chan.hungup and chan.hangup_cause == 16
    async with kernel.sessions() as s:
        cb = (await s.execute(select(CallbackRequest))).scalar_one()
    assert (cb.number, cb.caller_number, cb.skill) == ("13912345678", "13800138000", "aid")


async def test_a_key_pressed_during_the_read_back_is_not_taken_as_the_confirmation(ivr_server, directory, tmp_path,
                                                                                  kernel):
    keys = [(80.0 + 0.3 * i, d) for i, d in enumerate("13912345678#")]
    chan = await run_call(ivr_server, directory, tmp_path, CallerScript(
        number="13800138000", did="037112348", dtmf=[*TO_AID, (75.0, "2"), (77.0, "2"), *keys, (86.0, "1")]),
        seconds=100)
    assert chan.variables.get("HOTLINE_CALLBACK_NUMBER") != "13912345678"


async def test_after_the_seat_hangs_up_the_caller_is_surveyed(ivr_server, directory, tmp_path, kernel):
    from ivr.models import SurveyResult
    from pbxsim import calls
    from pbxsim.core import Simulator
    from pbxsim.parties import place_call
    from pbxsim.scheduler import Scheduler
    from pbxsim.setup import directory_config
    from tests.ivr.conftest import OPEN
    from tests.ivr.test_e2e_pbxsim import PROMPTS

    host, port = await ivr_server()
    sim = Simulator(directory_config(directory, f"agi://{host}:{port}", str(tmp_path), PROMPTS),
                    Scheduler(start=OPEN.timestamp()))
    assert sim.queues.add_member("q-410100-aid", "PJSIP/seat1001", "坐席1001", "", 0, False, "") is None
    chan = place_call(sim, CallerScript(number="13800138000", did="037112348", dtmf=[*TO_AID, (22.5, "5")]))
    await sim.sched.advance(20)  # queued at ~10 s, the seat answered 3 s later
    seat = sim.peer(chan)
    assert seat is not None and chan.variables["MEMBERINTERFACE"] == "PJSIP/seat1001"
    calls.remote_hangup(sim, seat)  # the seat hangs up first: Queue option c sends the caller on
    await sim.sched.advance(20)
    async with kernel.sessions() as s:
        row = (await s.execute(select(SurveyResult))).scalar_one()
    assert (row.linkedid, row.score) == (chan.linkedid, 5) and chan.context == "survey"
