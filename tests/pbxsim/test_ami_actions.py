"""AMI actions over TCP: login variants, filters, event masks, channel actions and their errors."""
from __future__ import annotations

import asyncio
import hashlib

import pytest

from pbxsim.ami_server import AmiServer, AmiUser
from pbxsim.parties import SeatScript
from pbxsim.queues import QueueConfig
from tests.pbxsim.helpers import add, call, make_sim


@pytest.fixture
async def env():
    sim, _ = make_sim([QueueConfig("q")], {"seat1": SeatScript(answer_after=1)})
    server = AmiServer(sim, [AmiUser("engine", "engine")], auth_delay=0.05)
    port = await server.start()
    yield sim, server, port
    await server.stop()


class Client:
    """A raw AMI client reading whole messages."""

    def __init__(self, reader, writer) -> None:
        self.r, self.w = reader, writer

    @classmethod
    async def open(cls, port: int, login: bool = True, events: str = "on") -> "Client":
        r, w = await asyncio.open_connection("127.0.0.1", port)
        await r.readline()
        c = cls(r, w)
        if login:
            assert (await c.action("Login", Username="engine", Secret="engine", Events=events))["Response"] == "Success"
        return c

    def send(self, action: str, **headers: str) -> None:
        lines = [f"Action: {action}"] + [f"{k}: {v}" for k, v in headers.items()]
        self.w.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    async def read(self, timeout: float = 2) -> dict:
        data = await asyncio.wait_for(self.r.readuntil(b"\r\n\r\n"), timeout)
        return dict(x.split(": ", 1) for x in data.decode().split("\r\n") if ": " in x)

    async def action(self, action: str, **headers: str) -> dict:
        self.send(action, ActionID="a1", **headers)
        while "Response" not in (msg := await self.read()):
            pass
        return msg

    async def events(self, seconds: float = 0.2) -> list[dict]:
        out = []
        while True:
            try:
                out.append(await self.read(seconds))
            except asyncio.TimeoutError:
                return out


async def test_md5_challenge_login(env):
    _, _, port = env
    c = await Client.open(port, login=False)
    chal = (await c.action("Challenge", AuthType="MD5"))["Challenge"]
    key = hashlib.md5((chal + "engine").encode()).hexdigest()
    assert (await c.action("Login", AuthType="MD5", Username="engine", Key=key))["Message"] == "Authentication accepted"


async def test_wrong_secret_is_refused_late_and_the_connection_closed(env):
    _, _, port = env
    c = await Client.open(port, login=False)
    assert (await c.action("Login", Username="engine", Secret="nope"))["Message"] == "Authentication failed"
    assert await c.r.read() == b""


async def test_actions_before_login_are_denied(env):
    _, _, port = env
    c = await Client.open(port, login=False)
    assert (await c.action("QueueStatus"))["Message"] == "Permission denied"


async def test_logoff_says_goodbye_and_closes(env):
    _, _, port = env
    c = await Client.open(port)
    msg = await c.action("Logoff")
    assert (msg["Response"], msg["Message"]) == ("Goodbye", "Thanks for all the fish.")
    assert await asyncio.wait_for(c.r.read(), 2) == b""  # EOF right after Goodbye


async def test_filter_keeps_only_matching_events(env):
    sim, _, port = env
    c = await Client.open(port)
    await c.events()
    assert (await c.action("Filter", Operation="Add", Filter="Event: QueueMemberAdded"))["Message"] == "Filter Added Successfully"
    add(sim, "q", "seat1")
    assert [e["Event"] for e in await c.events()] == ["QueueMemberAdded"]


async def test_event_mask_by_class(env):
    sim, _, port = env
    c = await Client.open(port, events="agent")
    await c.events()
    add(sim, "q", "seat1")
    assert {e["Event"] for e in await c.events()} == {"QueueMemberAdded"}  # DeviceStateChange is class call


async def test_channel_actions_on_a_live_call(env):
    sim, _, port = env
    c = await Client.open(port, events="off")
    add(sim, "q", "seat1")
    chan = call(sim, "q")
    await sim.sched.advance(0.5)
    assert (await c.action("Setvar", Channel=chan.name, Variable="HOTLINE_SKILL", Value="consult"))["Message"] == "Variable Set"
    got = await c.action("Getvar", Channel=chan.name, Variable="HOTLINE_SKILL")
    assert (got["Variable"], got["Value"]) == ("HOTLINE_SKILL", "consult")
    assert (await c.action("Getvar", Channel="PJSIP/nobody-00000000", Variable="X"))["Message"] == "No such channel"
    assert (await c.action("Redirect", Channel=chan.name, Context="queue-overflow", Exten="410000", Priority="x"))["Message"] == "Invalid priority"
    assert (await c.action("Redirect", Channel="PJSIP/gone-00000009", Context="c", Exten="1", Priority="1"))["Message"] == "Channel does not exist: PJSIP/gone-00000009"
    assert (await c.action("Hangup", Channel=chan.name))["Message"] == "Channel Hungup"
    await sim.sched.advance(0.1)
    assert chan.name not in sim.channels


async def test_originate_to_an_unregistered_seat_fails_with_reason_0(env):
    sim, _, port = env
    sim.register("seat1", False)
    c = await Client.open(port)
    await c.events()
    c.send("Originate", ActionID="o1", Channel="PJSIP/seat1", Context="callback", Exten="13800138000",
           Priority="1", Async="true", CallerID='"12348回访" <12348>')
    assert (await c.read())["Message"] == "Originate successfully queued"
    await sim.sched.advance(0.1)
    resp = next(e for e in await c.events() if e.get("Event") == "OriginateResponse")
    assert (resp["ActionID"], resp["Response"], resp["Reason"], resp["Uniqueid"]) == ("o1", "Failure", "0", "<unknown>")


async def test_originate_rejects_bad_values(env):
    _, _, port = env
    c = await Client.open(port, events="off")
    assert (await c.action("Originate", Channel="PJSIP/seat1", Context="callback", Exten="1", Priority="x", Async="true"))["Message"] == "Invalid priority"
    assert (await c.action("Originate", Context="callback", Exten="1"))["Message"] == "Channel not specified"


async def test_hangup_by_regex_lists_what_it_hung_up(env):
    sim, _, port = env
    c = await Client.open(port, events="off")
    one = call(sim, "q", "13800000001")
    two = call(sim, "q", "13800000002")
    await sim.sched.advance(0.5)
    c.send("Hangup", ActionID="h", Channel="/^PJSIP/caller-/", Cause="abc")
    msgs = [await c.read() for _ in range(4)]
    assert msgs[0]["Message"] == "Channels hung up will follow"
    assert {m["Channel"] for m in msgs[1:3]} == {one.name, two.name}
    assert (msgs[3]["Event"], msgs[3]["ListItems"]) == ("ChannelsHungupListComplete", "2")
    await sim.sched.advance(0.1)
    assert sim.channels == {}
    assert (await c.action("Hangup", Channel="/(/"))["Message"] == "Regex compile failed on: /(/"


async def test_redirect_of_a_connected_caller_ends_the_queue_call_as_a_transfer(env):
    sim, _, port = env
    seen: list = []
    sim.listeners.append(seen.append)
    c = await Client.open(port, events="off")
    add(sim, "q", "seat1")
    chan = call(sim, "q")
    await sim.sched.advance(3)  # seat answered after 1 s
    assert chan.bridge is not None
    msg = await c.action("Redirect", Channel=chan.name, Context="handoff-12345", Exten="12345", Priority="1")
    assert msg["Message"] == "Redirect successful"
    await sim.sched.advance(1)
    complete = next(dict(e) for e in seen if e[0] == ("Event", "AgentComplete"))
    assert complete["Reason"] == "transfer"
    assert chan.name in sim.channels and chan.context == "handoff-12345" and chan.bridge is None
    assert not [c for c in sim.channels if c.startswith("PJSIP/seat1-")]  # the seat leg was hung up
