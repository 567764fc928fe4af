"""`hotline12348 ivr check|show|prompts build` through the real command line."""
from __future__ import annotations

import shutil

import pytest
import yaml
from typer.testing import CliRunner

from hotline.settings import get_settings
from ivr.cli import app
from ivr.flow import default_flow_path

runner = CliRunner()


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("HOTLINE_PROMPTS_DIR", str(tmp_path / "prompts"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_check_passes_on_the_default_flow(env):
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "hotline12348-default: OK" in result.output


def test_check_fails_on_a_broken_flow_naming_the_node(env):
    raw = yaml.safe_load(default_flow_path().read_text(encoding="utf-8"))
    raw["nodes"]["aid_menu"]["choices"]["3"] = "aid_nowhere"
    raw["nodes"]["orphan"] = {"type": "hangup", "prompt": "goodbye"}
    bad = env / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 1
    assert "error: node 'aid_menu': choice 3 points to 'aid_nowhere', which is not a node" in result.output


def test_check_reports_an_unreadable_flow_clearly(env):
    bad = env / "bad.yaml"
    bad.write_text("nodes: [unclosed", encoding="utf-8")
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 2 and "cannot read flow file" in result.output


def test_show_prints_every_script_entry(env):
    result = runner.invoke(app, ["show"])
    assert result.exit_code == 0
    for script in ("[ivr]", "[after-queue]", "[survey]", "[callback-ivr]"):
        assert script in result.output
    assert "route_consult_labor (route) [consult/consult.labor]" in result.output


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_prompts_build_writes_under_prompts_dir(env, monkeypatch):
    monkeypatch.setattr("ivr.cli.load_catalogue", lambda: {"main-menu": "法律咨询请按1。", "goodbye": "再见。"})
    result = runner.invoke(app, ["prompts", "build"])
    assert result.exit_code == 0, result.output
    assert (env / "prompts" / "hotline" / "main-menu.wav").exists()
    assert "rendered" in result.output


def test_check_audio_names_prompts_without_a_file(env):
    folder = env / "prompts" / "hotline"
    folder.mkdir(parents=True)
    (folder / "welcome.wav").write_bytes(b"RIFF")
    result = runner.invoke(app, ["check", "--audio"])
    assert result.exit_code == 1
    assert "error: prompt 'main-menu' has no audio file" in result.output
    assert "prompt 'welcome' has no audio file" not in result.output
