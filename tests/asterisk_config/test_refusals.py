"""Values that would break a config file are refused — at load time or, at the latest, at render time."""
from __future__ import annotations

import pytest

from hotline.config_render import (
    AsteriskConfigSettings, ConfigValueError, build_options, conf_callerid_name, conf_host, conf_ident,
    conf_path, conf_secret, conf_value, load_or_create_secrets, render,
)
from hotline.directory import DirectoryError, load_directory
from hotline.settings import AmiNode, Settings

from .conftest import served_raw, write_directory


@pytest.mark.parametrize("bad", ["坐席\n1001", "坐席;1001", "坐席[1001]", "坐席\r", "a\x00b"])
def test_seat_name_with_newline_semicolon_or_bracket_is_refused_at_load(tmp_path, bad):
    raw = served_raw()
    raw["seats"][0]["name"] = bad
    with pytest.raises(DirectoryError, match=r"seats\.0\.name"):
        load_directory(write_directory(tmp_path / "d.yaml", raw))


@pytest.mark.parametrize("bad", ["咨询", "Consult", "con sult", "a;b"])
def test_non_ascii_skill_identifier_is_refused_at_load(tmp_path, bad):
    raw = served_raw()
    raw["skills"][0]["id"] = bad
    with pytest.raises(DirectoryError, match=r"skills\.0\.id"):
        load_directory(write_directory(tmp_path / "d.yaml", raw))


def test_center_name_with_bracket_is_refused_at_load(tmp_path):
    raw = served_raw()
    raw["centers"][1]["name"] = "[郑州]"
    with pytest.raises(DirectoryError, match=r"centers\.1\.name"):
        load_directory(write_directory(tmp_path / "d.yaml", raw))


def _render(tmp_path, raw, options):
    directory = load_directory(write_directory(tmp_path / "d.yaml", raw))
    return render(directory, options, load_or_create_secrets(tmp_path / "s.json", directory, "ami-secret-1"))


def test_quote_in_seat_name_is_refused_at_render(tmp_path, options):
    raw = served_raw()
    raw["seats"][0]["name"] = '坐席"1001'
    with pytest.raises(ConfigValueError, match=r"seats\.1001\.name"):
        _render(tmp_path, raw, options)


# Trunk values are refused by the directory loader; the render-time guard stays as a second line.
REFUSED = (DirectoryError, ConfigValueError)


def test_non_ascii_trunk_name_is_refused(tmp_path, options):
    raw = served_raw()
    raw["trunks"]["carrier"]["name"] = "电信"
    with pytest.raises(REFUSED, match=r"trunks\.carrier\.name"):
        _render(tmp_path, raw, options)


@pytest.mark.parametrize("bad", ["10.0.0.1\nmatch=0.0.0.0/0", "10.0.0.1;x", "主机"])
def test_bad_carrier_match_is_refused(tmp_path, options, bad):
    raw = served_raw()
    raw["trunks"]["carrier"]["match"] = [bad]
    with pytest.raises(REFUSED, match=r"trunks\.carrier\.match"):
        _render(tmp_path, raw, options)


def test_bad_12345_host_is_refused(tmp_path, options):
    raw = served_raw()
    raw["trunks"]["gov12345"]["host"] = "host\n[evil]"
    with pytest.raises(REFUSED, match=r"trunks\.gov12345\.host"):
        _render(tmp_path, raw, options)


def test_secret_with_semicolon_in_secrets_file_is_refused(tmp_path, served, options):
    secrets = load_or_create_secrets(tmp_path / "s.json", served, "ami-secret-1")
    secrets["seat1001"] = "abc;defghij"
    with pytest.raises(ConfigValueError, match="seat1001 password"):
        render(served, options, secrets)


def test_ami_user_with_newline_is_refused(tmp_path):
    settings = Settings(var_dir=tmp_path, ami_nodes=[AmiNode(username="engine\nread=all")], _env_file=None)
    with pytest.raises(ConfigValueError, match=r"ami_nodes\[0\]\.username"):
        build_options(settings, AsteriskConfigSettings(_env_file=None))


def test_relative_or_spaced_paths_are_refused(tmp_path):
    settings = Settings(var_dir=tmp_path, recordings_dir="/var/spool/录音 dir", _env_file=None)
    with pytest.raises(ConfigValueError, match="recordings_dir"):
        build_options(settings, AsteriskConfigSettings(_env_file=None))


@pytest.mark.parametrize("guard,value", [
    (conf_ident, "q-410100-咨询"), (conf_ident, "a b"), (conf_ident, "a\n"), (conf_value, "x;y"),
    (conf_value, "x\ny"), (conf_value, "[x]"), (conf_callerid_name, 'a"b'), (conf_callerid_name, "a\\b"),
    (conf_path, "relative/path"), (conf_path, "/a b"), (conf_secret, "short"), (conf_secret, "with space!!"),
    (conf_host, "bad host"), (conf_host, "1.2.3.4\n"),
])
def test_guards_refuse_with_a_message_naming_the_field(guard, value):
    with pytest.raises(ConfigValueError, match="^myfield: "):
        guard(value, field="myfield")


def test_guards_accept_plain_values():
    assert conf_ident("q-410100-consult") == "q-410100-consult"
    assert conf_callerid_name("坐席1001") == "坐席1001"
    assert conf_host("192.0.2.0/24") == "192.0.2.0/24" and conf_host("sip.example.cn") == "sip.example.cn"


@pytest.mark.parametrize("path,value", [(("seats", 0, "extension"), "1001\n"), (("skills", 0, "id"), "consult\n")])
def test_trailing_newline_in_identifier_never_reaches_a_file(tmp_path, options, path, value):
    raw = served_raw()
    node = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises((DirectoryError, ConfigValueError)):
        _render(tmp_path, raw, options)
