"""`hotline12348 ivr …`: check a flow, build prompt audio, show a flow as a tree."""
from __future__ import annotations

from pathlib import Path

import typer

from hotline.directory import DirectoryError, load_directory
from hotline.settings import get_settings
from ivr.flow import FlowError, default_flow_path, load_flow
from ivr.prompts import VOICES, build_prompts, expand_texts, load_catalogue, missing_audio
from ivr.validate import Problem, check_flow

name = "ivr"
app = typer.Typer(help="语音导航 (IVR): 流程校验、提示音生成、流程查看", no_args_is_help=True)
prompts_app = typer.Typer(help="提示音 (prompts)", no_args_is_help=True)
app.add_typer(prompts_app, name="prompts")


def _load(file: Path | None):
    settings = get_settings()
    try:
        directory = load_directory(settings.directory_file)
        return load_flow(file or default_flow_path(), directory), directory
    except (FlowError, DirectoryError) as exc:
        typer.echo(f"错误 (error): {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command()
def check(file: Path = typer.Argument(None, help="Flow YAML (default: the built-in 12348 flow)"),
          catalogue: Path = typer.Option(None, help="Prompt catalogue YAML (default: ivr/prompts.yaml)"),
          audio: bool = typer.Option(False, help="Also require an audio file for every prompt under prompts_dir")) -> None:
    """Validate a flow: unreachable nodes, dead ends, loops with no exit, missing prompts, dangling choices."""
    flow, directory = _load(file)
    prompts = load_catalogue(catalogue) if catalogue else load_catalogue()
    problems = check_flow(flow, prompts, directory)
    if audio:
        used = sorted({p for n in flow.nodes.values() for p in n.prompts_used()} | set(flow.announcements))
        problems += [Problem("error", None, f"prompt {pid!r} has no audio file under {get_settings().prompts_dir}/hotline "
                             "(run: hotline12348 ivr prompts build)") for pid in missing_audio(used, get_settings().prompts_dir)]
    for p in problems:
        typer.echo(str(p), err=p.severity == "error")
    errors = sum(p.severity == "error" for p in problems)
    if errors:
        typer.echo(f"{flow.name}: {errors} 个错误 (errors)", err=True)
        raise typer.Exit(1)
    typer.echo(f"{flow.name}: OK ({len(flow.nodes)} nodes, {len(problems)} warnings)")


@app.command()
def show(file: Path = typer.Argument(None, help="Flow YAML (default: the built-in 12348 flow)")) -> None:
    """Print each script's path through the flow as an indented tree."""
    flow, directory = _load(file)
    prompts = expand_texts(load_catalogue(), directory)
    for script, entry in flow.entries.items():
        typer.echo(f"[{script}]")
        _tree(flow, prompts, "start", entry, "  ", set())


def _tree(flow, prompts, edge: str, nid: str, indent: str, seen: set[str]) -> None:
    node = flow.nodes[nid]
    label = node.note or "".join(prompts.get(p, p)[:20] for p in node.prompts_used()[:1])
    skill = getattr(node, "skill_from", None) and f"${{{node.skill_from}}}|" or ""
    if getattr(node, "skill", None):
        skill += node.skill + (f"/{node.category}" if getattr(node, "category", None) else "")
    more = f" [{skill}]" if skill else ""
    if nid in seen:
        typer.echo(f"{indent}{edge} → {nid} (↑)")
        return
    typer.echo(f"{indent}{edge} → {nid} ({node.type}){more}  {label}".rstrip())
    seen.add(nid)
    for e, target in node.targets().items():
        _tree(flow, prompts, e, target, indent + "  ", seen)


@prompts_app.command("build")
def prompts_build(voice: str = typer.Option("cmn", help=f"espeak-ng voice: {', '.join(VOICES)}"),
                  force: bool = typer.Option(False, help="Re-render placeholders even when unchanged (recordings are still kept)")) -> None:
    """Render placeholder prompts (espeak-ng Mandarin + sox, 8 kHz 16-bit mono WAV and .sln) into prompts_dir/hotline/."""
    settings = get_settings()
    try:
        texts = expand_texts(load_catalogue(), load_directory(settings.directory_file))
        results = build_prompts(texts, settings.prompts_dir, voice=voice, force=force)
    except (RuntimeError, ValueError, DirectoryError) as exc:
        typer.echo(f"错误 (error): {exc}", err=True)
        raise typer.Exit(2) from exc
    for r in results:
        if r.action != "unchanged":
            typer.echo(f"{r.action:15} {r.prompt}{'  (' + r.reason + ')' if r.reason else ''}")
    counts = {a: sum(r.action == a for r in results) for a in ("rendered", "unchanged", "kept-recording")}
    typer.echo(f"{settings.prompts_dir / 'hotline'}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
