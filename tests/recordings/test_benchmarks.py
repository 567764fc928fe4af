"""The transcription bench: its pool-rate arithmetic, and a small run end to end (no timing asserted)."""
import pytest

from recordings.benchmarks import bench_transcription, pool_rate


def test_pool_rate_sums_each_workers_rate_over_its_own_busy_span():
    seconds = {1: 10.0, 2: 10.0, 3: 20.0}
    outcomes = [{"worker": "a", "recording_id": 1, "started": 0.0, "finished": 5.0},
                {"worker": "a", "recording_id": 2, "started": 5.0, "finished": 10.0},
                # b starts late and its last job runs alone at the end: neither counts against the pool
                {"worker": "b", "recording_id": 3, "started": 2.0, "finished": 12.0}]
    assert pool_rate(outcomes, seconds) == pytest.approx(20.0 / 10.0 + 20.0 / 10.0)
    assert pool_rate(outcomes[:2], seconds) == pytest.approx(2.0)


def test_transcription_bench_runs_pipeline_and_bare_vosk_on_the_same_audio():
    result = bench_transcription(quick=True)
    d = result["details"]
    assert result["target"] == "ratio <= 1.05" and result["ratio"] > 0
    assert len(d["pipeline_rtf_cpu"]) == len(d["bare_rtf_cpu"]) == len(d["paired_wall_ratios"]) == 1
    assert d["audio_seconds_per_run"] > 1 and d["wall_ratio"] > 0
    assert d["throughput_1_worker"] > 0 and d["throughput_2_workers"] > 0 and d["scaling_2_over_1"] > 0
