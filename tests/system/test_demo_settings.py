"""What `make run` changes for the demo: the packaged speech model stands in only when nothing is set."""
from __future__ import annotations

from pathlib import Path

from hotline.cli import demo_speech_model, packaged_model
from hotline.settings import Settings


def _settings(tmp_path: Path, **kw) -> Settings:
    return Settings(_env_file=None, var_dir=tmp_path, **kw)


def _default_model_at(path: Path, **kw) -> Settings:
    """Settings whose model path is the default (nobody set it), pointing at `path`."""
    return Settings.model_construct(_fields_set=set(kw), vosk_model_path=path, **kw)


def test_demo_without_a_model_uses_the_packaged_one_and_says_so(tmp_path):
    s = _default_model_at(tmp_path / "missing")
    out, warning = demo_speech_model(s, tmp_path / "ko")
    assert out.vosk_model_path == tmp_path / "ko"
    assert "韩语模型" in warning and "HOTLINE_VOSK_MODEL_PATH" in warning


def test_a_configured_model_is_never_replaced_even_when_missing(tmp_path):
    s = _settings(tmp_path, vosk_model_path=tmp_path / "cn-model-not-yet-installed")
    out, warning = demo_speech_model(s, tmp_path / "ko")
    assert out.vosk_model_path == tmp_path / "cn-model-not-yet-installed" and warning is None


def test_a_real_asterisk_never_gets_the_demo_model(tmp_path):
    s = _default_model_at(tmp_path / "missing", pbx_mode="asterisk")
    out, warning = demo_speech_model(s, tmp_path / "ko")
    assert out.vosk_model_path == tmp_path / "missing" and warning is None


def test_an_installed_default_model_is_kept(tmp_path):
    (tmp_path / "cn").mkdir()
    s = _default_model_at(tmp_path / "cn")
    assert demo_speech_model(s, tmp_path / "ko") == (s, None)


def test_the_packaged_model_is_found_in_site_packages():
    model = packaged_model()
    assert model is not None and (model / "am").is_dir() and (model / "conf").is_dir()
