"""RECORD FILE and SAY DIGITS over FastAGI, as res_agi.c answers them, with a real WAV written."""
from __future__ import annotations

import array
import asyncio
import math
import wave

import pytest

from pbxsim.agi_media import natural_end, parse_record
from pbxsim.core import Endpoint, PbxConfig, Simulator
from pbxsim.parties import CallerScript, place_call
from pbxsim.recorder import write_wav
from pbxsim.scheduler import Scheduler
from tests.pbxsim.test_agi import ScriptedAgi

DIGITS = {f"digits/{d}": 0.5 for d in "0123456789"}


async def run(commands, script, prompts=None, seconds=30.0):
    agi = ScriptedAgi(commands)
    server = await asyncio.start_server(agi.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    cfg = PbxConfig(fastagi_url=f"agi://127.0.0.1:{port}", endpoints=[Endpoint("caller", registered=False)],
                    prompt_seconds={"beep": 0.25, **DIGITS, **(prompts or {})})
    sim = Simulator(cfg, Scheduler(start=1_800_000_000.0))
    place_call(sim, script)
    await sim.sched.advance(seconds)
    server.close()
    return agi, sim


@pytest.fixture
def speech(tmp_path):
    """Two seconds of a loud 440 Hz tone: what the caller says."""
    pcm = array.array("h", (int(8000 * math.sin(2 * math.pi * 440 * i / 8000)) for i in range(16000)))
    path = tmp_path / "said.wav"
    write_wav(path, pcm)
    return str(path)


def frames(path) -> array.array:
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        out = array.array("h")
        out.frombytes(w.readframes(w.getnframes()))
        return out


def test_record_arguments_follow_res_agi_rules():
    a = parse_record(["/tmp/m", "wav", "#", "60000", "BEEP", "s=3"])
    assert (a.timeout_ms, a.beep, a.silence_ms, a.offset) == (60000, True, 3000, 0)
    a = parse_record(["/tmp/m", "wav", "#", "-1", "s=2"])
    assert (a.timeout_ms, a.beep, a.silence_ms) == (-1, False, 2000)
    assert parse_record(["/tmp/m", "wav", "#"]) is None and parse_record(["/tmp/m", "wav", "#", "abc"]) is None


def test_silence_detector_stops_after_the_allowed_silence():
    loud = array.array("h", [3000, -3000] * 8000)
    assert natural_end(loud, 60000, 3000) == (16000 + 3020 * 8, True)
    assert natural_end(loud, 1000, 3000) == (8000, False)


async def test_message_ended_by_silence_is_written_with_one_second_of_it(tmp_path, speech):
    target = tmp_path / "vm" / "msg"
    (tmp_path / "vm").mkdir()
    agi, _ = await run([f'RECORD FILE {target} wav "#" 60000 BEEP s=3'], CallerScript("13800138000", speech=speech))
    # 2 s of speech, 3.02 s of silence detected, then rewound by 2 s: 3.0 s kept
    assert agi.replies == ["200 result=0 (timeout) endpos=24160\n"]
    pcm = frames(f"{target}.wav")
    assert len(pcm) == 24160 and max(pcm[:16000]) > 7000 and max(pcm[16000:]) == 0


async def test_hash_ends_the_message_and_chops_the_last_200_ms(tmp_path, speech):
    target = tmp_path / "msg"
    agi, _ = await run([f'RECORD FILE {target} wav "#" 60000 BEEP s=5'],
                       CallerScript("13800138000", speech=speech, dtmf=[(1.25, "#")]))
    assert agi.replies == ["200 result=35 (dtmf) endpos=6400\n"]  # 1.0 s recorded, minus 0.2 s
    assert len(frames(f"{target}.wav")) == 6400


async def test_hanging_up_keeps_what_was_said(tmp_path, speech):
    target = tmp_path / "msg"
    agi, _ = await run([f'RECORD FILE {target} wav "#" 60000 BEEP s=5'],
                       CallerScript("13800138000", speech=speech, hangup_after=1.75))
    assert agi.replies == ["200 result=-1 (hangup) endpos=12000\n"]
    assert len(frames(f"{target}.wav")) == 12000


async def test_timeout_ends_a_long_message(tmp_path, speech):
    target = tmp_path / "msg"
    agi, _ = await run([f'RECORD FILE {target} wav "#" 1000'], CallerScript("13800138000", speech=speech))
    assert agi.replies == ["200 result=0 (timeout) endpos=8000\n"]
    assert len(frames(f"{target}.wav")) == 8000


async def test_record_usage_and_unwritable_target(tmp_path):
    agi, _ = await run(["RECORD FILE /tmp/x wav", f'RECORD FILE {tmp_path}/no/such/dir/m wav "#" 1000',
                        f'RECORD FILE {tmp_path}/m mp9 "#" 1000'], CallerScript("13800138000"))
    assert agi.replies[0].startswith("520-") and "RECORD FILE <filename> <format>" in agi.replies[0]
    assert agi.replies[1] == "200 result=-1 (writefile)\n"
    assert agi.replies[2] == "200 result=-1 (writefile)\n"


async def test_say_digits_lasts_a_digit_file_per_digit():
    # "#" at 2.2 s: inside a five-digit read-back (2.5 s), after a three-digit one (1.5 s)
    agi, _ = await run(['SAY DIGITS 13800 "#"'], CallerScript("13800138000", dtmf=[(2.2, "#")]))
    assert agi.replies == ["200 result=35\n"]
    agi, _ = await run(['SAY DIGITS 138 "#"'], CallerScript("13800138000", dtmf=[(2.2, "#")]))
    assert agi.replies == ["200 result=0\n"]


async def test_say_digits_errors_and_hangup():
    agi, _ = await run(['SAY DIGITS abc ""', "SAY DIGITS 12"], CallerScript("13800138000"))
    assert all(r.startswith("520-") for r in agi.replies)
    assert "SAY DIGITS <number> <escape_digits>" in agi.replies[0]
    agi, _ = await run(['SAY DIGITS 13800138000 ""'], CallerScript("13800138000", hangup_after=1.0))
    assert agi.replies == ["200 result=-1\n"]
