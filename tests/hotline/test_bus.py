"""Event bus: glob subscriptions, bounded queues that drop the oldest, order, and the Redis variant
shared by two bus instances (two processes' view) on the real Redis at 127.0.0.1:6379."""
from __future__ import annotations

import asyncio
import socket
import uuid

import pytest

from hotline.bus import EventBus, RedisEventBus, make_bus

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


needs_redis = pytest.mark.skipif(not redis_reachable(), reason="Redis not reachable on 127.0.0.1:6379 "
                                 "(make test starts it when redis-server is installed)")


async def test_glob_subscription_receives_only_matching_topics_in_order():
    bus = EventBus()
    calls, everything = bus.subscribe("call.*"), bus.subscribe()
    bus.publish("call.new", {"n": 1})
    bus.publish("seat.status", {"n": 2})
    bus.publish("call.ended", {"n": 3})
    assert [calls.queue.get_nowait().payload["n"] for _ in range(2)] == [1, 3]
    assert calls.queue.empty()
    assert everything.queue.qsize() == 3


async def test_a_slow_subscriber_loses_its_oldest_messages_and_never_blocks_the_publisher():
    bus = EventBus()
    slow = bus.subscribe("*", maxsize=2)
    for n in range(5):
        bus.publish("queue.stats", {"n": n})
    assert slow.dropped == 3
    assert [slow.queue.get_nowait().payload["n"] for _ in range(2)] == [3, 4]


async def test_unsubscribed_queues_get_nothing_more():
    bus = EventBus()
    sub = bus.subscribe("*")
    bus.unsubscribe(sub)
    bus.unsubscribe(sub)  # twice is harmless
    bus.publish("call.new", {})
    assert sub.queue.empty()


async def test_subscription_iterates_as_an_async_stream():
    bus = EventBus()
    sub = bus.subscribe("alarm.*")
    bus.publish("alarm.raised", {"id": "a1"})
    msg = await asyncio.wait_for(anext(sub.__aiter__()), 1)
    assert (msg.topic, msg.payload) == ("alarm.raised", {"id": "a1"})


def test_make_bus_picks_redis_only_when_configured():
    assert type(make_bus(None)) is EventBus
    assert isinstance(make_bus(REDIS_URL), RedisEventBus)


async def test_redis_bus_refuses_to_publish_before_start():
    with pytest.raises(RuntimeError, match="before start"):
        RedisEventBus(REDIS_URL).publish("call.new", {})


async def _collect(sub, count: int) -> list:
    return [await asyncio.wait_for(sub.queue.get(), 5) for _ in range(count)]


@needs_redis
async def test_two_redis_bus_instances_share_events_in_publish_order():
    prefix = f"hotline-test-{uuid.uuid4().hex[:8]}:"  # isolates concurrent runs on one Redis
    engine, web = RedisEventBus(REDIS_URL, prefix=prefix), RedisEventBus(REDIS_URL, prefix=prefix)
    await engine.start()
    await web.start()
    try:
        remote, local = web.subscribe("call.*"), engine.subscribe("call.*")
        for n in range(50):
            engine.publish("call.queued" if n % 2 else "call.new", {"n": n, "who": "张三"})
        engine.publish("seat.status", {"ignored": True})
        got = await _collect(remote, 50)
        assert [m.payload["n"] for m in got] == list(range(50))
        assert got[1].topic == "call.queued" and got[0].payload["who"] == "张三"
        assert [m.payload["n"] for m in await _collect(local, 50)] == list(range(50))
    finally:
        await engine.stop()
        await web.stop()


@needs_redis
async def test_redis_bus_drops_malformed_messages_and_keeps_running():
    import redis.asyncio as aioredis

    prefix = f"hotline-test-{uuid.uuid4().hex[:8]}:"
    bus = RedisEventBus(REDIS_URL, prefix=prefix)
    await bus.start()
    raw = aioredis.from_url(REDIS_URL)
    try:
        sub = bus.subscribe("*")
        await asyncio.sleep(0.1)
        await raw.publish(prefix + "call.new", b"{not json")
        bus.publish("call.new", {"ok": True})
        assert (await _collect(sub, 1))[0].payload == {"ok": True}
    finally:
        await raw.aclose()
        await bus.stop()


@needs_redis
async def test_redis_bus_listener_reconnects_after_its_connection_is_killed(caplog):
    import redis.asyncio as aioredis

    prefix = f"hotline-test-{uuid.uuid4().hex[:8]}:"
    bus = RedisEventBus(REDIS_URL, prefix=prefix)
    await bus.start()
    admin = aioredis.from_url(REDIS_URL)
    try:
        sub = bus.subscribe("probe")
        name = f"hotline-bus-{id(bus):x}"
        ids = [c["id"] for c in await admin.client_list() if c.get("name") == name]
        assert ids, "the bus names its connections so operators can find them"
        for cid in ids:
            await admin.client_kill_filter(_id=cid)
        received = None
        for n in range(50):  # pub/sub keeps nothing while disconnected: probe until heard again
            bus.publish("probe", {"n": n})
            try:
                received = await asyncio.wait_for(sub.queue.get(), 0.2)
                break
            except asyncio.TimeoutError:
                continue
        assert received is not None and received.topic == "probe"
        assert "lost its connection" in caplog.text
    finally:
        await admin.aclose()
        await bus.stop()
