"""Scripted faults (`make chaos`): each scenario injects its fault under load and reports what was lost.

Scenarios live beside the component they hurt (``<pkg>/chaos.py`` exposing ``chaos_<name>(quick) -> dict``)
and are wired here; one whose component does not exist yet is reported as unavailable, not left out.
A scenario's report: ``{"status": "ok"|"lost"|"unavailable"|"error", "lost": int|None, "checked": int, ...}``.
"""
from __future__ import annotations

import importlib
import traceback
from datetime import datetime, timezone

from bench.harness import machine

SCENARIOS = {
    "ami_link_dropped_100x": ("routing.chaos", "chaos_ami_link_drops"),
    "pbxsim_restart_live_calls": ("routing.chaos", "chaos_pbxsim_restart"),
    "postgres_connection_killed": ("bench.chaos_postgres", "chaos_postgres_kill"),
    "platform_down_5min": ("integrations.chaos", "chaos_platform_outage"),
    "transcription_worker_sigkill": ("bench.chaos_recordings", "chaos_worker_sigkill"),
}


def _run_one(module: str, func: str, quick: bool) -> dict:
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return {"status": "unavailable", "lost": None, "reason": f"{module} not built yet"}
        raise
    fn = getattr(mod, func, None)
    if fn is None:
        return {"status": "unavailable", "lost": None, "reason": f"{module}.{func} not built yet"}
    return normalise(fn(quick=quick))


def normalise(report: dict) -> dict:
    """Every scenario says `lost`, `checked` and `duplicated`, whatever its component calls them."""
    if "duplicated" not in report:
        if "duplicates" in report:
            report["duplicated"] = report["duplicates"]
        elif "in_order" in report:
            # the receiver applies each change once (idempotency keys); applied seqs unique and in order
            report["duplicated"] = 0 if report["in_order"] else None
        else:
            report["duplicated"] = None
    report.setdefault("checked", None)
    clean = report.get("lost") == 0 and report.get("duplicated") == 0
    report.setdefault("status", "ok" if clean else "lost")
    return report


def run_chaos(quick: bool = False, only: list[str] | None = None) -> dict:
    """Run every scenario (or `only`) and return the chaos report."""
    scenarios = {}
    for name, (module, func) in SCENARIOS.items():
        if only and name not in only:
            continue
        try:
            scenarios[name] = _run_one(module, func, quick)
        except Exception as exc:  # noqa: BLE001 - one broken scenario must not hide the others
            scenarios[name] = {"status": "error", "lost": None, "reason": f"{exc.__class__.__name__}: {exc}",
                               "traceback": traceback.format_exc(limit=5)}
    return {"generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
            "quick": quick, "scenarios": scenarios}
