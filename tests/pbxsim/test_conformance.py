"""Every reference trace reproduced by pbxsim: same messages, headers, values; order per stream."""
from __future__ import annotations

import pytest

from tests.conftest import TRACES
from tests.pbxsim.conformance import compare, norm_agi, run_scenario

SCENARIOS = ["ami-basics", "queue-answered", "queue-abandoned", "ring-no-answer", "member-admin",
             "overflow-redirect", "originate-callback", "mixmonitor", "hold-blindtransfer",
             "hangup-in-ivr", "status-midcall"]


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_ami_stream_matches_trace(scenario, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MixMonitor files land here
    expected, got, _ = await run_scenario(TRACES, scenario)
    assert compare(expected, got) == []


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if (TRACES / f"{s}.agi.jsonl").exists()])
async def test_fastagi_session_matches_trace(scenario, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, _, agi = await run_scenario(TRACES, scenario)
    for conn, lines in agi.expected.items():
        assert norm_agi(agi.got.get(conn, [])) == norm_agi(lines), f"session {conn}"


@pytest.mark.parametrize("session", ["ami-basics.challenge.ami.jsonl", "ami-basics.badauth.ami.jsonl"])
async def test_login_sessions_match_trace(session):
    expected, got, _ = await run_scenario(TRACES, "ami-basics", session_file=session)
    assert compare(expected, got) == []
