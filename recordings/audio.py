"""WAV inspection: format checks, duration, checksum. Plain functions over files; no decoding libraries needed."""
from __future__ import annotations

import hashlib
import wave
from dataclasses import dataclass
from pathlib import Path

# Telephone recordings are 8 kHz; wideband (16 kHz) recordings are accepted too. Anything else is a
# misconfigured recorder and is refused rather than silently transcribed at the wrong speed.
ACCEPTED_RATES = (8000, 16000)


class BadAudioError(ValueError):
    """The file is not a recording we can store or transcribe (the message says why)."""


@dataclass(frozen=True)
class AudioInfo:
    """What ingest stores about a WAV file."""

    sample_rate: int
    channels: int
    sample_width: int
    frames: int
    size_bytes: int
    sha256: str

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def inspect_wav(path: Path, rates: tuple[int, ...] = ACCEPTED_RATES) -> AudioInfo:
    """Check `path` is a complete 16-bit mono PCM WAV at an accepted rate; raise BadAudioError if not."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise BadAudioError(f"空文件 (zero-length file): {path.name}")
    try:
        with open(path, "rb") as fh, wave.open(fh, "rb") as w:
            rate, channels, width, frames = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
            # wave leaves the file positioned at the start of the data chunk
            data_end = fh.tell() + frames * channels * width
    except (wave.Error, EOFError) as exc:
        raise BadAudioError(f"不是有效的 WAV 文件 (corrupt WAV: {exc}): {path.name}") from exc
    if data_end > size:
        raise BadAudioError(f"WAV 文件被截断 (truncated: header declares {frames} frames, "
                            f"file holds {size} bytes): {path.name}")
    if channels != 1 or width != 2:
        raise BadAudioError(f"需要 16 位单声道 PCM (need 16-bit mono PCM, got {channels} ch × {8 * width} bit): {path.name}")
    if rate not in rates:
        raise BadAudioError(f"采样率不支持 (unsupported sample rate {rate} Hz, expected {rates}): {path.name}")
    return AudioInfo(rate, channels, width, frames, size, sha256_file(path))
