"""The bench measures run (tiny scale, no timing asserted) and the fast path changes no outcome."""
import asyncio

from routing.benchmarks import bench_ami_ingest, chunks, full_pipeline, make_service, recorded_stream


def test_ami_ingest_reports_ratios_and_every_contender_reads_every_event():
    result = bench_ami_ingest(repeat=2, rounds=1)
    d = result["details"]
    assert d["events_minimal"] == d["events_panoramisk"] == d["events_parsed_all"] > 0
    assert result["target"] == "ratio >= 0.65" and result["ratio"] > 0 and d["panoramisk_ratio"] > 0


def _records(reads, directory, parse_all):
    service = make_service(directory)
    sub = service.bus.subscribe("call.record")

    async def go():
        full_pipeline(reads, service, parse_all=parse_all)

    asyncio.run(go())
    out = []
    while not sub.queue.empty():
        out.append(sub.queue.get_nowait().payload)
    return out


def test_skipping_unwanted_events_gives_the_same_call_records(directory):
    reads = chunks(recorded_stream(3), seed=5, size=512)
    fast, full = _records(reads, directory, False), _records(reads, directory, True)
    assert len(fast) == 3 * 11 and fast == full  # 11 calls per copy of the traces (recv side only)


def test_routing_latency_runs_on_pbxsim_under_load_and_times_join_triggered_redirects():
    """Small scale (100 seats / 400 calls): pbxsim in its own process carries the load, the engine's
    Redirects are timed from the read that brought the QueueCallerJoin; no timing is asserted."""
    from math import isfinite

    from routing.benchmarks import bench_routing_latency

    result = bench_routing_latency(quick=True)
    d = result["details"]
    assert d["seats"] == 100 and d["calls_live_at_start"] >= 400 and d["calls_live_at_end"] >= 300
    assert d["pbxsim"]["peak_concurrent"] >= 400 and d["pbxsim"]["probes"] > 0 and d["pbxsim"]["events"] > 1000
    assert set(d["by_trigger"]) == {"QueueCallerJoin"} and d["samples"] >= 20 and d["pings"] >= 50
    assert 0 < d["p50_ms"] <= d["p99_ms"] and isfinite(result["ratio"])
    assert result["baseline"].startswith("AMI Ping round-trip")
