"""The pbxsim component in real time: listens for AMI, publishes the simulator, places demo calls."""
from __future__ import annotations

import asyncio
import wave

from hotline.settings import Settings
from pbxsim.component import PbxsimComponent, prompt_seconds
from pbxsim.parties import CallerScript, place_call


class _Kernel:
    def __init__(self, settings, directory) -> None:
        self.settings, self.directory, self.services = settings, directory, {}


async def test_component_serves_ami_in_real_time(tmp_path, directory):
    settings = Settings(var_dir=tmp_path, recordings_dir=tmp_path / "rec", prompts_dir=tmp_path / "prompts",
                        demo_traffic=False, fastagi_port=9, _env_file=None)
    settings.ami_nodes[0] = settings.ami_nodes[0].model_copy(update={"port": 0})  # ephemeral port in tests
    kernel = _Kernel(settings, directory)
    comp = PbxsimComponent()
    await comp.start(kernel, {"pbxsim"})
    try:
        assert kernel.services["pbxsim"] is comp.sim and await comp.ready() == "ok"
        assert comp.sim.ami_address == ("127.0.0.1", comp.port)
        r, w = await asyncio.open_connection("127.0.0.1", comp.port)
        assert await r.readline() == b"Asterisk Call Manager/11.0.0\r\n"
        w.write(b"Action: Login\r\nUsername: engine\r\nSecret: engine\r\n\r\n")
        assert b"Authentication accepted" in await r.readuntil(b"\r\n\r\n")
        assert b"FullyBooted" in await r.readuntil(b"\r\n\r\n")
        place_call(comp.sim, CallerScript("13800138000", "张三"))
        seen = b""
        while b"Event: Newchannel" not in seen:
            seen = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 2)
        assert b"Context: from-carrier" in seen
        # every center × skill queue, plus each seat's personal queue (首问负责制)
        assert set(comp.sim.queues.queues) == {*directory.queue_names(), *(f"seat-{s.extension}" for s in directory.seats)}
    finally:
        await comp.stop()


def test_prompt_durations_come_from_the_rendered_wavs(tmp_path):
    (tmp_path / "hotline").mkdir()
    with wave.open(str(tmp_path / "hotline" / "welcome.wav"), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(b"\0\0" * 12000)
    assert prompt_seconds(tmp_path) == {"hotline/welcome": 1.5}


async def test_a_process_without_the_pbxsim_role_is_not_held_unready_by_it(kernel):
    comp = PbxsimComponent()
    await comp.start(kernel, {"api", "engine", "worker"})  # `run` with HOTLINE_PBX_MODE=asterisk, or `api`
    assert await comp.ready() == "ok" and comp.server is None
    await comp.stop()
