"""Fixtures: a directory where every queue is served, prompts on disk, render options."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hotline.config_render import AsteriskConfigSettings, build_options
from hotline.directory import load_directory
from hotline.settings import ROOT, Settings

SHIPPED = ROOT / "hotline" / "data" / "directory.yaml"
PROMPTS = ("queue-periodic",)


def served_raw() -> dict:
    """The shipped directory plus one seat for every center × skill nobody serves yet."""
    raw = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    served = {(s["center"], k) for s in raw["seats"] for k in s["skills"]}
    ext = 5000
    for center in raw["centers"]:
        missing = [k for k in center["skills"] if (center["code"], k) not in served]
        if missing:
            ext += 1
            raw["seats"].append({"extension": str(ext), "name": f"坐席{ext}", "center": center["code"],
                                 "skills": {k: 1 for k in missing}})
    return raw


def write_directory(path: Path, raw: dict) -> Path:
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def served_file(tmp_path) -> Path:
    return write_directory(tmp_path / "directory.yaml", served_raw())


@pytest.fixture
def served(served_file):
    return load_directory(served_file)


@pytest.fixture
def prompts_dir(tmp_path) -> Path:
    d = tmp_path / "prompts" / "hotline"
    d.mkdir(parents=True)
    for name in PROMPTS:
        (d / f"{name}.wav").write_bytes(b"RIFF")
    return d.parent


@pytest.fixture
def astcfg() -> AsteriskConfigSettings:
    return AsteriskConfigSettings(_env_file=None, engine_address="10.1.2.3", fastagi_host="10.1.2.3")


@pytest.fixture
def base_settings(tmp_path, prompts_dir) -> Settings:
    return Settings(var_dir=tmp_path, prompts_dir=prompts_dir, recordings_dir=tmp_path / "recordings",
                    _env_file=None)


@pytest.fixture
def options(base_settings, astcfg):
    return build_options(base_settings, astcfg)
