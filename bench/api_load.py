"""API latency under a fixed request rate, measured from a separate load process.

The server runs in its own process (uvicorn, SQLite in a temp dir, role `api`); the load generator
runs in another and sends requests open-loop (on a fixed schedule, not waiting for answers, so a
slow server cannot slow the generator down and hide its own latency). Baseline: `/healthz` at the
same rate in the same run.
"""
from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import BenchOptions, Measurement

ROOT = Path(__file__).resolve().parent.parent
# Main read endpoints, by role. Each is measured if the running app serves it (2xx).
CANDIDATES = [
    ("/api/me", "admin"),
    ("/api/tickets", "admin"),
    ("/api/seats", "admin"),
    ("/api/routing/overview", "admin"),
    ("/api/recordings/calls", "admin"),
    ("/api/callbacks", "admin"),
    ("/api/supervisor/wallboard", "admin"),
    ("/api/supervisor/report", "admin"),
]
SEED_TICKETS = 200  # three changes each: the ticket list reads a realistic, non-empty table


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(q * (len(s) - 1))))
    return s[k]


async def _load(url: str, headers: dict[str, str], rate: float, seconds: float) -> dict:
    import httpx

    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(headers=headers, timeout=10, limits=httpx.Limits(max_connections=200)) as client:
        async def one() -> None:
            nonlocal errors
            t0 = time.perf_counter()
            try:
                r = await client.get(url)
                if r.status_code >= 400:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append((time.perf_counter() - t0) * 1000)

        tasks = []
        start = time.perf_counter()
        n = int(rate * seconds)
        for i in range(n):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    return {"n": n, "errors": errors, "p50_ms": _percentile(latencies, 0.5), "p99_ms": _percentile(latencies, 0.99)}


def load_main() -> None:
    """Entry of the load process: argv = url rate seconds token."""
    url, rate, seconds, token = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    headers = {"Authorization": f"Bearer {token}"} if token != "-" else {}
    print(json.dumps(asyncio.run(_load(url, headers, rate, seconds))))


def _run_load(url: str, rate: float, seconds: float, token: str) -> dict:
    """One endpoint at `rate` for `seconds`; an endpoint that cannot be served at that rate is reported as saturated."""
    limit = seconds * 4 + 60
    try:
        out = subprocess.run([sys.executable, "-m", "bench.api_load", "load", url, str(rate), str(seconds), token],
                             cwd=ROOT, capture_output=True, text=True, timeout=limit, check=True)
    except subprocess.TimeoutExpired:
        return {"n": int(rate * seconds), "errors": None, "p50_ms": None, "p99_ms": None, "saturated": True,
                "reason": f"the requests of {seconds:g} s at {rate:g}/s were not all answered within {limit:g} s"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _drain(base: str, limit: float = 120.0) -> float:
    """Wait until the server answers /healthz promptly again (the previous endpoint's backlog is served),
    so no endpoint inherits another's queue; returns the seconds waited."""
    import httpx

    started = time.monotonic()
    prompt = 0
    while prompt < 3 and time.monotonic() - started < limit:
        t = time.perf_counter()
        try:
            ok = httpx.get(base + "/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            ok = False
        prompt = prompt + 1 if ok and time.perf_counter() - t < 0.05 else 0
        time.sleep(0.2)
    return time.monotonic() - started


def _measured(pid: int, base: str, path: str, rate: float, seconds: float, token: str) -> dict:
    """One endpoint's run, after the server has drained, with the server's CPU per request: its capacity
    on one core is what a rate above it saturates."""
    waited = _drain(base)
    cpu = _cpu_seconds(pid)
    out = _run_load(base + path, rate, seconds, token)
    per_request = (_cpu_seconds(pid) - cpu) / out["n"] * 1000
    return {**out, "drained_before_s": round(waited, 1), "server_cpu_ms_per_request": round(per_request, 2),
            "capacity_per_core_per_s": round(1000 / per_request) if per_request > 0 else None}


def _prepare_db(url: str) -> str:
    """Migrate a scratch database and create an admin; return a token for it."""
    code = (
        "import asyncio\n"
        "from hotline.migrate import upgrade\n"
        "from hotline.settings import Settings\n"
        "from hotline.models import User\n"
        "from hotline.auth import hash_password, issue_token\n"
        "from hotline.db import make_engine, make_sessionmaker\n"
        f"url={url!r}\n"
        "async def go():\n"
        "    await upgrade(url)\n"
        "    e=make_engine(url); s=make_sessionmaker(e)\n"
        "    async with s() as ss:\n"
        "        u=User(username='bench-admin', password_hash=hash_password('x'), role='admin', center_code='410000')\n"
        "        ss.add(u); await ss.commit(); await ss.refresh(u)\n"
        "        print(issue_token(u, Settings().secret_key.get_secret_value(), 60))\n"
        "    await e.dispose()\n"
        "    try:\n"
        "        from integrations.benchmarks import make_changes\n"
        "    except ImportError:\n"
        "        return\n"
        "    from hotline.kernel import Kernel\n"
        "    k=Kernel.build(Settings(database_url=url, redis_url=None, _env_file=None))\n"
        f"    await make_changes(k, {SEED_TICKETS})\n"
        "    await k.close()\n"
        "asyncio.run(go())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "HOTLINE_SECRET_KEY": "bench-secret-0123456789abcdef0123456789"})
    return out.stdout.strip().splitlines()[-1]


def measure_api(opts: BenchOptions) -> Measurement:
    """p99 latency of the main read endpoints at a fixed rate ÷ /healthz p99 at the same rate."""
    rate, seconds = (50.0, 2.0) if opts.quick else (100.0, 10.0)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        token = _prepare_db(url)
        port = _free_port()
        env = {**os.environ, "HOTLINE_DATABASE_URL": url, "HOTLINE_VAR_DIR": tmp, "HOTLINE_DEMO_TRAFFIC": "false",
               "HOTLINE_SECRET_KEY": "bench-secret-0123456789abcdef0123456789", "HOTLINE_LOG_LEVEL": "WARNING",
               "HOTLINE_HTTP_PORT": str(port)}
        # the server's log goes to a file: an undrained pipe fills up and stops the server mid-run
        log_path = Path(tmp) / "server.log"
        with open(log_path, "wb") as log:
            server = subprocess.Popen([sys.executable, "-m", "hotline.cli", "api"], cwd=ROOT, env=env,
                                      stdout=subprocess.DEVNULL, stderr=log)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_up(base + "/healthz", server, log_path)
            import httpx

            served = [p for p, _ in CANDIDATES
                      if httpx.get(base + p, headers={"Authorization": f"Bearer {token}"}).status_code < 300]
            baseline = _measured(server.pid, base, "/healthz", rate, seconds, "-")
            per = {p: _measured(server.pid, base, p, rate, seconds, token) for p in served}
        finally:
            _stop(server)
            logged = log_path.read_text("utf-8", "replace").splitlines()
    worst = max((v["p99_ms"] for v in per.values() if v.get("p99_ms") is not None), default=None)
    if worst is None:
        return Measurement(key="api", value=None, unit="ms p99", status="unavailable",
                           reason="no main read endpoint is served yet", details={"healthz": baseline})
    return Measurement(
        key="api", value=worst, unit="ms p99 (worst main read endpoint)", baseline="/healthz p99 ms",
        baseline_value=baseline["p99_ms"], ratio=(worst / baseline["p99_ms"]) if worst and baseline["p99_ms"] else None,
        details={"rate_per_s": rate, "seconds": seconds, "endpoints": per, "healthz": baseline,
                 "server_log_lines": len(logged), "server_log_tail": logged[-5:],
                 "not_served_yet": [p for p, _ in CANDIDATES if p not in per],
                 "saturated": [p for p, v in per.items() if v.get("saturated")]},
    )


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM (uvicorn drains its connections), then SIGKILL if it has not gone within 30 s."""
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def _wait_up(url: str, proc: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"API server exited: {log_path.read_text('utf-8', 'replace')[-2000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("API server did not come up")


if __name__ == "__main__":
    if sys.argv[1] == "load":
        load_main()
