"""Real SIP software from Debian for the tests, on 127.0.0.1: baresip (auto-answering phone), SIPp (UAS)."""
from __future__ import annotations

import math
import shutil
import socket
import struct
import subprocess
import threading
import time
import wave
from pathlib import Path

SCENARIOS = Path(__file__).parent / "scenarios"
BARESIP_MODULES = Path("/usr/lib/baresip/modules")


def free_udp_port() -> int:
    """A UDP port the OS hands out now (the tool binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tone_wav(path: Path, seconds: float, freq: float = 440.0, amplitude: int = 8000) -> Path:
    """An 8 kHz mono 16-bit WAV: a tone, or silence with amplitude 0."""
    n = int(8000 * seconds)
    frames = b"".join(struct.pack("<h", int(amplitude * math.sin(2 * math.pi * freq * i / 8000))) for i in range(n))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(frames)
    return path


class Baresip:
    """A headless baresip: one account that auto-answers (or never answers) and plays a WAV file."""

    def __init__(self, home: Path, greeting: Path, answer: str = "auto") -> None:
        self.home, self.port = home, free_udp_port()
        home.mkdir(parents=True, exist_ok=True)
        rtp = free_udp_port() & ~1
        (home / "config").write_text("\n".join([
            "poll_method epoll", f"sip_listen 127.0.0.1:{self.port}",
            f"audio_source aufile,{greeting}", f"audio_alert aufile,{greeting}",
            f"audio_player aufile,{home / 'unused.wav'}", "audio_srate 8000", "audio_channels 1",
            f"rtp_ports {rtp}-{rtp + 40}", f"module_path {BARESIP_MODULES}",
            "module g711.so", "module aufile.so", "module_app account.so", "module_app menu.so", ""]))
        (home / "accounts").write_text(
            f"<sip:ivr@127.0.0.1>;regint=0;answermode={answer};audio_codecs=PCMA,PCMU\n")
        self.log_path = home / "baresip.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Baresip":
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["baresip", "-f", str(self.home), "-v"], stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while "baresip is ready" not in self.log():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"baresip did not start:\n{self.log()}")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for(self, text: str, timeout: float = 3.0) -> bool:
        """True once `text` appears in the log (baresip logs asynchronously)."""
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def received_digits(self) -> str:
        """Digits baresip decoded from RFC 4733 events (one per completed event)."""
        import re
        return "".join(re.findall(r"received event: '(.)' \(end=1\)", self.log()))


class RtpSink:
    """A UDP socket that stands in for the far end's media port and keeps every packet."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.packets: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.packets.append(self.sock.recv(2048))
            except socket.timeout:
                continue
            except OSError:
                return

    def __enter__(self) -> "RtpSink":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def sipp_uas(scenario: str, workdir: Path, **values: object) -> tuple[subprocess.Popen, int]:
    """Start SIPp with a UAS scenario (placeholders {name} filled in) for exactly one call."""
    port = free_udp_port()
    text = (SCENARIOS / scenario).read_text()
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    path = workdir / scenario
    path.write_text(text)
    proc = subprocess.Popen(
        [shutil.which("sipp") or "sipp", "-sf", str(path), "-i", "127.0.0.1", "-p", str(port), "-m", "1",
         "-timeout", "30s", "-timeout_error", "-nostdin", "-trace_err",
         "-error_file", str(workdir / "sipp-errors.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, cwd=workdir)
    time.sleep(0.3)
    return proc, port
