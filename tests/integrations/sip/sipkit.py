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
    """A UDP port the OS hands out now (baresip, SIPp or kamailio binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_sip_port() -> int:
    """A port free for SIP over UDP and TCP, with the next one free for TLS (baresip binds all three)."""
    for _ in range(200):
        port = free_udp_port()
        try:
            with socket.socket() as tcp, socket.socket() as tls:
                tcp.bind(("127.0.0.1", port))
                tls.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no free SIP port triple on 127.0.0.1")


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


class _Daemon:
    """A program run for a test: output to `log_path`, started by `_start`, terminated on exit."""

    log_path: Path
    proc: subprocess.Popen | None = None

    def _start(self, argv: list[str], ready: str, **popen: object) -> None:
        """Run `argv` and wait (10 s at most) until `ready` appears in its log."""
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, **popen)
        deadline = time.monotonic() + 10
        while ready not in self.log():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{argv[0]} did not start:\n{self.log()}")
            time.sleep(0.05)

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


class Baresip(_Daemon):
    """A headless baresip: one account that auto-answers (or never answers) and plays a WAV file."""

    def __init__(self, home: Path, greeting: Path, answer: str = "auto", dial: str | None = None,
                 registrar: int | None = None) -> None:
        self.home, self.port, self.dial = home, free_sip_port(), dial
        home.mkdir(parents=True, exist_ok=True)
        rtp = free_udp_port() & ~1
        (home / "config").write_text("\n".join([
            "poll_method epoll", f"sip_listen 127.0.0.1:{self.port}",
            f"audio_source aufile,{greeting}", f"audio_alert aufile,{greeting}",
            f"audio_player aufile,{home / 'unused.wav'}", "audio_srate 8000", "audio_channels 1",
            f"rtp_ports {rtp}-{rtp + 40}", f"module_path {BARESIP_MODULES}",
            "module g711.so", "module aufile.so", "module_app account.so", "module_app menu.so", ""]))
        aor = f"<sip:ivr@127.0.0.1:{registrar}>;regint=600" if registrar else "<sip:ivr@127.0.0.1>;regint=0"
        (home / "accounts").write_text(f"{aor};answermode={answer};audio_codecs=PCMA,PCMU\n")
        self.log_path = home / "baresip.log"

    def __enter__(self) -> "Baresip":
        extra = ["-e", f"/dial {self.dial}"] if self.dial else []
        self._start(["baresip", "-f", str(self.home), "-v", *extra], "baresip is ready", stdin=subprocess.DEVNULL)
        return self

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


KAMAILIO_CFG = """#!KAMAILIO
debug=2
log_stderror=yes
children=1
disable_tcp=yes
listen=udp:127.0.0.1:{port}
mpath="{modules}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
request_route {{
  if (has_totag()) {{
    if (loose_route()) {{ xlog("L_NOTICE", "ROUTED in-dialog $rm\\n"); t_relay(); exit; }}
    xlog("L_NOTICE", "NO-ROUTE in-dialog $rm\\n");
    if (is_method("ACK")) {{ exit; }}
    sl_send_reply("404", "Not here"); exit;
  }}
  if (is_method("REGISTER")) {{
    # the pyVoIP caller registers with a password; baresip (user ivr) registers without
    if ($fU != "ivr" && !pv_www_authenticate("$td", "{password}", "0")) {{ www_challenge("$td", "0"); exit; }}
    save("location"); exit;
  }}
  if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
  record_route();
  if (!lookup("location")) {{ sl_send_reply("404", "Not Found"); exit; }}
  t_relay();
}}
"""


def kamailio_modules() -> Path | None:
    for base in (Path("/usr/lib/x86_64-linux-gnu/kamailio/modules"), Path("/usr/lib/kamailio/modules"),
                 Path("/usr/lib64/kamailio/modules")):
        if (base / "rr.so").exists():
            return base
    return None


class Kamailio(_Daemon):
    """Kamailio as registrar and record-routing proxy: in-dialog requests pass only with a Route."""

    def __init__(self, workdir: Path, password: str = "probe-secret-1") -> None:
        self.dir, self.port, self.password = workdir, free_udp_port(), password
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "kamailio.cfg").write_text(KAMAILIO_CFG.format(
            port=self.port, modules=f"{kamailio_modules()}/", password=password))
        self.log_path = workdir / "kamailio.log"

    def __enter__(self) -> "Kamailio":
        self._start(["kamailio", "-f", str(self.dir / "kamailio.cfg"), "-DD", "-E", "-Y", str(self.dir),
                     "-P", str(self.dir / "kamailio.pid")], "SO_RCVBUF is finally")
        return self


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
