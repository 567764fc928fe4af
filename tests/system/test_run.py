"""`hotline12348 run` as `make run` starts it: the whole system in one process on pbxsim demo traffic.

Free ports, a temporary SQLite database and var directory, a fast demo traffic rate. The test waits for
/readyz, logs in as an administrator created with the CLI, sees calls recorded and the wallboard answer,
then stops the process with SIGTERM and expects a clean exit.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

pytestmark = pytest.mark.slow
CLI = str(Path(sys.executable).with_name("hotline12348"))
PASSWORD = "Admin-pass-12348!"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_env(tmp: Path) -> dict[str, str]:
    """The environment of the process: ours only (no HOTLINE_* leaking in from the caller)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    ami = {"name": "node1", "host": "127.0.0.1", "port": free_port(), "username": "engine", "secret": "engine"}
    platform = f"http://127.0.0.1:{free_port()}"  # the demo plays the 12348 platform there
    env.update({
        "HOTLINE_HTTP_PORT": str(free_port()), "HOTLINE_FASTAGI_PORT": str(free_port()),
        "HOTLINE_AMI_NODES": json.dumps([ami]), "HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'hotline.db'}",
        "HOTLINE_VAR_DIR": str(tmp / "var"), "HOTLINE_RECORDINGS_DIR": str(tmp / "var" / "recordings"),
        "HOTLINE_PLATFORM_URL": platform, "HOTLINE_GOV12345_URL": f"{platform}/12345",
        "HOTLINE_DEMO_CALLS_PER_MINUTE": "240", "HOTLINE_SECRET_KEY": "system-test-secret-key-0123456789abcdef",
    })
    return env


def wait_for(check, timeout: float, proc: subprocess.Popen, what: str):
    """Poll `check()` until it returns something truthy; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"hotline12348 run exited with {proc.returncode} while waiting for {what}"
        try:
            got = check()
        except httpx.TransportError:
            got = None
        if got:
            return got
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _offered_today(client: httpx.Client) -> int:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    r = client.get("/api/supervisor/report", params={"from": str(today - timedelta(days=1)), "to": str(today)})
    r.raise_for_status()
    total = r.json()["total"]
    return total["offered"] + total["abandoned_in_ivr"]


def test_make_run_serves_the_demo_end_to_end_and_stops_cleanly(tmp_path):
    env = run_env(tmp_path)
    subprocess.run([CLI, "db", "upgrade"], env=env, cwd=tmp_path, check=True, capture_output=True, timeout=120)
    subprocess.run([CLI, "users", "add", "admin", "-r", "admin", "-n", "管理员", "--password-stdin"], env=env,
                   cwd=tmp_path, input=PASSWORD + "\n", text=True, check=True, capture_output=True, timeout=60)
    out, err = open(tmp_path / "run.out", "w+"), open(tmp_path / "run.err", "w+")
    proc = subprocess.Popen([CLI, "run"], env=env, cwd=tmp_path, stdout=out, stderr=err)
    base = f"http://127.0.0.1:{env['HOTLINE_HTTP_PORT']}"
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            ready = wait_for(lambda: (r := client.get("/readyz")).status_code == 200 and r.json(), 45, proc, "/readyz")
            assert ready["checks"]["routing"] == "ok" and ready["checks"]["pbxsim"] == "ok"
            received = httpx.get(env["HOTLINE_PLATFORM_URL"] + "/_received", timeout=5)
            assert received.status_code == 200  # the reference 12348 platform the outbox delivers to
            token = client.post("/api/auth/token", data={"username": "admin", "password": PASSWORD})
            assert token.status_code == 200, token.text
            client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
            wait_for(lambda: _offered_today(client) > 0, 60, proc, "the first call records")
            board = client.get("/api/supervisor/wallboard")
            assert board.status_code == 200 and len(board.json()["queues"]) == len(
                [1 for c in _centers(client) for _ in c["skills"]])
            overview = client.get("/api/routing/overview").json()
            assert overview["links"]["node1"]["connected"] and overview["nodes"]["node1"]["calls"] > 0
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    err.seek(0)
    stderr = err.read()
    assert code == 0, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "韩语模型" in stderr  # the demo says loudly which speech model stands in


def _centers(client: httpx.Client) -> list[dict]:
    from hotline.directory import load_directory
    from hotline.settings import ROOT

    directory = load_directory(ROOT / "hotline" / "data" / "directory.yaml")
    return [{"code": c.code, "skills": c.skills} for c in directory.centers]
