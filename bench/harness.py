"""Bench harness: run measures, compare each with a baseline measured in the same run, write results.json.

A measure is a function ``(opts: BenchOptions) -> Measurement``. Components keep their measuring code
next to them (``<pkg>/benchmarks.py``); `bench/measures.py` wires them in. A measure whose component
does not exist yet is reported with ``status: "unavailable"`` and the reason, never left out.
"""
from __future__ import annotations

import json
import os
import platform
import re
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
# "ratio >= 0.65", "value <= 1000 (why …)": the comparison first, any explanation after it
_TARGET = re.compile(r"^\s*(?P<lhs>ratio|value)\s*(?P<op>>=|<=)\s*(?P<rhs>-?[0-9.]+)")


@dataclass
class BenchOptions:
    """How hard to push: `quick` shrinks every measure for smoke runs (tests, CI)."""

    quick: bool = False
    seed: int = 12348


@dataclass
class Measurement:
    """One measure: its value, the baseline measured in the same run, and their ratio."""

    key: str
    value: float | None
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    ratio: float | None = None
    target: str | None = None
    status: str = "ok"  # ok | unavailable | error
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def meets_target(self) -> bool | None:
        """Evaluate a target like 'ratio >= 0.65' or 'ratio <= 1.05' (None when there is none)."""
        m = _TARGET.match(self.target or "")
        if m is None:  # no target, or one written for people only: nothing to judge
            return None
        val = {"ratio": self.ratio, "value": self.value}[m["lhs"]]
        if val is None:
            return None
        rhs = float(m["rhs"])
        return val >= rhs if m["op"] == ">=" else val <= rhs


MeasureFn = Callable[[BenchOptions], Measurement]


def unavailable(key: str, unit: str, reason: str) -> Measurement:
    """A measure whose component is not there (yet): reported with the reason, never dropped."""
    return Measurement(key=key, value=None, unit=unit, status="unavailable", reason=reason)


def load_average() -> list[float] | None:
    """The 1/5/15-minute load averages (None where the system has none): a shared machine's numbers need them."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine() -> dict[str, Any]:
    """Where the numbers were taken: cores, Python, system, and how loaded the machine was."""
    return {
        "cores": os.cpu_count(), "python": platform.python_version(), "implementation": platform.python_implementation(),
        "machine": platform.machine(), "system": platform.system(), "release": platform.release(),
        "load_average": load_average(),
    }


def run_measures(measures: dict[str, tuple[str, MeasureFn]], opts: BenchOptions,
                 only: list[str] | None = None) -> list[Measurement]:
    """Run each measure (or those in `only`), catching failures as `status: error`."""
    out = []
    for key, (unit, fn) in measures.items():
        if only and key not in only:
            continue
        t0, load0 = time.perf_counter(), load_average()
        try:
            m = fn(opts)
        except ModuleNotFoundError as exc:
            m = unavailable(key, unit, f"component not built yet: {exc.name}")
        except Exception as exc:  # noqa: BLE001 - a failing measure must not hide the others
            m = Measurement(key=key, value=None, unit=unit, status="error",
                            reason=f"{exc.__class__.__name__}: {exc}",
                            details={"traceback": traceback.format_exc(limit=5)})
        m.seconds = round(time.perf_counter() - t0, 3)
        # each measure records the load it ran under: ratios hold on a shared machine, absolute values do not
        m.details.setdefault("load_average_before", load0)
        m.details.setdefault("load_average_after", load_average())
        out.append(m)
    return out


def write_results(results: list[Measurement], path: Path, opts: BenchOptions) -> dict[str, Any]:
    """Write results.json (machine, options, one object per measure) and return it."""
    doc = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "options": asdict(opts),
        "measures": {m.key: {**asdict(m), "meets_target": m.meets_target} for m in results},
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return doc


def merge_results(previous: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`previous` with the measures of `new` replacing theirs; each measure keeps when it was taken."""
    measures = {k: {**v, "generated_at": v.get("generated_at", previous.get("generated_at"))}
                for k, v in previous.get("measures", {}).items()}
    for k, v in new["measures"].items():
        measures[k] = {**v, "generated_at": new["generated_at"]}
    return {**new, "generated_at": new["generated_at"], "measures": measures}


def _fmt(v: float | None) -> str:
    if v is None:
        return "—"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def format_table(results: list[Measurement]) -> str:
    """A plain table of every measure, for the terminal."""
    rows = [("measure", "value", "unit", "baseline", "ratio", "target", "status")]
    for m in results:
        target = "" if m.target is None else f"{m.target} ({'met' if m.meets_target else 'MISSED'})"
        rows.append((m.key, _fmt(m.value), m.unit, f"{m.baseline or ''} {_fmt(m.baseline_value) if m.baseline else ''}".strip(),
                     _fmt(m.ratio), target, m.status if m.status == "ok" else f"{m.status}: {m.reason}"))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
