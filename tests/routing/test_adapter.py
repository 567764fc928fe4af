"""One test per panoramisk gap fixed in routing.adapter (each shows the stock behaviour too)."""
import asyncio
import json
import random

import pytest
from panoramisk import actions as pk_actions
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from routing.adapter import BackoffManager, FramingProtocol, ListAwareAction, backoff_delay
from tests.conftest import TRACES


def trace_bytes(name: str) -> bytes:
    out = []
    for line in (TRACES / f"{name}.ami.jsonl").read_text("utf-8").splitlines():
        rec = json.loads(line)
        if rec["dir"] == "recv":
            out.append(rec["data"].encode("utf-8"))
    return b"".join(out)


class Transport:
    def __init__(self):
        self.written = []

    def write(self, data):
        self.written.append(data)

    def close(self):
        pass


class Factory:
    raw_sink = None
    wanted = None

    def __init__(self):
        self.events = []

    def on_event(self, event):
        self.events.append(event)

    def connection_lost(self, exc):
        pass


def ours(reads: list[bytes]) -> list[dict]:
    proto = FramingProtocol()
    proto.connection_made(Transport())
    proto.factory = Factory()
    for r in reads:
        proto.data_received(r)
    return proto.factory.events


def test_fix1_utf8_split_at_every_byte_position_arrives_intact_and_in_order():
    data = trace_bytes("hangup-in-ivr")
    whole = ours([data])
    assert "吴九" in [e.get("CallerIDName") for e in whole]
    for cut in range(1, len(data)):
        assert ours([data[:cut], data[cut:]]) == whole, f"split at byte {cut}"


def test_fix1_every_split_inside_a_chinese_character_of_a_long_trace():
    data = trace_bytes("queue-answered")
    whole = ours([data])
    cuts = [i for i in range(1, len(data)) if 0x80 <= data[i] < 0xC0]  # continuation bytes
    assert len(cuts) > 50
    for cut in cuts:
        assert ours([data[:cut], data[cut:]]) == whole, f"split at byte {cut}"


def test_fix1_random_reads_of_every_trace_keep_order():
    rnd = random.Random(7)
    for path in sorted(TRACES.glob("*.ami.jsonl")):
        data = trace_bytes(path.name.removesuffix(".ami.jsonl"))
        whole = ours([data])
        reads, i = [], 0
        while i < len(data):
            n = rnd.randint(1, 300)
            reads.append(data[i:i + n])
            i += n
        assert ours(reads) == whole, path.name


def test_stock_panoramisk_loses_a_split_utf8_character():
    data = trace_bytes("queue-answered")
    cut = data.index("张".encode()) + 1  # inside the 3-byte character
    seen = []

    class PkFactory:
        def dispatch(self, message):
            seen.append(message)

    proto = AMIProtocol()
    proto.connection_made(Transport())
    proto.factory, proto.encoding = PkFactory(), "utf-8"
    proto.data_received(data[:cut])
    proto.data_received(data[cut:])
    first_name = next(m["CallerIDName"] for m in seen if "CallerIDName" in m)
    assert first_name != "张三"  # the gap the adapter fixes
    assert next(e["CallerIDName"] for e in ours([data[:cut], data[cut:]]) if "CallerIDName" in e) == "张三"


def test_unwanted_events_are_framed_but_not_parsed_and_list_items_always_are():
    data = trace_bytes("status-midcall")
    proto = FramingProtocol()
    proto.connection_made(Transport())
    proto.factory = Factory()
    proto.factory.wanted = frozenset({"Hangup"})
    proto.data_received(data)
    got = {e["Event"] for e in proto.factory.events}
    assert "Hangup" in got and "Newstate" not in got and "DeviceStateChange" not in got
    assert "QueueEntry" in got  # carries an ActionID: may belong to a pending list action


async def test_fix2_queue_add_response_completes_the_action():
    action = ListAwareAction({"Action": "QueueAdd", "Queue": "q", "Interface": "PJSIP/seat1001"},
                             ["Action", "Queue", "Interface"])
    assert action.add_message(Message({"Response": "Success", "ActionID": action.id,
                                       "Message": "Added interface to queue"}))
    assert (await action.future)["Message"] == "Added interface to queue"
    stock = pk_actions.Action({"Action": "QueueAdd", "Queue": "q"})
    stock.add_message(Message({"Response": "Success", "ActionID": stock.id, "Message": "Added interface to queue"}))
    assert not stock.future.done()  # stock panoramisk waits forever


async def test_fix2_event_lists_complete_on_their_complete_event():
    action = ListAwareAction({"Action": "QueueStatus"}, ["Action"])
    assert not action.add_message(Message({"Response": "Success", "EventList": "start", "ActionID": action.id}))
    assert not action.add_message(Message({"Event": "QueueParams", "ActionID": action.id}))
    assert action.add_message(Message({"Event": "QueueStatusComplete", "EventList": "Complete",
                                       "ActionID": action.id}))
    assert len(await action.future) == 3


async def test_fix3_actions_keep_their_order_and_refuse_control_characters():
    action = ListAwareAction({"Action": "Redirect", "Channel": "PJSIP/caller-1", "Context": "queue-overflow"},
                             ["Action", "Channel", "Context"])
    text = str(action)
    assert text.startswith("Action: Redirect\r\nChannel: PJSIP/caller-1\r\nContext: queue-overflow\r\nActionID: ")
    bad = ListAwareAction({"Action": "Setvar", "Value": "x\r\nAction: Hangup"}, ["Action", "Value"])
    with pytest.raises(ValueError):
        str(bad)


def test_fix4_backoff_grows_to_the_cap_with_jitter():
    rnd = random.Random(1)
    delays = [backoff_delay(a, 0.1, 5.0, rnd) for a in range(12)]
    assert 0.05 <= delays[0] <= 0.1 and all(2.5 <= d <= 5.0 for d in delays[7:])
    assert delays[3] > delays[0]


async def test_fix5_pending_actions_fail_on_connection_loss_instead_of_being_resent():
    manager = BackoffManager(on_event=lambda e: None, loop=asyncio.get_running_loop(), host="127.0.0.1", port=1)
    proto = FramingProtocol()
    proto.connection_made(Transport())
    proto.factory = manager
    manager.stopped = True  # no reconnect in this test
    future = proto.send(ListAwareAction({"Action": "Redirect", "Channel": "c"}, ["Action", "Channel"]))
    proto.connection_lost(None)
    with pytest.raises(ConnectionError):
        await future
    assert not manager.awaiting_actions


async def test_fix6_banner_read_before_the_manager_attaches_is_framed_after_login_is_sent():
    loop = asyncio.get_running_loop()
    manager = BackoffManager(on_event=lambda e: None, loop=loop, host="127.0.0.1", port=1,
                             username="engine", secret="engine")
    transport = Transport()
    proto = FramingProtocol()
    proto.connection_made(transport)
    proto.data_received(b"Asterisk Call Manager/9.0.0\r\n")  # uvloop: before the connect future's callback
    assert proto.version is None and proto.early
    connected = loop.create_future()
    connected.set_result((transport, proto))
    manager.connection_made(connected)
    assert proto.version == "9.0.0" and not proto.early
    assert b"Action: Login" in transport.written[0]
    manager.close()
