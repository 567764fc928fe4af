"""Prompt catalogue and placeholder audio: 8 kHz 16-bit mono WAV + slin, recordings never overwritten."""
from __future__ import annotations

import json
import shutil
import wave

import pytest

from ivr.flow import PROMPT_ID
from ivr.prompts import build_prompts, load_catalogue, plan, sha256, text_hash

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("sox") is None,
                                reason="espeak-ng and sox are system packages of the IVR host")
SMALL = {"welcome": "您好，欢迎致电12348公共法律服务热线。", "goodbye": "再见。"}


def test_catalogue_ids_are_file_safe_and_texts_are_chinese():
    cat = load_catalogue()
    assert all(PROMPT_ID.match(k) for k in cat)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in cat.values())


def test_catalogue_rejects_multi_line_text(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("welcome: |\n  第一行\n  第二行\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs one line"):
        load_catalogue(bad)


def test_build_renders_8khz_mono_16bit_wav_and_slin(tmp_path):
    results = build_prompts(SMALL, tmp_path)
    assert [(r.prompt, r.action) for r in results] == [("welcome", "rendered"), ("goodbye", "rendered")]
    wav = tmp_path / "hotline" / "welcome.wav"
    with wave.open(str(wav)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        frames = w.getnframes()
    assert frames > 8000  # more than a second of speech
    assert (tmp_path / "hotline" / "welcome.sln").stat().st_size == frames * 2
    manifest = json.loads((tmp_path / "hotline" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["welcome"]["source"] == "espeak-ng" and manifest["welcome"]["sha256"] == sha256(wav)


def test_second_build_changes_nothing_and_changed_text_re_renders(tmp_path):
    build_prompts(SMALL, tmp_path)
    assert {r.action for r in build_prompts(SMALL, tmp_path)} == {"unchanged"}
    again = build_prompts({**SMALL, "goodbye": "感谢您的来电，再见。"}, tmp_path)
    assert [(r.prompt, r.action, r.reason) for r in again] == [("welcome", "unchanged", ""), ("goodbye", "rendered", "text changed")]


def test_a_human_recording_dropped_in_place_is_never_overwritten(tmp_path):
    build_prompts(SMALL, tmp_path)
    wav = tmp_path / "hotline" / "welcome.wav"
    recorded = wav.read_bytes()[:44] + bytes(16000)  # a different recording
    wav.write_bytes(recorded)
    results = build_prompts({**SMALL, "welcome": "新的欢迎词。"}, tmp_path, force=True)
    assert results[0].action == "kept-recording" and "recording replaced it" in results[0].reason
    assert "re-record it" in results[0].reason  # the text changed under the recording
    assert wav.read_bytes() == recorded


def test_a_recording_present_before_the_first_build_is_kept_and_noted(tmp_path):
    folder = tmp_path / "hotline"
    folder.mkdir()
    (folder / "goodbye.wav").write_bytes(b"RIFF-recorded")
    results = build_prompts(SMALL, tmp_path)
    assert results[1].action == "kept-recording"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["goodbye"]["source"] == "recorded"
    assert (folder / "goodbye.wav").read_bytes() == b"RIFF-recorded"


def test_plan_is_a_pure_decision(tmp_path):
    wav = tmp_path / "x.wav"
    assert plan("x", "t", "cmn", wav, None) == ("render", "missing")
    wav.write_bytes(b"abc")
    entry = {"source": "espeak-ng", "sha256": sha256(wav), "text": text_hash("t", "cmn")}
    assert plan("x", "t", "cmn", wav, entry) == ("unchanged", "")
    assert plan("x", "t", "cmn-latn-pinyin", wav, entry) == ("render", "text changed")
    assert plan("x", "t", "cmn", wav, {**entry, "source": "recorded"})[0] == "kept-recording"


def test_unknown_voice_is_refused(tmp_path):
    with pytest.raises(ValueError, match="voice must be one of"):
        build_prompts(SMALL, tmp_path, voice="en")


def test_spoken_menus_follow_the_directory_digits(directory):
    from ivr.prompts import expand_texts

    texts = expand_texts(load_catalogue(), directory)
    assert texts["main-menu"].startswith("法律咨询请按1；法律援助请按2；人民调解请按3；")
    assert "劳动争议请按2；" in texts["consult-menu"] and "{" not in "".join(texts.values())
    moved = directory.model_copy(update={"skills": [
        s.model_copy(update={"ivr_digit": {"1": "2", "2": "1"}.get(s.ivr_digit, s.ivr_digit)}) for s in directory.skills]})
    assert expand_texts(load_catalogue(), moved)["main-menu"].startswith("法律援助请按1；法律咨询请按2；")
