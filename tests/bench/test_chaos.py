"""The chaos report names every scenario of the bench issue, each with lost/checked/duplicated, whatever happens."""
from __future__ import annotations

import sys
import types

from bench import chaos
from bench.chaos import SCENARIOS, normalise, run_chaos


def test_every_fault_named_by_the_bench_issue_is_wired():
    assert set(SCENARIOS) == {"ami_link_dropped_100x", "pbxsim_restart_live_calls", "postgres_connection_killed",
                              "platform_down_5min", "transcription_worker_sigkill"}


def test_each_scenario_reports_lost_checked_and_duplicated_under_one_name():
    routing_style = normalise({"lost": 0, "checked": 10, "duplicates": 2})
    outbox_style = normalise({"lost": 0, "checked": 5, "in_order": True})
    disordered = normalise({"lost": 0, "checked": 5, "in_order": False})
    assert (routing_style["duplicated"], routing_style["status"]) == (2, "lost")
    assert (outbox_style["duplicated"], outbox_style["status"]) == (0, "ok")
    assert disordered["duplicated"] is None and disordered["status"] == "lost"
    assert normalise({"lost": 0, "checked": 1, "duplicated": 0, "status": "error"})["status"] == "error"


def test_a_broken_or_missing_scenario_is_reported_not_dropped(monkeypatch):
    mod = types.ModuleType("fake_chaos_mod")

    def boom(quick):
        raise RuntimeError("pbx on fire")

    mod.chaos_boom = boom
    mod.chaos_fine = lambda quick: {"lost": 0, "checked": 3, "duplicated": 0, "quick": quick}
    monkeypatch.setitem(sys.modules, "fake_chaos_mod", mod)
    monkeypatch.setattr(chaos, "SCENARIOS", {"boom": ("fake_chaos_mod", "chaos_boom"),
                                             "fine": ("fake_chaos_mod", "chaos_fine"),
                                             "gone": ("fake_chaos_mod", "chaos_gone"),
                                             "nopkg": ("hotline_no_such_pkg.chaos", "chaos_x")})
    report = run_chaos(quick=True)
    s = report["scenarios"]
    assert s["boom"]["status"] == "error" and "pbx on fire" in s["boom"]["reason"]
    assert s["fine"] == {"lost": 0, "checked": 3, "duplicated": 0, "quick": True, "status": "ok"}
    assert s["gone"]["status"] == s["nopkg"]["status"] == "unavailable"
    assert report["machine"]["cores"] >= 1 and report["quick"] is True
