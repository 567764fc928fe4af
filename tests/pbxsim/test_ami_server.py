"""AMI server behaviour: bad input, unknown actions, privileges, slow clients, panoramisk."""
from __future__ import annotations

import asyncio
import socket

import pytest

from pbxsim.ami_server import AmiServer, AmiUser
from pbxsim.core import Simulator
from pbxsim.scheduler import Scheduler
from pbxsim.setup import trace_config


@pytest.fixture
async def ami():
    sim = Simulator(trace_config(None), Scheduler(start=1_800_000_000.0))
    server = AmiServer(sim, [AmiUser("engine", "engine", {"system", "call", "agent"}, {"system", "call", "agent"}),
                             AmiUser("viewer", "viewer", {"all"}, {"reporting"})], auth_delay=0.0, max_queue=50, max_buffer=65536, sndbuf=16384)
    port = await server.start()
    yield sim, server, port
    await server.stop()


async def _client(port, user="engine", rcvbuf: int | None = None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.connect(("127.0.0.1", port))
    r, w = await asyncio.open_connection(sock=sock)
    assert await r.readline() == b"Asterisk Call Manager/11.0.0\r\n"
    w.write(f"Action: Login\r\nUsername: {user}\r\nSecret: {user}\r\n\r\n".encode())
    await _read(r)  # Success
    return r, w


async def _read(r) -> dict:
    data = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 2)
    return dict(line.split(": ", 1) for line in data.decode().split("\r\n") if ": " in line)


async def _response(r) -> dict:
    while "Response" not in (msg := await _read(r)):
        pass
    return msg


async def test_unknown_action_gets_asterisks_error_and_session_continues(ami):
    _, _, port = ami
    r, w = await _client(port)
    w.write(b"Action: FooBar\r\nActionID: x1\r\n\r\nAction: Ping\r\nActionID: x2\r\n\r\n")
    err = await _response(r)
    assert err["Message"] == "Invalid/unknown command: FooBar. Use Action: ListCommands to show available commands."
    assert (await _response(r))["Ping"] == "Pong"


async def test_malformed_and_control_characters_are_refused(ami):
    _, _, port = ami
    r, w = await _client(port)
    w.write(b"garbage without colon\r\n\r\n")
    assert (await _response(r))["Message"] == "Missing action in request"
    w.write(b"Action: QueueAdd\r\nQueue: q-410100-consult\r\nInterface: PJSIP/seat1001\x07\r\n\r\n")
    assert (await _response(r))["Message"] == "Invalid characters in request"


async def test_action_outside_write_classes_is_denied(ami):
    _, _, port = ami
    r, w = await _client(port, "viewer")
    w.write(b"Action: QueueAdd\r\nQueue: q-410100-consult\r\nInterface: PJSIP/seat1001\r\n\r\n")
    assert (await _response(r))["Message"] == "Permission denied"


async def test_client_leaving_mid_eventlist_does_not_hurt_others(ami):
    sim, server, port = ami
    r1, w1 = await _client(port)
    r2, w2 = await _client(port)
    w1.write(b"Action: QueueStatus\r\n\r\n")
    w1.transport.abort()
    w2.write(b"Action: QueueSummary\r\nActionID: s\r\n\r\n")
    assert (await _response(r2))["EventList"] == "start"
    w2.write(b"Action: Ping\r\n\r\n")
    assert (await _response(r2))["Ping"] == "Pong"


@pytest.mark.timeout(20)
async def test_slow_client_is_disconnected_others_keep_events(ami):
    sim, server, port = ami
    server.write_timeout = 0.2
    slow_r, slow_w = await _client(port, rcvbuf=4096)
    fast_r, fast_w = await _client(port)
    slow_w.transport.pause_reading()  # this client stops reading altogether
    counted = [0]

    async def read_fast() -> None:
        while True:
            msg = await fast_r.readuntil(b"\r\n\r\n")
            counted[0] += b"QueueMemberPause" in msg

    reader = asyncio.create_task(read_fast())
    for i in range(5000):
        sim.queues.pause("", "PJSIP/seat1003", i % 2 == 0, "")
        if i % 5 == 0:
            await asyncio.sleep(0)
    for _ in range(200):
        if counted[0] == 5000 and len(server.sessions) == 1:
            break
        await asyncio.sleep(0.02)
    reader.cancel()
    assert counted[0] == 5000  # the reading client lost nothing
    assert len(server.sessions) == 1  # the stalled one was cut off
    fast_w.write(b"Action: Ping\r\n\r\n")
    while b"Pong" not in await asyncio.wait_for(fast_r.readuntil(b"\r\n\r\n"), 2):
        pass


@pytest.mark.timeout(10)
async def test_panoramisk_logs_in_and_receives_events(ami):
    import panoramisk

    sim, _, port = ami
    manager = panoramisk.Manager(loop=asyncio.get_running_loop(), host="127.0.0.1", port=port,
                                 username="engine", secret="engine", ping_delay=60, reconnect_timeout=60)
    seen: asyncio.Queue = asyncio.Queue()
    manager.register_event("QueueMemberAdded", lambda m, msg: seen.put_nowait(msg))
    booted: asyncio.Queue = asyncio.Queue()
    manager.register_event("FullyBooted", lambda m, msg: booted.put_nowait(msg))
    await manager.connect()
    login = await asyncio.wait_for(manager.authenticated_future, 2)
    assert login.Message == "Authentication accepted"
    assert (await asyncio.wait_for(booted.get(), 2)).Status == "Fully Booted"
    pong = await manager.send_action({"Action": "Ping"})
    assert pong.Ping == "Pong"
    # panoramisk treats "Added interface to queue" as the start of a list (as with Asterisk),
    # so the QueueAdd future is not awaited: the event shows the member was added
    manager.send_action({"Action": "QueueAdd", "Queue": "q-410100-consult",
                         "Interface": "PJSIP/seat1001", "MemberName": "坐席1001"})
    msg = await asyncio.wait_for(seen.get(), 2)
    assert msg.MemberName == "坐席1001" and msg.Queue == "q-410100-consult"
    status = await manager.send_action({"Action": "QueueStatus", "Queue": "q-410100-consult"})
    assert status[0].Response == "Success" and status[0].EventList == "start"
    assert [m.Event for m in status[1:]] == ["QueueParams", "QueueMember", "QueueStatusComplete"]
    assert status[-1].ListItems == "2"
    manager.close()


async def test_random_garbage_never_stops_the_server(ami):
    import random

    sim, server, port = ami
    rng = random.Random(4)
    r, w = await _client(port)
    for _ in range(200):
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
        w.write(junk.replace(b"\r\n\r\n", b"") + b"\r\n\r\n")
    w.write(b"Action: Ping\r\nActionID: alive\r\n\r\n")
    while (msg := await _read(r)).get("ActionID") != "alive":
        assert msg.get("Response") in ("Error", None) or msg.get("Event")
    assert msg["Ping"] == "Pong"
    r2, w2 = await _client(port)  # and a newcomer is served as usual
    w2.write(b"Action: Ping\r\n\r\n")
    assert (await _response(r2))["Ping"] == "Pong"


async def test_oversized_request_is_refused_and_dropped(ami):
    _, _, port = ami
    r, w = await _client(port)
    w.write(b"Action: Ping\r\nX: " + b"a" * 70000)
    assert (await _response(r))["Message"] == "Request too long"
    w.write(b"\r\n\r\nAction: Ping\r\n\r\n")
    assert (await _response(r))["Ping"] == "Pong"


def test_wire_refuses_every_control_character_and_keeps_unicode():
    from pbxsim.wire import WireError, check_value, encode

    assert check_value("张三 李律师(1001)　全角空格") == "张三 李律师(1001)　全角空格"
    for bad in ["a\rb", "a\nb", "a\x00", "\x1b[0m", "x\x7f"]:
        with pytest.raises(WireError):
            encode([("CallerIDName", bad)])
