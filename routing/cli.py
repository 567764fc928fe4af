"""`hotline12348 replay FILE`: rebuild call records from a captured AMI log and print them as JSON."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from routing.capture import read_capture
from routing.replay import replay as replay_log


def replay(
    file: Path = typer.Argument(..., help="AMI capture log (ami-<node>.jsonl) or a reference trace (NAME.ami.jsonl)"),
    node: str = typer.Option("node1", "--node", help="Node name for records without one (reference traces)"),
    live: bool = typer.Option(False, "--live", help="Also list calls still in progress when the log ends"),
) -> None:
    """Rebuild call records from a captured AMI log (事后分析) and print them as JSON."""
    if not file.is_file():
        typer.echo(f"找不到文件 (no such file): {file}", err=True)
        raise typer.Exit(2)
    try:
        result = replay_log(read_capture(file, default_node=node))
    except (ValueError, UnicodeDecodeError) as exc:
        typer.echo(f"无法解析抓包日志 (cannot read capture log): {exc}", err=True)
        raise typer.Exit(2) from exc
    out: dict = {"file": str(file), "records": result.records}
    if live:
        out["live_calls"] = result.live_calls()
    typer.echo(json.dumps(out, ensure_ascii=False, indent=2))


commands = [replay]
