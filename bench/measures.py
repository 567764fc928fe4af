"""The measures of `make bench`, keyed as the bench issue names them.

Each wrapper imports its component's measuring code lazily: a component that does not exist yet
makes its measure `unavailable` (with the reason) instead of breaking the run.
"""
from __future__ import annotations

import importlib

from bench.harness import BenchOptions, Measurement, MeasureFn, unavailable


def _component(key: str, unit: str, module: str, func: str, post=None) -> MeasureFn:
    """Wrap `<module>.<func>(opts) -> Measurement | dict` as a measure (`post(m, opts)` adds derived figures)."""

    def run(opts: BenchOptions) -> Measurement:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                return unavailable(key, unit, f"{module} not built yet")
            raise
        fn = getattr(mod, func, None)
        if fn is None:
            return unavailable(key, unit, f"{module}.{func} not built yet")
        res = fn(quick=opts.quick, seed=opts.seed)
        if isinstance(res, Measurement):
            res.key = key
        else:
            res = Measurement(key=key, **{"unit": unit, **res})
        if post is not None and res.status == "ok":
            post(res, opts)
        return res

    return run


def pbxsim_summary(m: Measurement, opts: BenchOptions) -> None:
    """The load figures the bench issue names, side by side: calls/s, concurrent calls, seats, events/s, CPU share."""
    d = m.details
    virtual_seconds = 10.0 if opts.quick else 60.0  # bench_pbxsim_load's virtual-time run length
    rt = "realtime_calls" in d
    d["summary"] = {
        "new_calls_per_s": round((d["realtime_calls"] if rt else d["calls"]) / (60.0 if rt else virtual_seconds), 2),
        "concurrent_calls_peak": d.get("realtime_peak_concurrent", d["peak_concurrent"]),
        "seats_sustained": d["seats"],
        "events_per_s": d.get("realtime_events_per_s"),
        "simulator_cpu_share": d.get("realtime_cpu_share"),
        "events_per_cpu_second": m.value,
        "client_dropped": d.get("client_dropped"),
    }


def transcription_summary(m: Measurement, opts: BenchOptions) -> None:
    """Judge the second target of the transcription measure: 2 workers ≥ 1.8× the throughput of one."""
    scaling = m.details.get("scaling_2_over_1")
    m.details["scaling_meets_target"] = None if scaling is None else scaling >= 1.8


def _api(opts: BenchOptions) -> Measurement:
    from bench.api_load import measure_api

    return measure_api(opts)


MEASURES: dict[str, tuple[str, MeasureFn]] = {
    "ami_ingest": ("events/s", _component("ami_ingest", "events/s", "routing.benchmarks", "bench_ami_ingest")),
    "routing_latency": ("ms p99", _component("routing_latency", "ms p99", "routing.benchmarks", "bench_routing_latency")),
    "pbxsim_load": ("events/CPU s", _component("pbxsim_load", "events/CPU s", "pbxsim.load", "bench_pbxsim_load",
                                                pbxsim_summary)),
    "transcription": ("RTF", _component("transcription", "RTF", "recordings.benchmarks", "bench_transcription",
                                                 transcription_summary)),
    "outbox": ("deliveries/s", _component("outbox", "deliveries/s", "integrations.benchmarks", "bench_outbox")),
    "wallboard": ("ms p99", _component("wallboard", "ms p99", "supervisor.benchmarks", "bench_wallboard")),
    "api": ("ms p99", _api),
}
