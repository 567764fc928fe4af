"""The synthetic-monitoring probe: verdicts, alarms on the bus, exit code, against real baresip."""
from __future__ import annotations

import asyncio
import shutil
import struct
from datetime import datetime, timezone

import pytest
from typer.testing import CliRunner

from hotline.bus import EventBus
from hotline.settings import get_settings
from integrations.sip.caller import CallResult, CallScript, SipCaller, SipTarget
from integrations.sip.cli import probe as probe_command
from integrations.sip.probe import ProbeRules, judge, probe_loop, probe_once, target_from

from .sipkit import Baresip, free_udp_port, tone_wav

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)
needs_baresip = pytest.mark.skipif(shutil.which("baresip") is None, reason="baresip is not installed")


def _pcm(seconds: float, amplitude: int) -> bytes:
    return b"".join(struct.pack("<h", amplitude if i % 2 else -amplitude) for i in range(int(8000 * seconds)))


@pytest.mark.parametrize("result,reason", [
    (CallResult(answered=False), "no-answer"),
    (CallResult(answered=False, error="registration with 10.0.0.1:5060 failed: Invalid Username"), "not-placed"),
    (CallResult(answered=False, failure=486), "rejected"),
    (CallResult(answered=True, setup_seconds=0.2, audio=_pcm(4, 0)), "no-greeting"),
    (CallResult(answered=True, setup_seconds=0.2, audio=_pcm(4, 30)), "no-greeting"),  # line noise only
    (CallResult(answered=True, setup_seconds=12.0, audio=_pcm(4, 8000)), "slow-answer"),
    (CallResult(answered=True, setup_seconds=0.2, audio=_pcm(0.5, 8000) + _pcm(3, 0)), "no-greeting"),
    (CallResult(answered=True, setup_seconds=0.2, audio=_pcm(2, 8000)), "ok"),
])
def test_judge_names_what_went_wrong(result, reason):
    outcome = judge(result, ProbeRules(), "sip:12348@10.0.0.1:5060", NOW)
    assert outcome.reason == reason and outcome.ok == (reason == "ok")
    assert outcome.at == "2026-11-28T08:00:00+00:00"


class ScriptedCaller(SipCaller):
    """A caller whose results are given in advance (for the loop's raise/clear logic)."""

    def __init__(self, results, stop: asyncio.Event):
        super().__init__(SipTarget("127.0.0.1", 5060))
        self.results, self.stop = list(results), stop

    async def arun(self, script):
        result = self.results.pop(0)
        if not self.results:
            self.stop.set()
        return result


async def test_loop_raises_once_per_failure_streak_and_clears():
    bus = EventBus()
    sub = bus.subscribe("alarm.*")
    good = CallResult(answered=True, setup_seconds=0.1, audio=_pcm(2, 8000))
    stop = asyncio.Event()
    caller = ScriptedCaller([CallResult(answered=False), CallResult(answered=False), good, good], stop)
    await probe_loop(caller, CallScript(), ProbeRules(), bus.publish, 0.01, stop)
    topics = []
    while not sub.queue.empty():
        topics.append(sub.queue.get_nowait().topic)
    assert topics == ["alarm.raised", "alarm.cleared"]


@needs_baresip
async def test_probe_alarms_when_the_far_end_does_not_answer(tmp_path):
    bus = EventBus()
    sub = bus.subscribe("alarm.raised")
    with Baresip(tmp_path / "bs", tone_wav(tmp_path / "g.wav", 3.0), answer="manual") as phone:
        caller = SipCaller(SipTarget("127.0.0.1", phone.port))
        outcome = await probe_once(caller, CallScript(number="ivr", answer_timeout=2.0), ProbeRules(), bus.publish)
    assert not outcome.ok and outcome.reason == "rejected" and outcome.failure == 487
    alarm = sub.queue.get_nowait().payload
    assert alarm["kind"] == "ivr.probe" and alarm["severity"] == "critical"
    assert alarm["key"] == f"ivr.probe:sip:ivr@127.0.0.1:{phone.port}" and alarm["message"].startswith("12348")
    assert alarm["target"] == f"sip:ivr@127.0.0.1:{phone.port}"


@needs_baresip
async def test_probe_alarms_when_answered_without_a_greeting(tmp_path):
    bus = EventBus()
    sub = bus.subscribe("alarm.raised")
    with Baresip(tmp_path / "bs", tone_wav(tmp_path / "silence.wav", 3.0, amplitude=0)) as phone:
        caller = SipCaller(SipTarget("127.0.0.1", phone.port))
        outcome = await probe_once(caller, CallScript(number="ivr", listen_seconds=2.5), ProbeRules(), bus.publish)
    assert outcome.reason == "no-greeting" and outcome.voiced_seconds < 0.2
    assert sub.queue.get_nowait().payload["reason"] == "no-greeting"


@needs_baresip
async def test_probe_is_quiet_when_the_ivr_greets(tmp_path):
    bus = EventBus()
    sub = bus.subscribe("alarm.*")
    with Baresip(tmp_path / "bs", tone_wav(tmp_path / "g.wav", 3.0)) as phone:
        caller = SipCaller(SipTarget("127.0.0.1", phone.port))
        outcome = await probe_once(caller, CallScript(number="ivr", listen_seconds=2.5), ProbeRules(), bus.publish,
                                   save_to=tmp_path / "heard.wav")
    assert outcome.ok and outcome.voiced_seconds > 1.5
    assert sub.queue.empty()
    assert (tmp_path / "heard.wav").stat().st_size > 20000


def test_one_shot_cli_exits_1_when_nobody_answers(monkeypatch):
    monkeypatch.delenv("HOTLINE_REDIS_URL", raising=False)
    get_settings.cache_clear()
    silent = free_udp_port()  # nothing listens there: no SIP response at all
    import typer
    app = typer.Typer()
    app.command()(probe_command)
    res = CliRunner().invoke(app, ["--once", "--target", f"127.0.0.1:{silent}", "--answer-timeout", "1.5"])
    get_settings.cache_clear()
    assert res.exit_code == 1


def test_target_spec_parsing():
    t = target_from("10.0.0.5:5080")
    assert (t.host, t.port, t.register) == ("10.0.0.5", 5080, False)
    assert target_from("sbc.example.cn").port == 5060


@pytest.mark.parametrize("args,field", [
    (["--number", "12348\r\nX-Injected: 1"], "number"), (["--digits", "1x"], "digits"),
    (["--target", "pbx host:5060"], "host"), (["--username", "probe\n"], "username"),
])
def test_values_that_would_break_a_sip_header_are_refused(args, field):
    import typer
    app = typer.Typer()
    app.command()(probe_command)
    res = CliRunner().invoke(app, ["--once", *args])
    assert res.exit_code == 2 and f"{field}:" in res.output


async def test_worker_component_probes_and_reports_through_ready():
    from types import SimpleNamespace

    from integrations.sip.component import ProbeComponent, ProbeSettings

    bus = EventBus()
    sub = bus.subscribe("alarm.raised")
    silent = free_udp_port()
    cfg = ProbeSettings(_env_file=None, target=f"127.0.0.1:{silent}", interval_minutes=10, listen_seconds=1,
                        answer_timeout=1.5)
    comp = ProbeComponent(cfg)
    comp_kernel = SimpleNamespace(bus=bus)
    await comp.start(comp_kernel, {"api"})
    assert comp._task is None  # only the worker role probes
    await comp.start(comp_kernel, {"worker"})
    try:
        msg = await asyncio.wait_for(sub.queue.get(), 30)
    finally:
        await comp.stop()
    assert msg.payload["reason"] == "no-answer"
    assert (await comp.ready()).startswith("12348 probe: no-answer")
