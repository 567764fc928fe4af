"""The prompt catalogue (id → zh-CN text) and the placeholder audio build (espeak-ng + sox)."""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from ivr.flow import PROMPT_ID

CATALOGUE = Path(__file__).resolve().parent / "prompts.yaml"
PLACEHOLDER = re.compile(r"\{(skills|categories:[a-z][a-z0-9_.-]*)\}")


def spoken_menu(directory: Any, placeholder: str) -> str:
    """Menu text from the directory: `skills` → 法律咨询请按1；…, `categories:<skill>` → 婚姻家庭请按1；…"""
    if placeholder == "skills":
        items = [(s.name, s.ivr_digit) for s in directory.skills]
    elif placeholder.startswith("categories:") and directory.skill(placeholder.split(":", 1)[1]) is not None:
        items = [(c.name, c.ivr_digit) for c in directory.skill(placeholder.split(":", 1)[1]).categories if c.ivr_digit]
    else:
        raise ValueError(f"unknown prompt placeholder {{{placeholder}}}")
    return "".join(f"{name}请按{digit}；" for name, digit in sorted(items, key=lambda i: i[1]))


def expand_texts(catalogue: dict[str, str], directory: Any) -> dict[str, str]:
    """The catalogue with `{skills}` / `{categories:<skill>}` filled from the directory."""
    return {pid: PLACEHOLDER.sub(lambda m: spoken_menu(directory, m[1]), text) for pid, text in catalogue.items()}


def placeholders(text: str) -> list[str]:
    return PLACEHOLDER.findall(text)


def load_catalogue(path: Path | str = CATALOGUE) -> dict[str, str]:
    """Prompt id → text, checked: ids are file-name safe, texts non-empty single lines."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: the prompt catalogue must be a mapping id → text")
    for pid, text in raw.items():
        if not isinstance(pid, str) or not PROMPT_ID.match(pid):
            raise ValueError(f"{path}: prompt id must be [a-z0-9_-]: {pid!r}")
        if not isinstance(text, str) or not text.strip() or "\n" in text.strip():
            raise ValueError(f"{path}: prompt {pid!r} needs one line of text")
    return {k: v.strip() for k, v in raw.items()}


# ---- placeholder audio ---------------------------------------------------------------------

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
VOICES = ("cmn", "cmn-latn-pinyin")


@dataclass(frozen=True)
class BuildResult:
    """What `prompts build` did for one prompt id."""

    prompt: str
    action: str  # "rendered" | "unchanged" | "kept-recording"
    reason: str = ""


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(65536), b""):
            h.update(block)
    return h.hexdigest()


def text_hash(text: str, voice: str) -> str:
    """Short hash of what a placeholder was rendered from."""
    return hashlib.sha256(f"{voice}\0{text}".encode()).hexdigest()[:16]


def plan(prompt: str, text: str, voice: str, wav: Path, entry: dict | None) -> tuple[str, str]:
    """Pure decision for one prompt: ("render" | "unchanged" | "kept-recording", reason).

    A file whose bytes differ from what we rendered, or whose manifest entry says `recorded`, is a
    human recording: it is never overwritten.
    """
    if not wav.exists():
        return "render", "missing"
    if entry is None:
        return "kept-recording", "file present but not rendered by us"
    if entry.get("source") != "espeak-ng":
        return "kept-recording", f"source {entry.get('source')!r}"
    if entry.get("sha256") != sha256(wav):
        stale = "; its text has changed since, re-record it" if entry.get("text") != text_hash(text, voice) else ""
        return "kept-recording", "file changed since it was rendered (a recording replaced it)" + stale
    if entry.get("text") != text_hash(text, voice):
        return "render", "text changed"
    return "unchanged", ""


def programs_missing() -> list[str]:
    """espeak-ng / sox when not installed."""
    return [t for t in ("espeak-ng", "sox") if shutil.which(t) is None]


def render(text: str, voice: str, wav: Path, sln: Path) -> None:
    """espeak-ng → sox: 8 kHz 16-bit mono WAV plus raw signed-linear .sln (the formats Asterisk plays)."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "tts.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], check=True,
                       capture_output=True, timeout=60)
        tmp_wav = Path(tmp) / "out.wav"
        subprocess.run(["sox", "-V1", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
                        str(tmp_wav), "norm", "-3"], check=True, capture_output=True, timeout=60)
        subprocess.run(["sox", "-V1", str(tmp_wav), "-t", "raw", "-r", "8000", "-c", "1", "-b", "16",
                        "-e", "signed-integer", str(Path(tmp) / "out.sln")], check=True, capture_output=True, timeout=60)
        shutil.move(str(tmp_wav), wav)
        shutil.move(str(Path(tmp) / "out.sln"), sln)


def durations(prompts_dir: Path) -> dict[str, float]:
    """Seconds of every prompt WAV under `<prompts_dir>/hotline` (unreadable files are skipped)."""
    import wave

    out = {}
    for path in (Path(prompts_dir) / "hotline").glob("*.wav"):
        try:
            with wave.open(str(path), "rb") as w:
                out[path.stem] = w.getnframes() / w.getframerate()
        except (wave.Error, EOFError, OSError):
            log.warning("prompt %s is not a readable WAV; its commands use the default timeout", path)
    return out


def missing_audio(prompt_ids: list[str], prompts_dir: Path) -> list[str]:
    """Prompt ids with no `<prompts_dir>/hotline/<id>.wav` (Asterisk would play silence and log a warning)."""
    folder = Path(prompts_dir) / "hotline"
    return [pid for pid in prompt_ids if not (folder / f"{pid}.wav").is_file()]


def load_manifest(folder: Path) -> dict:
    """The manifest of a prompts folder ({} when absent or unreadable)."""
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def build_prompts(catalogue: dict[str, str], prompts_dir: Path, voice: str = "cmn", force: bool = False,
                  clock=None) -> list[BuildResult]:
    """Render every catalogue prompt into <prompts_dir>/hotline/ unless a recording or an up-to-date render is there."""
    if voice not in VOICES:
        raise ValueError(f"voice must be one of {', '.join(VOICES)}")
    missing = programs_missing()
    if missing:
        raise RuntimeError(f"missing programs: {', '.join(missing)} (apt-get install espeak-ng sox)")
    folder = Path(prompts_dir) / "hotline"
    folder.mkdir(parents=True, exist_ok=True)
    manifest = load_manifest(folder)
    results = []
    for pid, text in catalogue.items():
        wav, sln = folder / f"{pid}.wav", folder / f"{pid}.sln"
        action, reason = plan(pid, text, voice, wav, manifest.get(pid))
        if force and action == "unchanged":
            action, reason = "render", "forced"
        if action == "render":
            render(text, voice, wav, sln)
            manifest[pid] = {"source": "espeak-ng", "voice": voice, "text": text_hash(text, voice),
                             "sha256": sha256(wav), "sln_sha256": sha256(sln),
                             "built_at": (clock() if clock else datetime.now(timezone.utc)).isoformat()}
            action = "rendered"
        elif action == "kept-recording" and pid not in manifest:
            manifest[pid] = {"source": "recorded", "sha256": sha256(wav)}
        results.append(BuildResult(pid, action, reason))
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    return results
