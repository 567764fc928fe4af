"""The pyVoIP caller against real SIP software on 127.0.0.1: baresip auto-answering, SIPp checking."""
from __future__ import annotations

import audioop
import math
import re
import shutil
import struct

import pytest

from integrations.sip.caller import CallScript, SipCaller, SipTarget, voiced_seconds

from .sipkit import Baresip, Kamailio, RtpSink, kamailio_modules, sipp_uas, tone_wav

pytestmark = pytest.mark.slow
needs_baresip = pytest.mark.skipif(shutil.which("baresip") is None, reason="baresip is not installed (apt-get install baresip)")
needs_sipp = pytest.mark.skipif(shutil.which("sipp") is None, reason="SIPp is not installed (apt-get install sip-tester)")


@needs_baresip
def test_call_to_baresip_completes_with_dtmf_and_hears_the_greeting(tmp_path):
    with Baresip(tmp_path / "bs", tone_wav(tmp_path / "greet.wav", 4.0)) as phone:
        caller = SipCaller(SipTarget("127.0.0.1", phone.port))
        result = caller.run(CallScript(number="ivr", digits="12#", digits_after=0.5, listen_seconds=3.0))
        closed = phone.wait_for("session closed: Connection reset by peer")  # how baresip logs a BYE
        log = phone.log()
    assert result.answered and result.failure is None
    assert result.codec == "PCMA"
    assert "Set audio decoder: PCMA" in log
    assert phone.received_digits() == "12#"
    assert voiced_seconds(result.audio) > 1.5  # the greeting tone came back over A-law
    assert closed and not result.remote_hangup  # our BYE ended the call on the far side


@needs_baresip
def test_unanswered_call_is_cancelled_after_the_answer_timeout(tmp_path):
    with Baresip(tmp_path / "bs", tone_wav(tmp_path / "greet.wav", 2.0), answer="manual") as phone:
        result = SipCaller(SipTarget("127.0.0.1", phone.port)).run(CallScript(number="ivr", answer_timeout=2.0))
        cancelled = phone.wait_for("session closed")
        log = phone.log()
    assert not result.answered and result.failure == 487  # our CANCEL → 487 Request Terminated
    assert re.search(r"Incoming call from:\s+sip:probe@127.0.0.1", log)
    assert cancelled, log


@needs_sipp
def test_sipp_sees_alaw_rfc4733_and_dialog_routing(tmp_path):
    played = tone_wav(tmp_path / "say.wav", 2.0, freq=400, amplitude=12000)
    with RtpSink() as sink:
        proc, port = sipp_uas("uas_checks.xml", tmp_path, rtp_port=sink.port)
        try:
            result = SipCaller(SipTarget("127.0.0.1", port)).run(
                CallScript(number="12348", digits="3*", digits_after=0.3, play=played, listen_seconds=2.5))
            rc = proc.wait(20)
        finally:
            if proc.poll() is None:
                proc.kill()
    errors = (tmp_path / "sipp-errors.log").read_text() if (tmp_path / "sipp-errors.log").exists() else ""
    assert result.answered, errors
    assert rc == 0, f"SIPp scenario failed (empty Supported / Record-Route / ACK / BYE checks):\n{errors}"
    audio = [p for p in sink.packets if p[1] & 0x7F == 8]
    events = [p for p in sink.packets if p[1] & 0x7F == 101]
    assert audio and all(p[1] & 0x7F in (8, 101) for p in sink.packets)
    assert {p[12] for p in events} == {3, 10}
    assert sum(1 for p in events if p[13] & 0x80) == 6  # two digits, three end packets each
    # payload type 8 really carries A-law: decoded as A-law the frames are the clean 400 Hz tone we
    # played, at its level; decoded as μ-law (what pyVoIP used to send) they are not
    tone = [p[12:] for p in audio if audioop.rms(audioop.alaw2lin(p[12:], 2), 2) > 4000]
    assert len(tone) > 50
    expected = 12000 / 2 ** 0.5
    assert all(0.8 * expected < audioop.rms(audioop.alaw2lin(f, 2), 2) < 1.2 * expected for f in tone)
    assert max(_distortion(audioop.alaw2lin(f, 2), 400) for f in tone) < 0.05
    assert min(_distortion(audioop.ulaw2lin(f, 2), 400) for f in tone) > 0.1
    seq = [struct.unpack("!H", p[2:4])[0] for p in sink.packets]
    assert len(set(seq)) == len(seq)


def _distortion(pcm16: bytes, freq: float) -> float:
    """Energy left after removing the best-fitting `freq` sinusoid, relative to the total."""
    x = struct.unpack(f"<{len(pcm16) // 2}h", pcm16)
    s = [math.sin(2 * math.pi * freq * i / 8000) for i in range(len(x))]
    c = [math.cos(2 * math.pi * freq * i / 8000) for i in range(len(x))]
    a = 2 * sum(v * w for v, w in zip(x, s)) / len(x)
    b = 2 * sum(v * w for v, w in zip(x, c)) / len(x)
    residual = sum((v - a * si - b * ci) ** 2 for v, si, ci in zip(x, s, c))
    return residual / max(1.0, sum(v * v for v in x))


@needs_baresip
def test_pyvoip_seat_answers_a_call_from_baresip_and_handles_its_bye(tmp_path):
    import threading
    import time

    from pyVoIP.VoIP import CallState

    from integrations.sip.caller import pyvoip_to_pcm16
    from integrations.sip.pyvoip_adapter import HotlinePhone

    answered, heard, ended = threading.Event(), bytearray(), threading.Event()

    def on_call(call):
        call.answer()
        answered.set()
        deadline = time.monotonic() + 10
        while call.state == CallState.ANSWERED and time.monotonic() < deadline:
            heard.extend(call.read_audio(160, blocking=False))
            time.sleep(0.02)
        if call.state == CallState.ENDED:
            ended.set()

    far = Baresip(tmp_path / "bs", tone_wav(tmp_path / "voice.wav", 2.0))
    # the "server" of this seat is the calling baresip: pyVoIP sends its replies there
    phone = HotlinePhone("127.0.0.1", far.port, "seat1001", register=False, call_callback=on_call)
    phone.start()
    try:
        far.dial = f"sip:seat1001@127.0.0.1:{phone.sip.myPort}"
        with far:
            assert answered.wait(10), far.log()
            assert ended.wait(10), far.log()  # baresip hangs up at the end of its file: our BYE handling
            assert far.wait_for("Call established")
    finally:
        phone.stop()
    assert voiced_seconds(pyvoip_to_pcm16(bytes(heard))) > 1.0


needs_kamailio = pytest.mark.skipif(shutil.which("kamailio") is None or kamailio_modules() is None,
                                    reason="kamailio is not installed (apt-get install kamailio)")


@needs_baresip
@needs_kamailio
def test_call_through_record_routing_kamailio_to_registered_baresip(tmp_path):
    with Kamailio(tmp_path / "k") as proxy, \
            Baresip(tmp_path / "bs", tone_wav(tmp_path / "g.wav", 5.0), registrar=proxy.port) as phone:
        assert phone.wait_for("200 OK", 10), phone.log()  # registered with kamailio
        result = SipCaller(SipTarget("127.0.0.1", proxy.port)).run(
            CallScript(number="ivr", digits="5", digits_after=0.5, listen_seconds=2.5))
        closed = phone.wait_for("session closed")
        log = proxy.log()
    assert result.answered and phone.received_digits() == "5"
    assert "ROUTED in-dialog ACK" in log and "ROUTED in-dialog BYE" in log
    assert "NO-ROUTE" not in log
    assert closed  # our BYE reached baresip through the proxy


@needs_baresip
@needs_kamailio
def test_caller_registers_with_digest_auth_then_calls(tmp_path):
    with Kamailio(tmp_path / "k") as proxy, \
            Baresip(tmp_path / "bs", tone_wav(tmp_path / "g.wav", 4.0), registrar=proxy.port) as phone:
        assert phone.wait_for("200 OK", 10), phone.log()
        target = SipTarget("127.0.0.1", proxy.port, username="probe", password=proxy.password, register=True)
        result = SipCaller(target).run(CallScript(number="ivr", digits="9", digits_after=0.5, listen_seconds=2.0))
        log = proxy.log()
    assert result.answered and phone.received_digits() == "9"
    assert "ROUTED in-dialog BYE" in log


@needs_kamailio
def test_registration_with_a_wrong_password_is_reported_not_raised(tmp_path):
    with Kamailio(tmp_path / "k") as proxy:
        target = SipTarget("127.0.0.1", proxy.port, username="probe", password="wrong-password", register=True)
        result = SipCaller(target).run(CallScript(number="ivr"))
    assert not result.answered
    assert result.error and "registration with 127.0.0.1" in result.error
