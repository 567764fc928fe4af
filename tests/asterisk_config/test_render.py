"""Rendering the Asterisk config from the directory data."""
from __future__ import annotations

import os
import re
import stat

from hotline.config_check import endpoints, parse_sections, sections
from hotline.config_render import CONFIG_FILES, load_or_create_secrets, render, write_files


def _secrets(tmp_path, directory, ami="s3cret-ami-value"):
    return load_or_create_secrets(tmp_path / "secrets.json", directory, ami)


def test_every_file_is_rendered(tmp_path, directory, options):
    files = render(directory, options, _secrets(tmp_path, directory))
    assert set(files) == set(CONFIG_FILES)
    assert all(text.strip() for text in files.values())


def test_one_queue_per_center_and_skill_and_nothing_else(tmp_path, directory, options):
    files = render(directory, options, _secrets(tmp_path, directory))
    queues = [s for s in sections(files["queues.conf"]) if s.startswith("q-")]
    assert sorted(queues) == sorted(directory.queue_names())
    # skill-queue members are added by the seats package with QueueAdd, never statically; the only
    # static members are each seat alone in its personal queue seat-<ext> (首问负责制)
    statics = re.findall(r"^\[(seat-\d+)\]\(hotline-personal\)\nmember => (PJSIP/\S+?),0,", files["queues.conf"], re.M)
    assert statics == [(f"seat-{s.extension}", f"PJSIP/{s.endpoint}") for s in directory.seats]
    assert len(re.findall(r"^member\s*=", files["queues.conf"], re.M)) == len(directory.seats)


def test_queue_options_the_system_needs(tmp_path, directory, options):
    conf = render(directory, options, _secrets(tmp_path, directory))["queues.conf"]
    template = next(body for name, _, body in parse_sections(conf) if name == "hotline-queue")
    assert template["setinterfacevar"] == ["yes"]
    assert template["joinempty"] == ["unavailable,invalid"]
    assert template["leavewhenempty"] == ["unavailable,invalid"]
    assert template["servicelevel"] == ["20"]
    assert template["wrapuptime"] == ["10"]
    assert template["periodic-announce"] == ["hotline/queue-periodic"]


def test_each_seat_and_supervisor_phone_gets_endpoint_auth_and_aor(tmp_path, directory, options):
    secrets = _secrets(tmp_path, directory)
    pjsip = render(directory, options, secrets)["pjsip.conf"]
    eps = endpoints(pjsip)
    for seat in directory.seats:
        assert seat.endpoint in eps
        assert f"[{seat.endpoint}-auth](seat-auth)" in pjsip
        assert f"[{seat.endpoint}](seat-aor)" in pjsip
        assert f'callerid="{seat.name}" <{seat.extension}>' in pjsip
        assert f"password={secrets[seat.endpoint]}" in pjsip
    assert "sup9001" in eps
    assert {"carrier", "gov12345"} <= eps
    assert "seat-endpoint" not in eps  # templates are not endpoints


def test_transports_udp_tcp_tls_and_wss(tmp_path, directory, options):
    pjsip = render(directory, options, _secrets(tmp_path, directory))["pjsip.conf"]
    kinds = {name: body for name, _, body in parse_sections(pjsip) if body.get("type") == ["transport"]}
    assert {b["protocol"][0] for b in kinds.values()} == {"udp", "tcp", "tls", "wss"}
    http = render(directory, options, _secrets(tmp_path, directory))["http.conf"]
    assert "tlsenable=yes" in http and "tlsbindaddr=0.0.0.0:8089" in http


def test_carrier_identified_by_address_and_12345_trunk(tmp_path, directory, options):
    pjsip = render(directory, options, _secrets(tmp_path, directory))["pjsip.conf"]
    body = {name: b for name, _, b in parse_sections(pjsip)}
    assert body["carrier-identify"]["match"] == directory.trunks.carrier.match
    assert body["carrier-identify"]["endpoint"] == ["carrier"]
    assert "auth" not in body["carrier"]
    assert body["gov12345"]["contact"] == ["sip:127.0.0.1:5070"]


def test_manager_conf_grants_only_what_the_engine_uses(tmp_path, directory, options):
    conf = render(directory, options, _secrets(tmp_path, directory))["manager.conf"]
    users = [(n, b) for n, _, b in parse_sections(conf) if n != "general"]
    assert len(users) == 1
    name, body = users[0]
    assert name == "engine"
    assert body["read"] == ["system,call,agent,user"]
    assert body["write"] == ["system,call,agent,originate"]
    assert body["deny"] == ["0.0.0.0/0.0.0.0"]
    assert body["permit"] == ["10.1.2.3/255.255.255.255"]
    assert body["secret"] == ["s3cret-ami-value"]


def test_dialplan_follows_the_contract(tmp_path, directory, options):
    ext = render(directory, options, _secrets(tmp_path, directory))["extensions.conf"]
    ctx = sections(ext)
    for name in ("from-carrier", "hotline-inbound", "queue-overflow", "callback", "callback-ivr",
                 "handoff-12345", "seat-transfer", "chanspy", "survey"):
        assert name in ctx
    assert "FASTAGI=agi://10.1.2.3:4573" in ext
    for did in directory.trunks.carrier.dids:
        assert f"exten => {did},1," in ext
    assert "Queue(${FILTER(-a-z0-9_.,${HOTLINE_QUEUE})},tc,,,${QUEUE_WAIT})" in ext
    assert "Set(QUEUE_PRIO=0${FILTER(0-9,${HOTLINE_PRIORITY})})" in ext and "Set(CHANNEL(language)=zh)" in ext
    for c in directory.centers:
        assert f"exten => {c.code},1,Set(HOTLINE_QUEUE=q-${{EXTEN}}-" in ext
    for s in directory.seats:
        assert f"exten => {s.extension},1,Dial(PJSIP/seat{s.extension}," in ext
    for mode, opts in (("listen", "qE"), ("whisper", "qwE"), ("barge", "qBE")):
        assert re.search(rf"exten => {mode},1,Answer\(\)\n same => n,ChanSpy\(.*,{opts}\)", ext)
    assert "exten => h,1," in ext


def test_secrets_are_random_0600_and_stable(tmp_path, directory):
    path = tmp_path / "s" / "secrets.json"
    first = load_or_create_secrets(path, directory, None)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_secrets(path, directory, None) == first
    other = load_or_create_secrets(tmp_path / "other.json", directory, None)
    assert first["seat1001"] != other["seat1001"] and first["ami"] != other["ami"]
    assert all(len(v) >= 16 for v in first.values())
    assert first["ami"] != "engine"


def test_files_with_passwords_are_written_0600(tmp_path, directory, options):
    written = write_files(render(directory, options, _secrets(tmp_path, directory)), tmp_path / "out")
    modes = {p.name: stat.S_IMODE(os.stat(p).st_mode) for p in written}
    assert modes["pjsip.conf"] == 0o600 and modes["manager.conf"] == 0o600
    assert modes["extensions.conf"] == 0o644


def test_rendering_is_deterministic(tmp_path, directory, options):
    secrets = _secrets(tmp_path, directory)
    assert render(directory, options, secrets) == render(directory, options, secrets)


def test_probe_host_gets_its_own_endpoint_only_when_configured(tmp_path, directory, base_settings):
    from hotline.config_render import AsteriskConfigSettings, build_options

    plain = render(directory, build_options(base_settings, AsteriskConfigSettings(_env_file=None)),
                   _secrets(tmp_path, directory))["pjsip.conf"]
    assert "probe" not in endpoints(plain)
    cfg = AsteriskConfigSettings(_env_file=None, probe_address="10.9.9.9")
    pjsip = render(directory, build_options(base_settings, cfg), _secrets(tmp_path, directory))["pjsip.conf"]
    body = {name: b for name, _, b in parse_sections(pjsip)}
    assert "probe" in endpoints(pjsip) and body["probe"]["context"] == ["from-carrier"]
    assert body["probe-identify"]["match"] == ["10.9.9.9"]


def test_browser_phones_make_seats_webrtc_endpoints_over_wss(tmp_path, directory, base_settings):
    from hotline.config_render import AsteriskConfigSettings, build_options

    cfg = AsteriskConfigSettings(_env_file=None, seat_phone="webrtc")
    pjsip = render(directory, build_options(base_settings, cfg), _secrets(tmp_path, directory))["pjsip.conf"]
    seat = next(body for name, _, body in parse_sections(pjsip) if name == "seat-endpoint")
    assert seat["webrtc"] == ["yes"] and seat["transport"] == ["transport-wss"] and "opus" in seat["allow"]
    carrier = next(body for name, _, body in parse_sections(pjsip) if name == "carrier" and "context" in body)
    assert carrier["transport"] == ["transport-udp"]  # trunks stay plain SIP


def test_rewriting_replaces_files_and_leaves_no_temporaries(tmp_path, directory, options):
    files = render(directory, options, _secrets(tmp_path, directory))
    out = tmp_path / "etc"
    write_files(files, out)
    (out / "queues.conf").write_text("stale")
    write_files(files, out)
    assert (out / "queues.conf").read_text(encoding="utf-8") == files["queues.conf"]
    assert sorted(p.name for p in out.iterdir()) == sorted(files)


def test_broken_secrets_file_is_refused_and_left_as_it_was(tmp_path, directory):
    import pytest

    from hotline.config_render import ConfigValueError

    path = tmp_path / "secrets.json"
    path.write_text('{"seat1001": "keep-me-please"')  # truncated JSON: an operator's edit gone wrong
    with pytest.raises(ConfigValueError, match="not valid JSON"):
        load_or_create_secrets(path, directory, None)
    assert path.read_text() == '{"seat1001": "keep-me-please"'
    path.write_text('{"seat1001": "keep-me-please"}')
    assert load_or_create_secrets(path, directory, None)["seat1001"] == "keep-me-please"
