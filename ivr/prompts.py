"""The prompt catalogue (id → zh-CN text) and the placeholder audio build (espeak-ng + sox)."""
from __future__ import annotations

from pathlib import Path

import yaml

from ivr.flow import PROMPT_ID

CATALOGUE = Path(__file__).resolve().parent / "prompts.yaml"


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
