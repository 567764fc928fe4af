"""ChanSpy for listen / whisper / barge (apps/app_chanspy.c): ChanSpyStart/Stop around the spying."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from . import events as ev
from .model import Channel

if TYPE_CHECKING:
    from .core import Simulator


def _spy_event(name: str, spyer: Channel, spyee: Channel) -> list[tuple[str, str]]:
    return ev.event(name, [*ev.chan_block(spyer.snapshot(), "Spyer"), *ev.chan_block(spyee.snapshot(), "Spyee")])


async def app_chanspy(sim: "Simulator", chan: Channel, data: str) -> str:
    """ChanSpy(<channel prefix>,<options>): spy on the first matching channel until it (option E)
    or the spyer hangs up. Audio is not simulated; w (whisper) and B (barge) change nothing here."""
    prefix, _, options = data.partition(",")
    target = next((c for c in sim.listed_channels()
                   if c is not chan and prefix and c.name.lower().startswith(prefix.lower())), None)
    if target is None:  # nothing to spy on: with E ChanSpy ends, the dialplan goes on
        return "ok"
    sim.emit(_spy_event("ChanSpyStart", chan, target))
    done = asyncio.get_running_loop().create_future()
    chan.__dict__["_interrupt"] = done
    target.on_hangup.append(lambda c: done.done() or done.set_result(None))
    await done
    sim.emit(_spy_event("ChanSpyStop", chan, target))
    return "hangup" if "E" in options and target.hungup else "ok"
