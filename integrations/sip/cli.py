"""`hotline12348 probe`: dial the hotline like a citizen and alarm when the IVR does not answer or greet."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import typer

from hotline.bus import make_bus
from hotline.settings import get_settings
from integrations.sip.caller import CallScript, SipCaller
from integrations.sip.probe import ProbeRules, probe_loop, probe_once, target_from


def probe(
    target: str = typer.Option("127.0.0.1:5060", envvar="HOTLINE_PROBE_TARGET",
                               help="SIP host[:port] of Asterisk (carrier side)"),
    number: str = typer.Option("12348", help="Number to dial"),
    digits: str = typer.Option("", help="DTMF digits to press after the greeting starts (RFC 4733)"),
    listen: float = typer.Option(8.0, help="Seconds to listen after answer"),
    answer_timeout: float = typer.Option(15.0, help="Seconds to wait for an answer"),
    min_voice: float = typer.Option(1.0, help="Seconds of non-silent audio that count as a greeting"),
    interval: float = typer.Option(5.0, help="Minutes between probes (loop mode)"),
    once: bool = typer.Option(False, "--once", help="One probe; exit 1 when it raised the alarm"),
    username: str = typer.Option("probe", envvar="HOTLINE_PROBE_USER"),
    password: str = typer.Option("", envvar="HOTLINE_PROBE_PASSWORD"),
    register: bool = typer.Option(False, help="Register first (seat-like account) instead of dialling as a trunk"),
    my_ip: str = typer.Option("127.0.0.1", envvar="HOTLINE_PROBE_IP", help="Local address for SIP and RTP"),
    save: Path | None = typer.Option(None, help="Write what was heard to this WAV file (one-shot mode)"),
) -> None:
    """拨测 12348：未应答或无欢迎语时告警 (synthetic monitoring probe)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        caller = SipCaller(target_from(target, username=username, password=password, register=register, my_ip=my_ip))
        script = CallScript(number=number, digits=digits, listen_seconds=listen, answer_timeout=answer_timeout)
    except ValueError as exc:
        typer.echo(f"参数错误 (bad argument): {exc}", err=True)
        raise typer.Exit(2) from exc
    rules = ProbeRules(min_voiced_seconds=min_voice)
    ok = asyncio.run(_run(caller, script, rules, once, save, interval))
    if not ok:
        raise typer.Exit(1)


async def _run(caller: SipCaller, script: CallScript, rules: ProbeRules, once: bool, save: Path | None,
               interval: float) -> bool:
    bus = make_bus(get_settings().redis_url)
    await bus.start()
    before = asyncio.all_tasks()
    try:
        if once:
            outcome = await probe_once(caller, script, rules, bus.publish, save_to=save)
            return outcome.ok
        await probe_loop(caller, script, rules, bus.publish, interval * 60)
        return True
    finally:
        pending = asyncio.all_tasks() - before - {asyncio.current_task()}
        if pending:  # alarm publications still on their way to Redis
            await asyncio.wait(pending, timeout=5)
        await bus.stop()


commands = [probe]
