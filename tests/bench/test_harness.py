"""The bench harness reports every measure — value, baseline, ratio, target — or says why it could not."""
from __future__ import annotations

import json

from bench.harness import BenchOptions, Measurement, format_table, run_measures, write_results
from bench.measures import MEASURES


def test_every_measure_named_by_the_bench_issue_is_wired():
    assert set(MEASURES) == {"ami_ingest", "routing_latency", "pbxsim_load", "transcription", "outbox",
                             "wallboard", "api"}


def test_targets_are_evaluated_on_the_ratio():
    ok = Measurement("x", 10.0, "events/s", baseline="min", baseline_value=12.0, ratio=10 / 12, target="ratio >= 0.65")
    missed = Measurement("y", 1.2, "RTF", ratio=1.2, target="ratio <= 1.05")
    assert ok.meets_target is True
    assert missed.meets_target is False
    assert Measurement("z", 1.0, "u").meets_target is None


def test_a_target_may_carry_an_explanation_after_its_comparison():
    m = Measurement("w", 800.0, "ms p99", ratio=3.0, target="value <= 1000 (the wallboard reflects an event within 1 s)")
    assert m.meets_target is True
    assert Measurement("v", None, "u", target="value <= 1").meets_target is None
    assert Measurement("u", 1.0, "u", ratio=1.0, target="fast enough").meets_target is None


def test_a_failing_or_missing_measure_is_reported_not_dropped(tmp_path):
    def boom(opts):
        raise RuntimeError("pbx exploded")

    def missing(opts):
        import hotline_no_such_component  # noqa: F401

    results = run_measures({"a": ("u", boom), "b": ("u", missing)}, BenchOptions(quick=True))
    by = {m.key: m for m in results}
    assert by["a"].status == "error" and "pbx exploded" in by["a"].reason
    assert by["b"].status == "unavailable" and "hotline_no_such_component" in by["b"].reason
    doc = write_results(results, tmp_path / "r.json", BenchOptions(quick=True))
    on_disk = json.loads((tmp_path / "r.json").read_text())
    assert on_disk["measures"].keys() == {"a", "b"} == doc["measures"].keys()
    assert on_disk["machine"]["cores"] >= 1 and on_disk["machine"]["python"].startswith("3.")
    table = format_table(results)
    assert "pbx exploded" in table and "unavailable" in table


def test_component_wrapper_turns_a_dict_into_a_measurement(monkeypatch):
    import sys
    import types

    from bench.measures import _component

    mod = types.ModuleType("fake_bench_mod")
    mod.bench_x = lambda quick, seed: {"value": 5.0, "baseline": "b", "baseline_value": 10.0, "ratio": 0.5}
    monkeypatch.setitem(sys.modules, "fake_bench_mod", mod)
    m = _component("x", "events/s", "fake_bench_mod", "bench_x")(BenchOptions(quick=True))
    assert (m.key, m.value, m.unit, m.ratio, m.status) == ("x", 5.0, "events/s", 0.5, "ok")
    gone = _component("y", "u", "fake_bench_mod", "bench_missing")(BenchOptions())
    assert gone.status == "unavailable" and "bench_missing" in gone.reason


def test_rerunning_some_measures_keeps_the_others_with_their_own_time():
    from bench.harness import merge_results

    old = {"generated_at": "t1", "machine": {}, "measures": {"a": {"value": 1}, "b": {"value": 2}}}
    new = {"generated_at": "t2", "machine": {"cores": 2}, "measures": {"b": {"value": 3}}}
    merged = merge_results(old, new)
    assert merged["measures"] == {"a": {"value": 1, "generated_at": "t1"}, "b": {"value": 3, "generated_at": "t2"}}
    assert merged["machine"] == {"cores": 2}
