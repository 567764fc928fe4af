"""AmiLink against a scripted AMI server on loopback: login, resync, actions, UTF-8, reconnects."""
import asyncio
import json

import pytest

from routing.ami import AmiLink
from routing.results import AmiError
from tests.routing.amiserver import ScriptedAmiServer, wire

ENTRY = {"Event": "QueueEntry", "Queue": "q-410100-consult", "Position": "1", "Channel": "PJSIP/caller-00000000",
         "Uniqueid": "1.0", "CallerIDNum": "13800138000", "CallerIDName": "张三", "Wait": "3", "Priority": "0"}


async def _link(server, **kw) -> AmiLink:
    link = AmiLink(name="node1", host="127.0.0.1", port=server.port, username="engine", secret="engine",
                   backoff=(0.01, 0.05), **kw)
    await link.start()
    return link


@pytest.fixture
async def server():
    srv = await ScriptedAmiServer(queue_entries=[ENTRY]).start()
    yield srv
    await srv.stop()


async def test_login_then_resync_delivers_queue_entries(server):
    seen = []
    link = await _link(server)
    link.listen(seen.append)
    await link.wait_ready(5)
    resync = [e for e in seen if e["Event"] == "LinkResync"]
    assert len(resync) == 1 and resync[0]["QueueStatus"][0]["CallerIDName"] == "张三"
    assert resync[0]["Channels"] == []
    await link.stop()


async def test_queue_add_response_resolves(server):
    link = await _link(server)
    await link.wait_ready(5)
    result = await link.send({"Action": "QueueAdd", "Queue": "q", "Interface": "PJSIP/seat1001"})
    assert result.message == "Added interface to queue"
    await link.stop()


async def test_unknown_action_raises_ami_error(server):
    link = await _link(server)
    await link.wait_ready(5)
    with pytest.raises(AmiError, match="Invalid/unknown command"):
        await link.send({"Action": "Nope"})
    await link.stop()


async def test_unanswered_action_times_out(server):
    link = await _link(server, action_timeout=0.2)
    await link.wait_ready(5)
    server.mute = True
    with pytest.raises(AmiError, match="timed out"):
        await link.send({"Action": "Ping"})
    await link.stop()


async def test_utf8_event_split_in_one_byte_writes_arrives_intact(server):
    server.chunk = 1
    seen = []
    link = await _link(server)
    link.listen(seen.append)
    await link.wait_ready(5)
    event = {"Event": "Newchannel", "Channel": "PJSIP/caller-00000000", "CallerIDName": "张三", "Uniqueid": "1.0"}
    await server.push(wire(event) + wire({**event, "CallerIDName": "李四", "Uniqueid": "2.0"}))
    for _ in range(200):
        if sum(e["Event"] == "Newchannel" for e in seen) == 2:
            break
        await asyncio.sleep(0.01)
    names = [e["CallerIDName"] for e in seen if e["Event"] == "Newchannel"]
    assert names == ["张三", "李四"]
    await link.stop()


async def test_killed_link_reconnects_and_resyncs_every_time(server):
    seen = []
    link = await _link(server)
    link.listen(seen.append)
    await link.wait_ready(5)
    for _ in range(100):
        before = link.disconnects
        server.kill_all()
        while link.disconnects == before:
            await asyncio.sleep(0.002)
        await link.wait_ready(5)
    assert link.resyncs == 101 and server.logins == 101
    assert sum(e["Event"] == "LinkDown" for e in seen) == 100
    await link.stop()


async def test_keepalive_drops_a_silent_peer_and_reconnects(server):
    link = await _link(server, ping_interval=0.05, action_timeout=0.05)
    await link.wait_ready(5)
    server.mute = True
    for _ in range(300):
        if link.disconnects:
            break
        await asyncio.sleep(0.01)
    assert link.disconnects >= 1
    server.mute = False
    await link.wait_ready(5)
    assert link.resyncs >= 2
    await link.stop()


async def test_capture_log_records_both_directions(server, tmp_path):
    link = await _link(server, capture_dir=tmp_path)
    await link.wait_ready(5)
    await link.stop()
    records = [json.loads(line) for line in (tmp_path / "ami-node1.jsonl").read_text("utf-8").splitlines()]
    dirs = {r["dir"] for r in records}
    assert dirs == {"recv", "send"}
    assert any("张三" in r["data"] for r in records)
    assert records[0]["data"].startswith("Asterisk Call Manager/")


def test_capture_log_rotates_by_size(tmp_path):
    from routing.capture import CaptureLog, read_capture

    log = CaptureLog(tmp_path, "node1", max_bytes=2000, backups=3, clock=lambda: 1795901443.0)
    for i in range(100):
        log.recv(f"Event: Newchannel\r\nCallerIDName: 张三{i}\r\nUniqueid: 1.{i}\r\n\r\n")
    log.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["ami-node1.jsonl", "ami-node1.jsonl.1", "ami-node1.jsonl.2", "ami-node1.jsonl.3"]
    newest = list(read_capture(tmp_path / "ami-node1.jsonl"))
    assert newest[-1].data.endswith("Uniqueid: 1.99\r\n\r\n") and newest[-1].node == "node1"
