"""The rendered dialplan and pbxsim's copy of it are the same priorities, step for step."""
from __future__ import annotations

import re

from hotline.config_check import parse_sections
from hotline.config_render import load_or_create_secrets, render
from pbxsim.dialplan import build_dialplan, inbound_steps, personal_queue

_LINE = re.compile(r"^\s*(?:exten => (?P<exten>[^,]+),1|same => n(?:\((?P<label>\w+)\))?),(?P<app>\w+)\((?P<data>.*)\)\s*$")


def priorities(conf: str, context: str) -> dict[str, list[tuple]]:
    """extensions.conf context → exten → [(app, data[, label])] in priority order."""
    out: dict[str, list[tuple]] = {}
    inside, exten = False, None
    for line in conf.splitlines():
        if line.startswith("["):
            inside = line.startswith(f"[{context}]")
            continue
        m = _LINE.match(line)
        if not inside or m is None:
            continue
        exten = m["exten"] or exten
        step = (m["app"], m["data"]) + ((m["label"],) if m["label"] else ())
        out.setdefault(exten, []).append(step)
    return out


def rendered(tmp_path, directory, options) -> dict[str, str]:
    return render(directory, options, load_or_create_secrets(tmp_path / "secrets.json", directory, "x" * 16))


def test_inbound_flow_is_the_one_pbxsim_runs(tmp_path, directory, options):
    conf = rendered(tmp_path, directory, options)["extensions.conf"]
    assert priorities(conf, "hotline-inbound")["s"] == inbound_steps("${FASTAGI}", "${QUEUE_WAIT}", "${SEAT_RING}")


def test_actions_other_than_queue_hang_up_after_the_ivr(tmp_path, directory, options):
    steps = priorities(rendered(tmp_path, directory, options)["extensions.conf"], "hotline-inbound")["s"]
    ivr = steps.index(("AGI", "${FASTAGI}/ivr"))
    branch = steps[ivr + 1:]
    assert branch[2] == ("GotoIf", '$["${HOTLINE_ACTION}"="queue"]?queue')
    assert branch[3] == ("Hangup", "", "bye")  # callback, voicemail, hangup and anything unknown end here
    assert [s for s in steps if s[0] == "Queue"] == [
        ("Queue", "seat-${HOTLINE_FIRST_SEAT},tc,,,${SEAT_RING}"),
        ("Queue", "${FILTER(-a-z0-9_.,${HOTLINE_QUEUE})},tc,,,${QUEUE_WAIT}", "main")]


def test_overflow_targets_match_pbxsim(tmp_path, directory, options):
    conf = rendered(tmp_path, directory, options)["extensions.conf"]
    pbx = build_dialplan("${FASTAGI}", 60)["queue-overflow"]["_X."]
    overflow = priorities(conf, "queue-overflow")
    assert {c.code for c in directory.centers} <= set(overflow)
    assert all(overflow[c.code] == pbx for c in directory.centers)


def test_every_seat_has_the_personal_queue_the_dialplan_names(tmp_path, directory, options):
    conf = rendered(tmp_path, directory, options)["queues.conf"]
    personal = {name: body for name, _, body in parse_sections(conf) if name.startswith("seat-")}
    assert set(personal) == {personal_queue(s.extension) for s in directory.seats}
    template = next(body for name, _, body in parse_sections(conf) if name == "hotline-personal")
    assert template["strategy"] == ["ringall"]
    for key in ("joinempty", "leavewhenempty"):
        assert {"paused", "inuse", "ringing", "unavailable", "wrapup"} <= set(template[key][0].split(","))
