"""The measures of `make bench`, keyed as the bench issue names them.

Each wrapper imports its component's measuring code lazily: a component that does not exist yet
makes its measure `unavailable` (with the reason) instead of breaking the run.
"""
from __future__ import annotations

import importlib

from bench.harness import BenchOptions, Measurement, MeasureFn, unavailable


def _component(key: str, unit: str, module: str, func: str) -> MeasureFn:
    """Wrap `<module>.<func>(opts) -> Measurement | dict` as a measure."""

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
            return res
        return Measurement(key=key, **{"unit": unit, **res})

    return run


def _api(opts: BenchOptions) -> Measurement:
    from bench.api_load import measure_api

    return measure_api(opts)


MEASURES: dict[str, tuple[str, MeasureFn]] = {
    "ami_ingest": ("events/s", _component("ami_ingest", "events/s", "routing.benchmarks", "bench_ami_ingest")),
    "routing_latency": ("ms p99", _component("routing_latency", "ms p99", "routing.benchmarks", "bench_routing_latency")),
    "pbxsim_load": ("events/s", _component("pbxsim_load", "events/s", "pbxsim.load", "bench_pbxsim_load")),
    "transcription": ("RTF ratio", _component("transcription", "RTF ratio", "recordings.benchmarks", "bench_transcription")),
    "outbox": ("deliveries/s", _component("outbox", "deliveries/s", "integrations.benchmarks", "bench_outbox")),
    "wallboard": ("ms p99", _component("wallboard", "ms p99", "supervisor.benchmarks", "bench_wallboard")),
    "api": ("ms p99", _api),
}
