"""bench_wallboard runs end to end and reports what the bench harness expects (small sizes here)."""
from __future__ import annotations

import pytest

from supervisor import benchmarks

pytestmark = pytest.mark.slow


def test_bench_wallboard_reports_staleness_baseline_and_cpu(monkeypatch):
    monkeypatch.setattr(benchmarks, "SEATS", 40)
    monkeypatch.setattr(benchmarks, "CALLS", 100)
    out = benchmarks.bench_wallboard(quick=True, seed=7)
    assert {"value", "unit", "baseline", "baseline_value", "ratio", "details"} <= set(out)
    # value and baseline are reported rounded to 3 decimals, the ratio from the unrounded times:
    # compare relatively, since a sub-millisecond baseline makes an absolute bound meaningless.
    assert out["value"] > 0 and out["baseline_value"] > 0 and out["ratio"] == pytest.approx(
        out["value"] / out["baseline_value"], rel=0.01)
    d = out["details"]
    assert d["seats"] == 40 and d["calls_today"] == 100 and d["events"] == 150 and 0 < d["cpu_share"] <= 2
    assert d["pushes"] >= 1
