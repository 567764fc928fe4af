"""IVR measurements for `bench/`: ratios against panoramisk in the same run (never wall-clock asserts).

`measure(calls)` runs `calls` concurrent FastAGI calls of the default flow (the caller presses 3)
against (a) a bare panoramisk route sending the same command lines — the baseline — and (b) our
server with and without database step records, plus reply parsing against panoramisk's parser.
"""
from __future__ import annotations

import asyncio
import tempfile
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from panoramisk.fast_agi import Application
from panoramisk.utils import parse_agi_result

from hotline.directory import load_directory
from hotline.kernel import Kernel
from hotline.migrate import upgrade
from hotline.settings import ROOT, Settings
from ivr.agi import parse_reply
from ivr.flow import default_flow_path, load_flow
from ivr.journal import CallJournal
from ivr.server import IvrServer

OPEN = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)  # a Monday, 10:00 in Asia/Shanghai
REPLIES = ["200 result=0", "200 result=0 endpos=47923", "200 result=1", "200 result=1 (timeout)",
           "200 result=-1 endpos=20000", "200 result=1 (张三)"]
ENV = "".join(f"agi_{k}: {v}\n" for k, v in [
    ("network", "yes"), ("network_script", "ivr"), ("request", "agi://127.0.0.1/ivr"), ("channel", "PJSIP/caller-1"),
    ("uniqueid", "1795901443.0"), ("callerid", "13800138000"), ("calleridname", "张三"), ("dnid", "12348"),
    ("context", "from-carrier"), ("extension", "12348")]) + "\n"


async def _caller(host: str, port: int) -> int:
    """A minimal Asterisk side: answers every command as res_agi does; the menu gets key 3. Returns commands seen."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(ENV.encode())
    seen = 0
    while line := await reader.readline():
        seen += 1
        cmd = line.decode()
        reply = "200 result=3" if cmd.startswith("GET DATA") else (
            "200 result=0 endpos=8000" if cmd.startswith("STREAM FILE") else "200 result=1")
        writer.write((reply + "\n").encode())
    writer.close()
    return seen


def parse_ratio(lines: int = 60_000) -> dict[str, float]:
    """Seconds to parse `lines` replies with each parser (best of three)."""
    sample = (REPLIES * (lines // len(REPLIES) + 1))[:lines]
    out = {}
    for name, fn in (("panoramisk", parse_agi_result), ("ivr", parse_reply)):
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            for line in sample:
                fn(line)
            best = min(best, time.perf_counter() - t)
        out[name] = best
    return out


async def _baseline(calls: int, commands: list[str]) -> float:
    app = Application(loop=asyncio.get_running_loop())

    async def ivr(request):
        for c in commands:
            await request.send_command(c)

    app.add_route("ivr", ivr)
    server = await asyncio.start_server(app.handler, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    t = time.perf_counter()
    await asyncio.gather(*[_caller(host, port) for _ in range(calls)])
    elapsed = time.perf_counter() - t
    server.close()
    return elapsed


async def _ours(calls: int, store: bool, folder: Path, url: str) -> float:
    directory = load_directory(ROOT / "hotline" / "data" / "directory.yaml")
    kernel = Kernel.build(Settings(database_url=url, var_dir=folder, redis_url=None, _env_file=None), directory=directory)
    original = CallJournal._store
    if not store:
        async def nothing(self, *rows):
            return None
        CallJournal._store = nothing
    try:
        server = IvrServer(kernel, load_flow(default_flow_path(), directory), clock=lambda: OPEN)
        host, port = await server.start("127.0.0.1", 0)
        t = time.perf_counter()
        seen = await asyncio.gather(*[_caller(host, port) for _ in range(calls)])
        elapsed = time.perf_counter() - t
        await server.stop()
        if min(seen) < len(COMMANDS):  # every call must have walked the whole path
            raise RuntimeError(f"IVR calls ended early: {min(seen)} commands")
    finally:
        CallJournal._store = original
        await kernel.close()
    return elapsed


# The command lines the default flow sends for "press 3" (welcome, notice, menu, 7 variables, prompt).
COMMANDS = ["ANSWER", 'STREAM FILE hotline/welcome "0123456789*#"', 'STREAM FILE hotline/recording-notice "0123456789*#"',
            "GET DATA hotline/main-menu 5000 1"] + [f"SET VARIABLE HOTLINE_V{i} x" for i in range(7)] + [
            'STREAM FILE hotline/transfer-seat ""']


async def measure(calls: int = 200, parse_lines: int = 60_000) -> dict[str, Any]:
    """All IVR ratios of one run."""
    parse = parse_ratio(parse_lines)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        await upgrade(url)
        base = await _baseline(calls, COMMANDS)
        no_db = await _ours(calls, False, folder, url)
        with_db = await _ours(calls, True, folder, url)
        tracemalloc.start()
        await _baseline(calls, COMMANDS)
        base_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        await _ours(calls, False, folder, url)
        ours_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {
        "calls": calls,
        "parse_ratio_vs_panoramisk": parse["ivr"] / parse["panoramisk"],
        "calls_ratio_vs_bare_panoramisk": no_db / base,
        "calls_with_sqlite_ratio_vs_bare_panoramisk": with_db / base,
        "calls_per_second_with_sqlite": calls / with_db,
        "peak_memory_ratio_vs_bare_panoramisk": ours_peak / base_peak,
    }


if __name__ == "__main__":  # pragma: no cover
    import json

    print(json.dumps(asyncio.run(measure()), indent=1))
