"""The shipped directory is a complete deployment: it renders, and `config check` finds nothing."""
from __future__ import annotations

import os
import subprocess

from tests.system.test_run import CLI


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}


def test_shipped_directory_renders_and_passes_config_check(tmp_path):
    rendered = subprocess.run([CLI, "config", "render", "--out", str(tmp_path / "asterisk")], env=_env(),
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert rendered.returncode == 0, rendered.stderr
    assert (tmp_path / "asterisk" / "queues.conf").read_text("utf-8").count("[q-") >= 59
    checked = subprocess.run([CLI, "config", "check"], env=_env(), cwd=tmp_path, capture_output=True, text=True,
                             timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 个错误 (errors)" in checked.stdout + checked.stderr
