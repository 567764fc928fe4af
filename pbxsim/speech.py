"""Party speech: Mandarin sentences synthesized with espeak-ng and converted by sox to the
8 kHz 16-bit mono WAV a telephone leg carries, cached by content under var/."""
from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

CALLER_LINES = [
    "您好，我想咨询一下劳动合同纠纷的问题，公司一直拖欠工资。",
    "我家邻居占用了公共楼道，我想问问应该怎么处理。",
    "我想申请法律援助，请问需要准备哪些材料。",
    "我离婚以后孩子的抚养费一直没有给，我该怎么办。",
    "我在网上买东西被骗了，想咨询怎么维权。",
]
SEAT_LINES = [
    "您好，这里是一二三四八公共法律服务热线，请问有什么可以帮您。",
    "好的，我记录一下您的情况，请您详细说一说。",
    "根据相关法律规定，您可以先申请劳动仲裁。",
]


class SpeechError(RuntimeError):
    """espeak-ng or sox missing or failing."""


def synthesize(text: str, cache_dir: Path, voice: str = "cmn", speed: int = 150) -> Path:
    """Path of a cached 8 kHz mono 16-bit WAV saying `text` (rendered on first use)."""
    key = hashlib.sha1(f"{voice}|{speed}|{text}".encode()).hexdigest()[:16]
    out = Path(cache_dir) / f"{key}.wav"
    if out.is_file():
        return out
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise SpeechError(f"{tool} is not installed")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        _run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text])
        part = out.with_suffix(".part.wav")
        _run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(part)])
        part.replace(out)  # atomic: a concurrent reader never sees half a file
    return out


def _run(argv: list[str]) -> None:
    try:
        subprocess.run(argv, check=True, capture_output=True, timeout=30)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise SpeechError(f"{argv[0]} failed: {exc}") from exc


def speech_pool(cache_dir: Path) -> tuple[list[Path], list[Path]]:
    """Render (once) the caller and seat lines used by demo traffic."""
    return ([synthesize(t, cache_dir) for t in CALLER_LINES], [synthesize(t, cache_dir) for t in SEAT_LINES])
