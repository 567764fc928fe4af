"""Scripted SIP caller: dial, send DTMF (RFC 4733), play a WAV, record what is heard, hang up.

`SipCaller.run(script)` blocks (pyVoIP is threaded); `await caller.arun(script)` runs it in a worker
thread. Audio helpers are pure functions over 16-bit 8 kHz mono PCM.
"""
from __future__ import annotations

import asyncio
import audioop
import re
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

from pyVoIP.VoIP import CallState

from integrations.sip.pyvoip_adapter import SIP, HotlinePhone

RATE = 8000
_HOST = re.compile(r"[A-Za-z0-9.:-]{1,253}")
_USER = re.compile(r"[A-Za-z0-9._+*#-]{1,64}")
_DIGITS = re.compile(r"[0-9*#A-Da-d]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _check(field_name: str, value: str, pattern: re.Pattern) -> None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValueError(f"{field_name}: {value!r} cannot be used in a SIP header")


@dataclass(frozen=True)
class SipTarget:
    """Where to send the INVITE: a trunk address (no registration) or a registrar with credentials."""

    host: str
    port: int = 5060
    username: str = "probe"
    password: str = ""
    register: bool = False
    my_ip: str = "127.0.0.1"

    def __post_init__(self) -> None:
        # these end up inside SIP headers: a CR/LF would inject headers, so refuse, never strip
        _check("host", self.host, _HOST)
        _check("username", self.username, _USER)
        _check("my_ip", self.my_ip, _HOST)
        if not 0 < self.port < 65536:
            raise ValueError(f"port: {self.port} is not 1-65535")
        if _CONTROL.search(self.password):
            raise ValueError("password: control characters are not allowed")


@dataclass(frozen=True)
class CallScript:
    """What the caller does once the call is answered."""

    number: str = "12348"
    answer_timeout: float = 15.0
    digits: str = ""
    digits_after: float = 1.0      # seconds after answer before the first digit
    schedule: tuple[tuple[float, str], ...] = ()  # more digits: (seconds after answer, digits), in order
    play: Path | None = None       # WAV played to the far end (any rate/width, mono or stereo)
    listen_seconds: float = 6.0    # total time kept after answer, recording what is heard
    hangup: bool = True
    hangup_when: threading.Event | None = None  # hang up early once this is set (acceptance kit)

    def __post_init__(self) -> None:
        _check("number", self.number, _USER)
        for _, digits in ((self.digits_after, self.digits), *self.schedule):
            if digits and not _DIGITS.fullmatch(digits):
                raise ValueError(f"digits: {digits!r} is not DTMF (0-9 * # A-D)")


@dataclass
class CallResult:
    """What happened: plain data for the probe, tests and the acceptance kit."""

    answered: bool
    failure: int | None = None
    setup_seconds: float | None = None
    duration_seconds: float = 0.0
    remote_hangup: bool = False
    digits_sent: str = ""
    codec: str | None = None
    call_id: str | None = None
    error: str | None = None       # the call could not be placed (registration refused, no network)
    audio: bytes = field(default=b"", repr=False)  # 16-bit signed PCM, 8 kHz mono

    def save_wav(self, path: Path) -> Path:
        write_wav(path, self.audio)
        return path


def write_wav(path: Path, pcm16: bytes, rate: int = RATE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm16)


def read_wav_as_pyvoip(path: Path) -> bytes:
    """A WAV file converted to what pyVoIP transmits: 8 kHz mono unsigned 8-bit linear."""
    with wave.open(str(path), "rb") as w:
        data, width, channels, rate = w.readframes(w.getnframes()), w.getsampwidth(), w.getnchannels(), w.getframerate()
    if channels == 2:
        data = audioop.tomono(data, width, 0.5, 0.5)
    if rate != RATE:
        data, _ = audioop.ratecv(data, width, 1, rate, RATE, None)
    if width == 1:  # WAV 8-bit is already unsigned
        return data
    return audioop.bias(audioop.lin2lin(data, width, 1), 1, 128)


def pyvoip_to_pcm16(data: bytes) -> bytes:
    """pyVoIP's unsigned 8-bit linear audio as 16-bit signed PCM."""
    return audioop.lin2lin(audioop.bias(data, 1, -128), 1, 2)


def voiced_seconds(pcm16: bytes, threshold_dbfs: float = -40.0, frame_ms: int = 20) -> float:
    """Seconds of audio louder than `threshold_dbfs` (silence detection for the probe)."""
    step = RATE * frame_ms // 1000 * 2
    limit = 32768 * 10 ** (threshold_dbfs / 20)
    loud = sum(1 for i in range(0, len(pcm16) - step + 1, step) if audioop.rms(pcm16[i:i + step], 2) > limit)
    return loud * frame_ms / 1000


class SipCaller:
    """Places one scripted call per `run` through the fixed pyVoIP phone."""

    def __init__(self, target: SipTarget) -> None:
        self.target = target

    async def arun(self, script: CallScript) -> CallResult:
        return await asyncio.to_thread(self.run, script)

    def run(self, script: CallScript) -> CallResult:
        t = self.target
        phone = HotlinePhone(t.host, t.port, t.username, t.password, my_ip=t.my_ip, register=t.register)
        try:
            phone.start()
        except (SIP.InvalidAccountInfoError, SIP.RetryRequiredError, TimeoutError, OSError) as exc:
            phone.stop()
            return CallResult(answered=False, error=f"registration with {t.host}:{t.port} failed: {exc}")
        try:
            return self._call(phone, script)
        finally:
            phone.stop()

    def _call(self, phone: HotlinePhone, script: CallScript) -> CallResult:
        started = time.monotonic()
        call = phone.call(script.number)
        while call.state == CallState.DIALING and time.monotonic() - started < script.answer_timeout:
            time.sleep(0.02)
        if call.state != CallState.ANSWERED:
            if call.state == CallState.DIALING:
                _cancel(phone, call)
            return CallResult(answered=False, failure=call.failure, call_id=call.call_id)
        result = CallResult(answered=True, setup_seconds=round(time.monotonic() - started, 3), call_id=call.call_id,
                            codec=str(call.RTPClients[0].preference) if call.RTPClients else None)
        answered_at = time.monotonic()
        if script.play is not None:
            call.write_audio(read_wav_as_pyvoip(script.play))
        heard = bytearray()
        steps = sorted([*script.schedule, *([(script.digits_after, script.digits)] if script.digits else [])])
        while time.monotonic() - answered_at < script.listen_seconds and call.state == CallState.ANSWERED:
            if script.hangup_when is not None and script.hangup_when.is_set():
                break
            if steps and time.monotonic() - answered_at >= steps[0][0]:
                _, digits = steps.pop(0)
                call.send_dtmf(digits)
                result.digits_sent += digits
            heard += call.read_audio(160, blocking=False)
            time.sleep(0.02)
        result.remote_hangup = call.state != CallState.ANSWERED
        if not result.remote_hangup and script.hangup:
            call.hangup()
        result.duration_seconds = round(time.monotonic() - answered_at, 3)
        result.audio = pyvoip_to_pcm16(bytes(heard))
        return result


def _cancel(phone: HotlinePhone, call) -> None:
    """Give up on an unanswered INVITE: CANCEL it so the far end stops ringing, forget the call."""
    if phone.sip.cancel(call.call_id):
        deadline = time.monotonic() + 2.0
        while call.call_id in phone.sip.pending and time.monotonic() < deadline:
            time.sleep(0.02)  # the 487 arrives and is ACKed by the receive loop
    call.state = CallState.ENDED
    phone.calls.pop(call.call_id, None)
