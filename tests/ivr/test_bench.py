"""The bench entry point runs whole calls (it refuses to report on calls that ended early)."""
from __future__ import annotations

from ivr.bench import measure


async def test_measure_reports_ratios_for_complete_calls():
    result = await measure(calls=3, parse_lines=600)
    assert result["calls"] == 3
    assert set(result) >= {"parse_ratio_vs_panoramisk", "calls_ratio_vs_bare_panoramisk",
                           "calls_with_sqlite_ratio_vs_bare_panoramisk", "peak_memory_ratio_vs_bare_panoramisk"}
    assert all(v > 0 for v in result.values())
