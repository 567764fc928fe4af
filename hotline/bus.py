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
    """Bus shared by several processes through Redis pub/sub (channel prefix ``hotline:``)."""

    def __init__(self, url: str, maxsize: int = 10_000, prefix: str = "hotline:") -> None:
        super().__init__(maxsize=maxsize)
        self.url = url
        self.prefix = prefix
        self._redis = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(self.url)
        pubsub = self._redis.pubsub()
        await pubsub.psubscribe(self.prefix + "*")
        self._task = asyncio.create_task(self._pump(pubsub), name="redis-bus")

    async def _pump(self, pubsub) -> None:
        async for raw in pubsub.listen():
            if raw.get("type") != "pmessage":
                continue
            try:
                topic = raw["channel"].decode()[len(self.prefix):]
                self._deliver(BusMessage(topic, json.loads(raw["data"])))
            except (ValueError, KeyError) as exc:
                log.warning("bad bus message dropped: %s", exc)

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        if self._redis is None:
            raise RuntimeError("RedisEventBus.publish before start()")
        data = json.dumps(payload, ensure_ascii=False, default=str)
        asyncio.get_running_loop().create_task(self._redis.publish(self.prefix + topic, data))

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._redis is not None:
            await self._redis.aclose()


def make_bus(redis_url: str | None) -> EventBus:
    return RedisEventBus(redis_url) if redis_url else EventBus()
