"""The screen-pop benchmark runs and reports value, baseline and ratio (numbers are not asserted)."""
from __future__ import annotations

import pytest


@pytest.mark.slow
def test_screen_pop_benchmark_reports_a_ratio_against_its_baseline():
    from concurrent.futures import ThreadPoolExecutor

    from seats.benchmarks import bench_screen_pop

    with ThreadPoolExecutor(1) as pool:  # it runs its own event loop
        res = pool.submit(bench_screen_pop, True).result()
    assert set(res) >= {"value", "baseline", "baseline_value", "ratio", "target", "details"}
    assert res["details"]["calls"] == 20 and res["value"] > 0 and res["baseline_value"] > 0
