"""`hotline12348 recordings …` (scan, verify, purge, jobs) and `hotline12348 transcribe FILES…`."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

import typer

from hotline.cli import load_settings_or_exit as get_settings  # bad settings: a message, exit 2
from hotline.cli import run_async

name = "recordings"
app = typer.Typer(help="录音管理 (recordings): ingest scan, integrity check, retention purge", no_args_is_help=True)


async def _with_session(fn):
    from hotline.db import make_engine, make_sessionmaker

    engine = make_engine(get_settings().database_url)
    try:
        async with make_sessionmaker(engine)() as s:
            return await fn(s)
    finally:
        await engine.dispose()


@app.command()
def scan(settle: float = typer.Option(30.0, help="Ignore files modified in the last SETTLE seconds")) -> None:
    """Ingest recording files that no call.ended event ingested."""
    from recordings.ingest import scan as do_scan

    root = get_settings().recordings_dir
    results = run_async(_with_session(lambda s: do_scan(s, root, time.time(), settle)))
    for r in results:
        typer.echo(f"{r.status:8} {r.relpath} {r.error}")
    typer.echo(f"{len(results)} 个文件已登记 (files ingested)")


@app.command()
def verify() -> None:
    """Check every stored recording against its sha256 and size; exit 1 on any mismatch."""
    from recordings.maintenance import verify as do_verify

    checked, problems = run_async(_with_session(lambda s: do_verify(s, get_settings().recordings_dir)))
    for p in problems:
        typer.echo(f"#{p.recording_id} {p.relpath}: {p.problem}", err=True)
    typer.echo(f"已校验 {checked} 个录音，异常 {len(problems)} 个 (checked {checked}, problems {len(problems)})")
    if problems:
        raise typer.Exit(1)


@app.command()
def purge(dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would be deleted"),
          actor: str = typer.Option("retention", help="Name written to the audit log")) -> None:
    """Delete recordings (and their transcripts) older than retention_days; every deletion audited."""
    from recordings.maintenance import purge as do_purge

    s = get_settings()
    gone = run_async(_with_session(lambda ses: do_purge(ses, s.recordings_dir, datetime.now(timezone.utc),
                                                        s.retention_days, actor=actor, dry_run=dry_run)))
    for relpath in gone:
        typer.echo(relpath)
    typer.echo(f"{'将清除' if dry_run else '已清除'} {len(gone)} 个录音 (retention {s.retention_days} days)")


@app.command()
def jobs() -> None:
    """Transcription jobs per state."""
    from recordings.jobs import counts

    typer.echo(json.dumps(run_async(_with_session(counts)), ensure_ascii=False))


def transcribe(
    files: list[Path] = typer.Argument(..., help="WAV files (16-bit mono, 8 or 16 kHz)"),
    model: Path = typer.Option(None, help="Vosk model directory (default: settings.vosk_model_path)"),
    workers: int = typer.Option(1, min=1, help="Worker processes, one model each (~530 MB)"),
    out: Path = typer.Option(None, help="Write <name>.json per file here instead of JSON lines on stdout"),
) -> None:
    """Batch-transcribe FILES with a progress bar; bad files are reported and skipped (exit 1)."""
    from tqdm import tqdm

    from recordings.asr import ModelError, check_model_dir
    from recordings.batch import transcribe_files

    try:
        model_dir = check_model_dir(model or get_settings().vosk_model_path)
    except ModelError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    failed = 0
    with tqdm(total=len(files), unit="file", desc="转写", file=__import__("sys").stderr) as bar:
        for res in transcribe_files([str(f) for f in files], str(model_dir), workers, lambda _r: bar.update()):
            if not res["ok"]:
                failed += 1
                tqdm.write(f"失败 {res['file']}: {res['error']}", file=__import__("sys").stderr)
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                (out / (Path(res["file"]).stem + ".json")).write_text(json.dumps(res, ensure_ascii=False, indent=1))
            else:
                typer.echo(json.dumps(res, ensure_ascii=False))
    if failed:
        raise typer.Exit(1)


commands = [transcribe]
