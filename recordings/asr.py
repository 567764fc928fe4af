"""The one adapter around Vosk. Its calls block: use it only inside worker processes.

Gaps of the library fixed here (each has a test in tests/recordings/test_asr.py):
- Kaldi's feature extraction dithers with libc ``rand()`` (process-wide state), so a second decode of the
  same audio in a process differs from the first. We reseed libc's generator before every decode, which
  makes every decode reproducible (a retried job gives the same transcript as the first try).
- Vosk logs every model load to stderr; we silence it (`SetLogLevel(-1)`).
- `KaldiRecognizer` results are JSON strings whose shape differs between partial, intermediate and final
  results; we return plain `Word`/`Utterance` data.

Telephone audio: the recognizer is created at the file's own sample rate (8 kHz for MixMonitor files).
Kaldi's feature pipeline resamples internally to the model's rate (16 kHz for vosk-model-cn-0.22), with
its band-limited resampler, so no second resampling step (and no extra copy) is done by us; upsampling
cannot add the missing 4–8 kHz band anyway.
"""
from __future__ import annotations

import ctypes
import json
import wave
from dataclasses import dataclass
from pathlib import Path

CHUNK_FRAMES = 4000  # 0.5 s at 8 kHz: the chunk size changes Vosk's endpointing, so it is fixed here
DITHER_SEED = 12348

_libc = ctypes.CDLL(None)


class ModelError(RuntimeError):
    """The configured model directory is missing or is not a Vosk model."""


@dataclass(frozen=True)
class Word:
    """One recognised word with its time span (seconds from the start of the file)."""

    word: str
    start: float
    end: float
    conf: float


@dataclass(frozen=True)
class Utterance:
    """One result of the recognizer (an endpointed stretch of speech)."""

    words: tuple[Word, ...]

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end


def check_model_dir(path: Path) -> Path:
    """Raise ModelError unless `path` looks like a Vosk model directory."""
    path = Path(path)
    if not path.is_dir():
        raise ModelError(f"语音模型目录不存在 (Vosk model directory not found): {path}")
    if not ((path / "am" / "final.mdl").is_file() or (path / "final.mdl").is_file()):
        raise ModelError(f"不是 Vosk 模型目录 (no am/final.mdl in {path})")
    return path


def reseed_dither(seed: int = DITHER_SEED) -> None:
    """Reset the libc generator Kaldi's dither draws from, so the next decode is reproducible."""
    _libc.srand(ctypes.c_uint(seed))


def _utterance(raw: str) -> Utterance | None:
    words = tuple(Word(w["word"], float(w["start"]), float(w["end"]), float(w.get("conf", 1.0)))
                  for w in json.loads(raw).get("result", []))
    return Utterance(words) if words else None


class VoskEngine:
    """A loaded model (~530 MB for the Mandarin model): load once per worker process."""

    def __init__(self, model_path: Path) -> None:
        import vosk

        vosk.SetLogLevel(-1)
        self.model_path = check_model_dir(model_path)
        self.name = self.model_path.name
        self._vosk = vosk
        self._model = vosk.Model(str(self.model_path))

    def transcribe(self, wav_path: Path, chunk_frames: int = CHUNK_FRAMES) -> list[Utterance]:
        """Decode a 16-bit mono WAV at its own rate; returns the utterances in time order."""
        reseed_dither()
        out: list[Utterance] = []
        with wave.open(str(wav_path), "rb") as w:
            rec = self._vosk.KaldiRecognizer(self._model, float(w.getframerate()))
            rec.SetWords(True)
            while data := w.readframes(chunk_frames):
                if rec.AcceptWaveform(data) and (u := _utterance(rec.Result())):
                    out.append(u)
        if u := _utterance(rec.FinalResult()):
            out.append(u)
        return out
