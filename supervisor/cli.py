"""`hotline12348 supervisor report --from --to --format csv|xlsx|json`: a report from the command line."""
from __future__ import annotations

import asyncio
import json
import sys
from datetime import date
from pathlib import Path

import typer

name = "supervisor"
app = typer.Typer(help="班长：报表导出、告警记录 (supervisor reports and alarms)", no_args_is_help=True)


async def _report(req, out_format: str) -> bytes:
    from hotline.db import utcnow
    from hotline.kernel import Kernel
    from hotline.settings import get_settings
    from supervisor.component import SupervisorSettings
    from supervisor.export import to_csv, to_xlsx
    from supervisor.metrics import with_revisit_scores
    from supervisor.reports import abandoned_calls, build_report
    from supervisor.store import (
        load_events,
        load_qa_checked,
        load_records,
        load_revisit_scores,
    )

    kernel = Kernel.build(get_settings())
    params = SupervisorSettings().params()
    try:
        now = utcnow()
        window = req.window(kernel.directory.hours.timezone, now)
        async with kernel.sessions() as session:
            records = await load_records(session, window)
            events = await load_events(session, window)
            answered = [r["linkedid"] for r in records if r["outcome"] == "answered"]
            qa = await load_qa_checked(session, answered)
            records = with_revisit_scores(records, await load_revisit_scores(session, answered))
        report = build_report(records, events, qa, req, kernel.directory, params, now)
        abandoned = abandoned_calls(records, req, kernel.directory, now, params)
    finally:
        await kernel.close()
    if out_format == "csv":
        return to_csv(report)
    if out_format == "xlsx":
        return to_xlsx(report, abandoned)
    return json.dumps({**report, "abandoned": abandoned}, ensure_ascii=False, indent=1, default=str).encode()


@app.command("report")
def report(
    date_from: str = typer.Option(..., "--from", help="开始日期 YYYY-MM-DD"),
    date_to: str = typer.Option(..., "--to", help="结束日期 YYYY-MM-DD (含)"),
    group_by: str = typer.Option("day", "--group-by", help="day|hour|center|prefecture|skill|seat"),
    queue: str | None = typer.Option(None, "--queue", help="只统计一个队列，如 q-410100-consult"),
    center: str | None = typer.Option(None, "--center", help="只统计一个中心，如 410100"),
    out_format: str = typer.Option("csv", "--format", help="csv|xlsx|json"),
    output: Path | None = typer.Option(None, "--output", "-o", help="写入文件（xlsx 必须指定）"),
) -> None:
    """Export a report of a date range (every number from the metric definitions)."""
    from hotline.directory import load_directory
    from hotline.settings import get_settings
    from supervisor.reports import ReportError, ReportRequest, check_request

    if out_format not in ("csv", "xlsx", "json"):
        raise typer.BadParameter("格式必须是 csv、xlsx 或 json (format must be csv|xlsx|json)", param_hint="--format")
    try:
        req = ReportRequest(date.fromisoformat(date_from), date.fromisoformat(date_to), group_by, queue,
                            frozenset({center}) if center else None)
    except ValueError as exc:
        raise typer.BadParameter(f"日期格式应为 YYYY-MM-DD (bad date): {exc}") from exc
    directory = load_directory(get_settings().directory_file)
    if center and directory.center(center) is None:
        raise typer.BadParameter(f"未知的中心 (unknown center {center!r})", param_hint="--center")
    try:
        check_request(req, directory)
    except ReportError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if out_format == "xlsx" and output is None:
        raise typer.BadParameter("xlsx 需要 --output 文件 (xlsx needs --output)", param_hint="--output")
    data = asyncio.run(_report(req, out_format))
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.write_bytes(data)
        typer.echo(f"已写入 {output} ({len(data)} 字节)")
