"""`config check`: asterisklint plus the cross-checks, on good and deliberately broken data."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from hotline import cli_config
from hotline.config_check import cross_check, lint_dialplan, prompt_finder, referenced_prompts
from hotline.config_render import load_or_create_secrets, render, write_files
from hotline.directory import load_directory
from hotline.settings import get_settings

from .conftest import served_raw, write_directory


def _files(tmp_path, directory, options):
    return render(directory, options, load_or_create_secrets(tmp_path / "sec.json", directory, "ami-secret-1"))


def test_rendered_dialplan_passes_asterisklint(tmp_path, served, options):
    write_files(_files(tmp_path, served, options), tmp_path / "out")
    assert lint_dialplan(tmp_path / "out") == []


def test_asterisklint_reports_a_broken_dialplan(tmp_path):
    (tmp_path / "extensions.conf").write_text(
        "[general]\n[globals]\n[x]\nexten => s,1,Goto(nowhere,s,1)\n same => n,NoSuchApp()\n")
    found = [str(f) for f in lint_dialplan(tmp_path)]
    assert any("nowhere" in f for f in found) and any("NoSuchApp" in f for f in found)


def test_served_directory_has_no_findings(tmp_path, served, options, prompts_dir):
    files = _files(tmp_path, served, options)
    assert cross_check(served, files, prompt_finder(prompts_dir)) == []


def test_queue_nobody_serves_is_an_error_naming_it(tmp_path, options, prompts_dir):
    raw = served_raw()
    raw["seats"] = [s for s in raw["seats"] if s["center"] != "410400"]  # 平顶山 loses its seats
    directory = load_directory(write_directory(tmp_path / "unserved.yaml", raw))
    findings = cross_check(directory, _files(tmp_path, directory, options), prompt_finder(prompts_dir))
    text = "\n".join(map(str, findings))
    assert "q-410400-consult has no seat serving it" in text
    assert "q-410100-consult" not in text  # 1001 serves it


def test_missing_queue_section_and_seat_endpoint_are_errors(tmp_path, served, options, prompts_dir):
    files = _files(tmp_path, served, options)
    files["queues.conf"] = files["queues.conf"].replace("[q-410300-aid]", "[q-410300-other]")
    files["pjsip.conf"] = files["pjsip.conf"].replace("[seat1011](seat-endpoint)", "")
    text = "\n".join(map(str, cross_check(served, files, prompt_finder(prompts_dir))))
    assert "queue q-410300-aid (routing may choose it) is not defined" in text
    assert "seat 1011 has no endpoint seat1011" in text


def test_seat_without_its_personal_queue_is_an_error(tmp_path, served, options, prompts_dir):
    files = _files(tmp_path, served, options)
    files["queues.conf"] = files["queues.conf"].replace("[seat-1011](hotline-personal)", "[other](hotline-personal)")
    text = "\n".join(map(str, cross_check(served, files, prompt_finder(prompts_dir))))
    assert "seat 1011 has no personal queue seat-1011" in text


def test_agi_route_the_ivr_does_not_serve_is_an_error(tmp_path, served, options, prompts_dir):
    files = _files(tmp_path, served, options)
    text = "\n".join(map(str, cross_check(served, files, prompt_finder(prompts_dir), agi_scripts=("ivr",))))
    assert "AGI script 'after-queue' is not served" in text and "'survey'" in text


def test_missing_prompt_file_is_an_error(tmp_path, served, options, prompts_dir):
    (prompts_dir / "hotline" / "queue-periodic.wav").unlink()
    files = _files(tmp_path, served, options)
    assert "hotline/queue-periodic" in referenced_prompts(files)
    findings = cross_check(served, files, prompt_finder(prompts_dir))
    assert [f.what for f in findings] == ["prompt hotline/queue-periodic is referenced but no audio file exists"]


@pytest.fixture
def cli_env(tmp_path, monkeypatch, prompts_dir):
    def use(directory_file):
        monkeypatch.setenv("HOTLINE_DIRECTORY_FILE", str(directory_file))
        monkeypatch.setenv("HOTLINE_VAR_DIR", str(tmp_path / "var"))
        monkeypatch.setenv("HOTLINE_PROMPTS_DIR", str(prompts_dir))
        monkeypatch.setenv("HOTLINE_RECORDINGS_DIR", str(tmp_path / "rec"))
        get_settings.cache_clear()
    yield use
    get_settings.cache_clear()


def test_cli_render_then_check_passes(tmp_path, cli_env, served_file):
    cli_env(served_file)
    runner = CliRunner()
    out = tmp_path / "etc"
    res = runner.invoke(cli_config.app, ["render", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "extensions.conf").is_file()
    res = runner.invoke(cli_config.app, ["check", str(out)])
    assert res.exit_code == 0, res.output
    assert "0 个错误" in res.output


def test_cli_check_fails_naming_the_queue_nobody_serves(tmp_path, cli_env):
    raw = served_raw()
    raw["seats"] = [s for s in raw["seats"] if s["center"] != "410700"]  # 新乡: nobody left
    raw["hours"]["duty_seats"] = []
    cli_env(write_directory(tmp_path / "d.yaml", raw))
    res = CliRunner().invoke(cli_config.app, ["check"])
    assert res.exit_code == 1
    assert "queue q-410700-consult has no seat serving it" in res.output


def test_cli_refuses_a_seat_with_no_center(tmp_path, cli_env):
    raw = served_raw()
    del raw["seats"][0]["center"]
    cli_env(write_directory(tmp_path / "d.yaml", raw))
    res = CliRunner().invoke(cli_config.app, ["render", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "seats.0.center" in res.output and "Field required" in res.output
    assert not (tmp_path / "o").exists()


def test_cli_refuses_a_seat_of_an_unknown_center(tmp_path, cli_env):
    raw = served_raw()
    raw["seats"][0]["center"] = "410199"
    cli_env(write_directory(tmp_path / "d.yaml", raw))
    res = CliRunner().invoke(cli_config.app, ["check"])
    assert res.exit_code == 2
    assert "seats.1001.center: unknown center '410199'" in res.output


def test_agi_routes_are_checked_against_the_ivr_server():
    from ivr.flow import SCRIPTS

    assert cli_config.ivr_scripts() == tuple(SCRIPTS)
    assert set(SCRIPTS) >= {"ivr", "after-queue", "survey", "callback-ivr"}


def test_every_module_the_dialplan_uses_is_required(tmp_path, served, options):
    from hotline.config_check import dialplan_modules, modules_problems

    files = _files(tmp_path, served, options)
    write_files(files, tmp_path / "out")
    used = dialplan_modules(tmp_path / "out")
    assert {"app_queue.so", "res_agi.so", "app_chanspy.so", "func_strings.so", "res_pjsip_header_funcs.so"} <= used
    assert modules_problems(files["modules.conf"], used) == []


def test_noloading_a_module_the_dialplan_uses_is_an_error():
    from hotline.config_check import modules_problems

    conf = "[modules]\nautoload=yes\nrequire=app_queue.so\nnoload=app_chanspy.so\n"
    found = [str(f) for f in modules_problems(conf, {"app_queue.so", "app_chanspy.so", "app_dial.so"})]
    assert found == ["error: modules.conf: noload=app_chanspy.so but the dialplan uses it",
                     "warning: modules.conf: the dialplan uses app_dial.so; add require=app_dial.so"]


@pytest.mark.parametrize("spec,allowed,refused", [
    ("0-9", "0579", "a-,"), ("-a-z0-9_.", "-az09_.", ",;$/"), ("-/_A-Za-z0-9", "/_-Zz9", ",.;"),
    ("A-Za-z0-9-", "-Aa9", ",_"),
])
def test_filter_sets_are_evaluated_like_asterisk(spec, allowed, refused):
    from hotline.config_check import filter_allowed

    got = filter_allowed(spec)
    assert set(allowed) <= got and not set(refused) & got


def test_a_filter_set_ending_in_a_range_opener_is_an_error():
    from hotline.config_check import filter_allowed, filter_problems

    assert {"/", ";", "{", "~", "\x00"} <= filter_allowed("a-z0-9_.-")  # '.-' runs to the end of the charset
    found = filter_problems("exten => s,1,Queue(${FILTER(a-z0-9_.-,${HOTLINE_QUEUE})})\\n")
    assert len(found) == 1 and "FILTER(a-z0-9_.-" in found[0].what


def test_rendered_dialplan_filters_only_let_identifiers_through(tmp_path, served, options):
    from hotline.config_check import filter_problems

    ext = _files(tmp_path, served, options)["extensions.conf"]
    assert ext.count("FILTER(") >= 8
    assert filter_problems(ext) == []


def test_carrier_without_a_contact_is_a_warning(tmp_path, served, options, prompts_dir):
    files = _files(tmp_path, served, options)
    files["pjsip.conf"] = files["pjsip.conf"].replace("contact=sip:127.0.0.1\n", "")
    found = cross_check(served, files, prompt_finder(prompts_dir))
    assert [(f.level, f.where) for f in found] == [("warning", "pjsip.conf")]
    assert "回访 callbacks cannot be dialled" in found[0].what
