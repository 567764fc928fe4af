"""`hotline12348 bench …`: benchmarks (results.json) and chaos runs (chaos.json)."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from bench.harness import BENCH_DIR, BenchOptions, format_table, run_measures, write_results

name = "bench"
app = typer.Typer(help="性能测试 (benchmarks) and chaos runs", no_args_is_help=True)


@app.command("run")
def run(
    only: list[str] = typer.Option(None, "--only", help="Run only these measures (repeatable)"),
    quick: bool = typer.Option(False, "--quick", help="Small, fast runs (smoke test)"),
    out: Path = typer.Option(None, "--out", help="Where to write the results (default bench/results.json; "
                                                 "bench/results-quick.json with --quick)"),
    merge: bool = typer.Option(False, "--merge", help="Keep the other measures already in --out (implied by --only)"),
) -> None:
    """Run every benchmark, print a table, write results.json (a partial run keeps the other measures)."""
    from bench.harness import merge_results
    from bench.measures import MEASURES

    out = out or BENCH_DIR / ("results-quick.json" if quick else "results.json")
    opts = BenchOptions(quick=quick)
    results = run_measures(MEASURES, opts, only=only or None)
    previous = json.loads(out.read_text("utf-8")) if (merge or only) and out.exists() else None
    doc = write_results(results, out, opts)
    if previous is not None:
        out.write_text(json.dumps(merge_results(previous, doc), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    typer.echo(format_table(results))
    typer.echo(f"\nresults written to {out}")


@app.command("chaos")
def chaos(
    quick: bool = typer.Option(False, "--quick", help="Scaled-down fault schedule"),
    out: Path = typer.Option(BENCH_DIR / "chaos.json", "--out", help="Where to write the report"),
) -> None:
    """Run the scripted faults and report what was lost (goal: nothing)."""
    from bench.chaos import run_chaos

    report = run_chaos(quick=quick)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for name_, r in report["scenarios"].items():
        typer.echo(f"{name_:<28} {r['status']:<12} lost={r.get('lost')} checked={r.get('checked')} "
                   f"duplicated={r.get('duplicated')}  {r.get('reason') or ''}")
    typer.echo(f"\nreport written to {out}")
