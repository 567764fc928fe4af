"""The load entry point bench/ calls: it runs, counts, and delivers every event to its client."""
from __future__ import annotations

from pbxsim.load import report, run_load


async def test_small_load_run_reports_calls_events_and_cpu():
    r = await run_load(calls_per_second=5, duration=6, seats=4, talk_time=3, queues=2, seed=3)
    assert r.calls >= 10 and r.events > r.calls * 5
    assert r.bytes_to_client > 0 and not r.client_dropped
    assert r.cpu_seconds > 0 and 0 < r.cpu_share
    assert "events/s=" in report(r)


async def test_same_seed_same_traffic():
    a = await run_load(calls_per_second=5, duration=4, seats=2, talk_time=2, queues=1, seed=9)
    b = await run_load(calls_per_second=5, duration=4, seats=2, talk_time=2, queues=1, seed=9)
    assert (a.calls, a.events, a.peak_concurrent) == (b.calls, b.events, b.peak_concurrent)


def test_bench_entry_reports_value_baseline_and_ratio():
    from pbxsim.load import bench_pbxsim_load

    res = bench_pbxsim_load(quick=True, seed=1)
    assert res["value"] > 0 and res["baseline_value"] > 0
    assert abs(res["ratio"] - res["value"] / res["baseline_value"]) < 0.01
    assert res["details"]["calls"] > 300 and not res["details"]["client_dropped"]
