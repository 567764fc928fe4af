"""The shipped directory is a complete deployment: it renders, and `config check` finds nothing."""
from __future__ import annotations

import os
import subprocess

from tests.system.test_run import CLI


def _env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    return {**env, "HOTLINE_PROMPTS_DIR": str(tmp_path / "prompts")}


def test_shipped_directory_renders_and_passes_config_check(tmp_path):
    """The deployment sequence on a fresh machine: build the prompts, render, check."""
    built = subprocess.run([CLI, "ivr", "prompts", "build"], env=_env(tmp_path), cwd=tmp_path, capture_output=True,
                           text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    rendered = subprocess.run([CLI, "config", "render", "--out", str(tmp_path / "asterisk")], env=_env(tmp_path),
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert rendered.returncode == 0, rendered.stderr
    assert (tmp_path / "asterisk" / "queues.conf").read_text("utf-8").count("[q-") >= 59
    checked = subprocess.run([CLI, "config", "check"], env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True,
                             timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 个错误 (errors)" in checked.stdout + checked.stderr
