"""Event bus: state → bus → web. In-process fan-out, or Redis pub/sub across processes.

Topics are dotted strings (``call.queued``, ``seat.status``, ``ticket.changed``, ``wallboard.tick``);
payloads are JSON-able dicts. Subscribers get their own bounded queue so a slow web client never
blocks the engine: when its queue is full the oldest message is dropped and counted.
"""
from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(slots=True)
class BusMessage:
    topic: str
    payload: dict[str, Any]


@dataclass
class Subscription:
    pattern: str
    queue: asyncio.Queue[BusMessage]
    dropped: int = 0

    def matches(self, topic: str) -> bool:
        return fnmatch.fnmatchcase(topic, self.pattern)

    def offer(self, msg: BusMessage) -> None:
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(msg)

    async def __aiter__(self) -> AsyncIterator[BusMessage]:  # type: ignore[override]
        while True:
            yield await self.queue.get()


@dataclass
class EventBus:
    """In-process bus. `publish` never blocks; each subscriber reads its own queue."""

    maxsize: int = 10_000
    _subs: list[Subscription] = field(default_factory=list)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        self._deliver(BusMessage(topic, payload))

    def _deliver(self, msg: BusMessage) -> None:
        for sub in self._subs:
            if sub.matches(msg.topic):
                sub.offer(msg)

    def subscribe(self, pattern: str = "*", maxsize: int | None = None) -> Subscription:
        sub = Subscription(pattern, asyncio.Queue(maxsize or self.maxsize))
        self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with contextlib.suppress(ValueError):
            self._subs.remove(sub)


class RedisEventBus(EventBus):
    """Bus shared by several processes through Redis pub/sub (channel prefix ``hotline:``).

    Every message, local ones included, is delivered from Redis, so all processes see one order.
    One sender task publishes in call order (one task per publish would race on the pool), and the
    listener reconnects with backoff when Redis goes away.
    """

    def __init__(self, url: str, maxsize: int = 10_000, prefix: str = "hotline:") -> None:
        super().__init__(maxsize=maxsize)
        self.url = url
        self.prefix = prefix
        self.outbox_dropped = 0
        self._redis = None
        self._outbox: asyncio.Queue[tuple[str, str]] | None = None
        self._tasks: list[asyncio.Task] = []
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(self.url, client_name=f"hotline-bus-{id(self):x}")
        self._outbox = asyncio.Queue(self.maxsize)
        self._tasks = [asyncio.create_task(self._listen(), name="redis-bus-listen"),
                       asyncio.create_task(self._send(), name="redis-bus-send")]
        await asyncio.wait_for(self._subscribed.wait(), 10)

    async def _listen(self) -> None:
        from redis.exceptions import RedisError

        delay = 0.2
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.psubscribe(self.prefix + "*")
                self._subscribed.set()
                delay = 0.2
                async for raw in pubsub.listen():
                    if raw.get("type") == "pmessage":
                        self._receive(raw)
            except (RedisError, OSError) as exc:
                log.warning("redis bus listener lost its connection (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def _receive(self, raw: dict) -> None:
        try:
            topic = raw["channel"].decode()[len(self.prefix):]
            payload = json.loads(raw["data"])
            if not isinstance(payload, dict):
                raise ValueError("payload is not an object")
        except (ValueError, KeyError, UnicodeDecodeError) as exc:
            log.warning("bad bus message dropped: %s", exc)
            return
        self._deliver(BusMessage(topic, payload))

    async def _send(self) -> None:
        from redis.exceptions import RedisError

        while True:
            topic, data = await self._outbox.get()
            while True:
                try:
                    await self._redis.publish(self.prefix + topic, data)
                    break
                except (RedisError, OSError) as exc:
                    log.warning("redis bus publish failed (%s); retrying", exc)
                    await asyncio.sleep(0.5)

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        if self._outbox is None:
            raise RuntimeError("RedisEventBus.publish before start()")
        data = json.dumps(payload, ensure_ascii=False, default=str)
        if self._outbox.full():  # Redis unreachable for long: keep the newest, count the loss
            with contextlib.suppress(asyncio.QueueEmpty):
                self._outbox.get_nowait()
            self.outbox_dropped += 1
        self._outbox.put_nowait((topic, data))

    async def stop(self) -> None:
        if self._outbox is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._drain(), 2)  # deliver what was published before stop
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    async def _drain(self) -> None:
        while not self._outbox.empty():
            await asyncio.sleep(0.01)


def make_bus(redis_url: str | None) -> EventBus:
    return RedisEventBus(redis_url) if redis_url else EventBus()
