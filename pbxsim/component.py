"""`make run` component (role pbxsim): the Asterisk stand-in on the AMI node's port, with demo traffic."""
from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

from .ami_server import AmiServer, AmiUser
from .core import Simulator
from .parties import place_call
from .scheduler import Scheduler
from .setup import directory_config
from .speech import SpeechError, speech_pool
from .traffic import TrafficModel

log = logging.getLogger(__name__)


class PbxsimComponent:
    """Starts the simulator in real time; publishes it as kernel.services['pbxsim']."""

    name = "pbxsim"

    def __init__(self) -> None:
        self.sim: Simulator | None = None
        self.server: AmiServer | None = None
        self.port: int | None = None
        self.tasks: list[asyncio.Task] = []
        self.caller_speech: list[str] = []
        self.running_here = False  # a real Asterisk, or a process without the pbxsim role

    def routers(self) -> list[Any]:
        """No web routes."""
        return []

    async def start(self, kernel: Any, roles: set[str]) -> None:
        """Listen for AMI on the first node's port; run demo traffic if enabled."""
        self.running_here = "pbxsim" in roles
        if not self.running_here:
            return
        s = kernel.settings
        node = s.ami_nodes[0]
        cfg = directory_config(kernel.directory, f"agi://{s.fastagi_host}:{s.fastagi_port}",
                               str(s.recordings_dir), prompt_seconds(s.prompts_dir))
        self.sim = Simulator(cfg, Scheduler(realtime=True))
        self.server = AmiServer(self.sim, [AmiUser(node.username, node.secret.get_secret_value())])
        self.port = await self.server.start(node.host, node.port)
        self.sim.ami_address = (node.host, self.port)  # routing connects here (ephemeral in tests)
        kernel.services["pbxsim"] = self.sim
        self.tasks.append(asyncio.create_task(self.sim.sched.run_realtime()))
        if s.demo_traffic and s.demo_calls_per_minute > 0:
            await self._load_speech(s.var_dir / "pbxsim" / "speech")
            self.tasks.append(asyncio.create_task(self._demo(TrafficModel(s.demo_calls_per_minute / 60))))
        log.info("pbxsim (test and demo instrument) listening for AMI on %s:%s", node.host, self.port)

    async def _load_speech(self, cache: Any) -> None:
        """Render the parties' sentences once (espeak-ng + sox) so recordings carry real speech."""
        assert self.sim is not None
        try:
            callers, seats = await asyncio.to_thread(speech_pool, cache)
        except SpeechError as exc:
            log.warning("pbxsim: no party speech (%s); recordings will be silent", exc)
            return
        self.caller_speech = [str(p) for p in callers]
        for i, ep in enumerate(e for e in self.sim.endpoints.values() if e.behaviour is not None):
            ep.behaviour.speech = str(seats[i % len(seats)])  # type: ignore[attr-defined]

    async def _demo(self, model: TrafficModel) -> None:
        assert self.sim is not None
        rng = random.Random(model.seed)
        while True:
            await asyncio.sleep(model.next_gap())
            self.sim.sched.touch()
            script = model.caller()
            if self.caller_speech:
                script.speech = rng.choice(self.caller_speech)
            place_call(self.sim, script)

    async def stop(self) -> None:
        """Stop traffic, the clock and the AMI server."""
        for t in self.tasks:
            t.cancel()
        self.tasks.clear()
        if self.server is not None:
            await self.server.stop()
        if self.sim is not None:
            for t in list(self.sim.tasks):
                t.cancel()

    async def ready(self) -> str:
        """ok once listening; ok too where this process does not run pbxsim (nothing to wait for)."""
        if not self.running_here:
            return "ok"
        return "ok" if self.server is not None else "pbxsim not started"


def prompt_seconds(prompts_dir: Any) -> dict[str, float]:
    """Durations of the rendered IVR prompts (`<dir>/<name>.wav` → `name`), for STREAM FILE timing."""
    import wave
    from pathlib import Path

    out: dict[str, float] = {}
    root = Path(prompts_dir)
    if not root.is_dir():
        return out
    for wav in root.rglob("*.wav"):
        try:
            with wave.open(str(wav), "rb") as w:
                out[str(wav.relative_to(root).with_suffix(""))] = w.getnframes() / w.getframerate()
        except (wave.Error, EOFError):
            log.warning("pbxsim: unreadable prompt %s", wav)
    return out


component = PbxsimComponent()
