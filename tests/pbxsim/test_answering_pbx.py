"""The answering pbx the chaos runs share: seats dealt round-robin over the queues, AMI for the engine user,
a caller answered by a seat, and a stop that closes the port and the simulator's tasks."""
from __future__ import annotations

import asyncio

from pbxsim.load import start_answering_pbx
from pbxsim.parties import CallerScript, place_call
from tests.pbxsim.test_ami_actions import Client


async def test_seats_dealt_over_the_queues_and_a_caller_answered():
    pbx = await start_answering_pbx(seats=3, queues=["q-a", "q-b"], first_extension=3000, answer_after=0.1)
    try:
        members = {q: sorted(m.interface for m in pbx.sim.queues.queues[q].members) for q in ("q-a", "q-b")}
        assert members == {"q-a": ["PJSIP/seat3000", "PJSIP/seat3002"], "q-b": ["PJSIP/seat3001"]}
        c = await Client.open(pbx.port, events="off")
        assert (await c.action("Ping"))["Ping"] == "Pong"
        caller = place_call(pbx.sim, CallerScript(number="13800000001", talk_time=5.0,
                                                  variables={"HOTLINE_QUEUE": "q-b"}))
        for _ in range(100):
            if pbx.sim.peer(caller) is not None:
                break
            await asyncio.sleep(0.02)
        assert pbx.sim.peer(caller).name.startswith("PJSIP/seat3001-")
        c.w.close()
    finally:
        await pbx.stop()
    assert pbx.clock.cancelling() or pbx.clock.cancelled()
    try:
        await asyncio.open_connection("127.0.0.1", pbx.port)
    except OSError:
        pass
    else:
        raise AssertionError("the AMI port still accepts connections after stop()")
