"""MixMonitor: real 8 kHz 16-bit mono WAVs (mix, plus r()/t() legs) from the parties' speech.

As apps/app_mixmonitor.c: the files are finished at StopMixMonitor or hang-up, `r()` is the
audio received from the monitored channel, `t()` the audio sent to it, the main file their mix.
"""
from __future__ import annotations

import array
import logging
import re
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import events as ev
from .model import Channel

if TYPE_CHECKING:
    from .core import Simulator

log = logging.getLogger(__name__)
RATE = 8000
FRAME = 160


def read_pcm(path: str | Path | None) -> array.array:
    """Samples of an 8 kHz mono 16-bit WAV (empty when absent)."""
    out = array.array("h")
    if not path or not Path(path).is_file():
        return out
    with wave.open(str(path), "rb") as w:
        if w.getframerate() != RATE or w.getnchannels() != 1 or w.getsampwidth() != 2:
            log.warning("pbxsim: %s is not 8 kHz mono 16-bit; recording silence instead", path)
            return out
        out.frombytes(w.readframes(w.getnframes()))
    return out


def fill(source: array.array, samples: int, offset: int = 0) -> array.array:
    """`samples` samples of `source` looped (silence when empty), starting at `offset`."""
    out = array.array("h", bytes(2 * samples))
    if len(source):
        for i in range(samples):
            out[i] = source[(offset + i) % len(source)]
    return out


def mix(a: array.array, b: array.array) -> array.array:
    """Sample-wise sum, clipped to 16 bits."""
    return array.array("h", (max(-32768, min(32767, x + y)) for x, y in zip(a, b)))


def write_wav(path: Path, pcm: array.array) -> None:
    """Write 8 kHz mono 16-bit PCM."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())


@dataclass
class Recording:
    """One running MixMonitor."""

    sim: "Simulator"
    chan: Channel
    mix_path: Path
    rx_path: Path | None
    tx_path: Path | None
    started: float
    done: bool = False

    def finish(self, now: float) -> list[Path]:
        """Write the files for the recorded span."""
        if self.done:
            return []
        self.done = True
        # audiohooks hand MixMonitor whole 20 ms frames (capture: 8.002 s → 64000 samples)
        samples = max(0, int((now - self.started) * RATE + 1e-6) // FRAME * FRAME)
        offset = int(round((self.started - self.chan.created) * RATE))
        rx = fill(read_pcm(_speech(self.chan)), samples, offset)
        peer = self.sim.peer(self.chan)
        tx = fill(read_pcm(_speech(peer) if peer is not None else None), samples, offset)
        write_wav(self.mix_path, mix(rx, tx))
        written = [self.mix_path]
        for path, pcm in ((self.rx_path, rx), (self.tx_path, tx)):
            if path is not None:
                write_wav(path, pcm)
                written.append(path)
        return written


def _speech(chan: Channel | None) -> str | None:
    """The WAV a leg's party speaks: the scripted caller, or the seat phone's script."""
    if chan is None:
        return None
    party = chan.party
    return getattr(party, "speech", None)


def _resolve(sim: "Simulator", name: str) -> Path:
    path = Path(name)
    return path if path.is_absolute() else Path(sim.config.recordings_dir) / path


def start_recording(sim: "Simulator", chan: Channel, file: str, options: str) -> Recording:
    """Begin recording `chan` (MixMonitorStart)."""
    rx = re.search(r"r\(([^)]*)\)", options or "")
    tx = re.search(r"t\(([^)]*)\)", options or "")
    old = sim.recorders.pop(chan.name, None)
    if old is not None:
        old.finish(sim.now)  # type: ignore[attr-defined]
    rec = Recording(sim, chan, _resolve(sim, file), _resolve(sim, rx.group(1)) if rx else None,
                    _resolve(sim, tx.group(1)) if tx else None, sim.now)
    sim.recorders[chan.name] = rec
    sim.emit(ev.channel_event("MixMonitorStart", chan))
    return rec


def stop_recording(sim: "Simulator", chan: Channel) -> bool:
    """Finish the recording of `chan` (MixMonitorStop); False if none runs."""
    rec = sim.recorders.pop(chan.name, None)
    if rec is None:
        return False
    rec.finish(sim.now)  # type: ignore[attr-defined]
    sim.emit(ev.channel_event("MixMonitorStop", chan))
    return True
