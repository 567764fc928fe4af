"""首问负责制 end to end: engine decision → dialplan's personal queue → the same seat, with a correct call record."""
from __future__ import annotations

import asyncio

from tests.routing.test_pbxsim_e2e import Engine, engine  # noqa: F401  (fixture)


async def test_repeat_caller_reaches_the_seat_who_handled_them_first(engine):  # noqa: F811
    await engine.start()
    await engine.log_in("1007")                     # 郑州 consult, skill level 2
    engine.call("13803710000", talk=0.3)
    first = (await engine.wait_records(1))[0]
    assert first["seat_extension"] == "1007"
    await engine.log_in("1001")                     # level 1: plain routing would now pick 1001
    await asyncio.sleep(0.3)
    engine.call("13803710000", talk=0.3)
    records = await engine.wait_records(2)
    again = records[1]
    assert (again["seat_extension"], again["outcome"], again["caller_number"]) == ("1007", "answered", "13803710000")
    assert again["decision_reason"] == "first_contact" and again["priority"] == first["priority"] + 1
    # answered in the seat's personal queue, counted for the skill queue routing chose
    assert again["queues_visited"] == ["q-410100-consult"] and not again["overflowed"]
    assert (again["queues"][0]["via"], again["queues"][0]["result"]) == ("seat-1007", "answered")
    assert [r["interface"] for r in again["rings"]] == ["PJSIP/seat1007"]
