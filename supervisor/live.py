"""Live wallboard service: today's statistics from stored records, live state from routing and the bus,
frames pushed to every watcher, alarms raised and cleared (logged and published)."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from hotline.db import utcnow
from supervisor.alarms import AlarmChange, Thresholds, evaluate
from supervisor.board import Layout, TodayStats, alarm_values, build_frame, visible_part
from supervisor.metrics import MetricParams

log = logging.getLogger(__name__)
TOPICS = ("call.", "seat.status", "member.status")


def day_start(now: datetime, tz: str) -> datetime:
    """Midnight (local time of the hotline) of `now`'s day, in UTC."""
    local = now.astimezone(ZoneInfo(tz))
    return datetime.combine(local.date(), dtime(0), ZoneInfo(tz)).astimezone(UTC)


def live_queues(routing: Any, now: datetime) -> dict[str, dict]:
    """Waiting callers and the longest wait per queue, from the routing engine's state (all nodes)."""
    out: dict[str, dict] = {}
    if routing is None:
        return out
    t = now.timestamp()
    for ns in routing.state.nodes.values():
        for q in ns.queues.values():
            joined = [ns.calls[lid].visits[-1].joined_at for lid in q.callers
                      if lid in ns.calls and ns.calls[lid].visits]
            row = out.setdefault(q.name, {"waiting": 0, "longest_wait_seconds": None})
            row["waiting"] += len(q.callers)
            if joined:
                row["longest_wait_seconds"] = max(row["longest_wait_seconds"] or 0, round(t - min(joined)))
    return out


def with_since(view: dict) -> dict:
    """A seat view with `since` parsed once (the board reads it on every push)."""
    since = view.get("since")
    return {**view, "since": datetime.fromisoformat(since)} if isinstance(since, str) else view


class BusQueueWaits:
    """Waiting callers per queue from bus events, for a web process that has no routing engine of its own
    (engine and web in separate processes, a Redis bus between them)."""

    def __init__(self) -> None:
        self.waiting: dict[str, dict[str, float]] = {}

    def apply(self, topic: str, p: dict) -> None:
        """call.queued / call.overflowed add a caller to a queue; connected, overflowed and ended remove it."""
        lid = p.get("linkedid")
        if not lid:
            return
        if topic in ("call.connected", "call.ended", "call.overflowed"):
            for callers in self.waiting.values():
                callers.pop(lid, None)
        queue = p.get("queue") if topic == "call.queued" else p.get("to_queue") if topic == "call.overflowed" else None
        if queue:
            at = p.get("at")
            self.waiting.setdefault(queue, {})[lid] = datetime.fromisoformat(at).timestamp() if at else 0.0

    def view(self, now: datetime) -> dict[str, dict]:
        """The same shape as live_queues()."""
        t = now.timestamp()
        return {q: {"waiting": len(c), "longest_wait_seconds": round(t - min(c.values())) if c else None}
                for q, c in self.waiting.items()}


class WallboardService:
    """Holds today's records and seat states, pushes a frame after events (coalesced), evaluates alarms."""

    def __init__(self, kernel: Any, *, params: MetricParams, thresholds: Thresholds,
                 clock: Callable[[], datetime] = utcnow, min_interval: float = 0.1, tick: float = 1.0) -> None:
        self.kernel, self.params, self.thresholds, self.clock = kernel, params, thresholds, clock
        self.min_interval, self.tick = min_interval, tick
        self.tz = kernel.directory.hours.timezone
        self.layout = Layout.of(kernel.directory)
        self._gauges_at = 0.0
        self.today = TodayStats(params)
        self.day = day_start(clock(), self.tz)
        self.seats: dict[str, dict] = {}
        self.bus_waits = BusQueueWaits()
        self._messages_of: dict | None = None
        self._messages: dict[frozenset[str] | None, str] = {}
        self.alarms: dict[tuple[str, str], dict] = {}
        self.frame: dict | None = None
        self.watchers: set[asyncio.Queue] = set()
        self._sub = None
        self._task: asyncio.Task | None = None
        self._ticker: asyncio.Task | None = None
        self._flush: asyncio.Handle | None = None
        self._last_flush = 0.0
        self._alarm_tasks: set[asyncio.Task] = set()
        self._alarm_lock = asyncio.Lock()  # a clear must be written after the raise it ends

    async def start(self) -> None:
        """Load today's records, seat states and open alarms, then follow the bus."""
        await self.reload()
        self._sub = self.kernel.bus.subscribe("*")
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._follow(), name="wallboard-follow")
        self._ticker = loop.create_task(self._tick(), name="wallboard-tick") if self.tick > 0 else None
        self.refresh()

    async def stop(self) -> None:
        if self._sub is not None:
            self.kernel.bus.unsubscribe(self._sub)
        for task in (self._task, self._ticker):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._flush is not None:
            self._flush.cancel()
        for t in list(self._alarm_tasks):
            with contextlib.suppress(Exception):
                await t

    async def reload(self) -> None:
        """Everything from the database: what a restart starts from."""
        from routing.models import CallRecord
        from seats.models import SeatSession
        from seats.service import view
        from supervisor.models import AlarmLog
        from supervisor.reports import record_dict

        self.day = day_start(self.clock(), self.tz)
        self.today = TodayStats(self.params)
        async with self.kernel.sessions() as session:
            for row in await session.scalars(select(CallRecord).where(CallRecord.offered_at >= self.day)):
                self.today.add(record_dict(row))
            for row in await session.scalars(select(SeatSession)):
                self.seats[row.extension] = with_since(view(row, self.kernel.directory.seat(row.extension)))
            for row in await session.scalars(select(AlarmLog).where(AlarmLog.cleared_at.is_(None))):
                self.alarms[(row.scope, row.metric)] = {"id": row.id, "scope": row.scope, "metric": row.metric,
                                                        "scope_name": self.scope_name(row.scope),
                                                        "level": row.level, "center_code": row.center_code,
                                                        "value": row.value, "raised_at": row.raised_at.isoformat()}

    def watch(self) -> asyncio.Queue:
        """A queue receiving every new frame (the latest one first)."""
        q: asyncio.Queue = asyncio.Queue(maxsize=2)
        self.watchers.add(q)
        if self.frame is not None:
            q.put_nowait(self.frame)
        return q

    def unwatch(self, q: asyncio.Queue) -> None:
        self.watchers.discard(q)

    async def _tick(self) -> None:
        """Push at least every `tick` seconds: waits and times in state grow without events."""
        while True:
            await asyncio.sleep(self.tick)
            self.refresh()

    async def _follow(self) -> None:
        async for msg in self._sub:
            try:
                self.on_event(msg.topic, msg.payload)
            except Exception:
                log.exception("wallboard: cannot apply %s", msg.topic)

    def on_event(self, topic: str, payload: dict) -> None:
        """Apply one bus event and schedule a push."""
        if topic == "call.record":
            if self._is_today(payload.get("offered_at")):
                self.today.add(payload)
        elif topic == "seat.status" and payload.get("extension"):
            self.seats[payload["extension"]] = with_since(payload)
        elif not topic.startswith(TOPICS):
            return
        elif topic.startswith("call."):
            self.bus_waits.apply(topic, payload)
        self.refresh()

    def _is_today(self, offered_at) -> bool:
        at = datetime.fromisoformat(offered_at) if isinstance(offered_at, str) else offered_at
        return at is not None and at >= self.day

    def refresh(self) -> None:
        """Push soon: at once when the last push is older than `min_interval`, else at that moment."""
        if self._flush is not None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._last_flush + self.min_interval - loop.time())
        self._flush = loop.call_later(delay, self.push)

    def push(self) -> dict:
        """Build the frame, evaluate alarms, hand the frame to every watcher."""
        self._flush = None
        loop = asyncio.get_running_loop()
        self._last_flush = loop.time()
        now = self.clock()
        if day_start(now, self.tz) != self.day:  # midnight: today's counts start again
            self.day, self.today = day_start(now, self.tz), TodayStats(self.params)
        routing = self.kernel.services.get("routing")
        live = live_queues(routing, now) if routing is not None else self.bus_waits.view(now)
        frame = build_frame(self.layout, live,
                            self.seats, self.today, now)
        changes = evaluate(alarm_values(frame), self.thresholds,
                           {k: a["level"] for k, a in self.alarms.items()})
        if changes:
            self._apply_alarms(changes, frame, now)
        self.frame = frame
        for q in list(self.watchers):
            if q.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    q.get_nowait()
            q.put_nowait(frame)
        if self._last_flush - self._gauges_at >= 1.0:  # a scrape every few seconds needs no more
            self._gauges_at = self._last_flush
            self.publish_gauges(frame)
        return frame

    def message(self, frame: dict, centers: frozenset[str] | None) -> str:
        """The WebSocket message for one set of centers, serialised once per frame however many watch it."""
        if self._messages_of is not frame:
            self._messages_of, self._messages = frame, {}
        text = self._messages.get(centers)
        if text is None:
            text = self._messages[centers] = json.dumps({"type": "frame", "frame": self.part(frame, centers)},
                                                        ensure_ascii=False, default=str)
        return text

    def part(self, frame: dict, centers: frozenset[str] | None) -> dict:
        """What one watcher may see of a frame, with the active alarms."""
        return visible_part(frame, centers, sorted(self.alarms.values(), key=lambda a: (a["scope"], a["metric"])))

    def _apply_alarms(self, changes: list[AlarmChange], frame: dict, now: datetime) -> None:
        centers = {row["queue"]: row["center_code"] for row in frame["queues"]}
        for ch in changes:
            key = (ch.scope, ch.metric)
            base = {"kind": f"queue.{ch.metric}", "scope": ch.scope, "scope_name": self.scope_name(ch.scope),
                    "metric": ch.metric,
                    "center_code": centers.get(ch.scope, ch.scope), "value": ch.value, "at": now.isoformat()}
            if ch.kind == "cleared":
                self.alarms.pop(key, None)
                self.kernel.bus.publish("alarm.cleared", {**base, "level": ch.level})
            else:
                self.alarms[key] = {**base, "level": ch.level, "threshold": ch.threshold, "raised_at": now.isoformat()}
                self.kernel.bus.publish("alarm.raised", {**base, "severity": ch.level, "level": ch.level,
                                                         "key": f"{ch.scope}:{ch.metric}", "threshold": ch.threshold,
                                                         "message": alarm_message(ch, base["center_code"])})
        task = asyncio.get_running_loop().create_task(self._log_alarms(changes, centers, now))
        self._alarm_tasks.add(task)
        task.add_done_callback(self._alarm_tasks.discard)

    async def _log_alarms(self, changes: list[AlarmChange], centers: dict[str, str], now: datetime) -> None:
        from supervisor.models import AlarmLog

        try:
            async with self._alarm_lock, self.kernel.sessions() as session:
                for ch in changes:
                    if ch.kind == "cleared":
                        rows = await session.scalars(select(AlarmLog).where(
                            AlarmLog.scope == ch.scope, AlarmLog.metric == ch.metric, AlarmLog.cleared_at.is_(None)))
                        for row in rows:
                            row.cleared_at = now
                    else:
                        session.add(AlarmLog(scope=ch.scope, center_code=centers.get(ch.scope, ch.scope)[:6],
                                             metric=ch.metric, level=ch.level, value=ch.value,
                                             threshold=ch.threshold, raised_at=now))
                    await session.flush()
                await session.commit()
        except Exception:
            log.exception("wallboard: cannot log alarms")

    def scope_name(self, scope: str) -> str:
        """郑州市12348热线中心 · 法律咨询 for a queue, the center's name for a center code."""
        d = self.kernel.directory
        parts = scope.split("-", 2)
        if len(parts) == 3:
            center, skill = d.center(parts[1]), d.skill(parts[2])
            return f"{getattr(center, 'name', parts[1])} · {getattr(skill, 'name', parts[2])}"
        return getattr(d.center(scope), "name", scope)

    def publish_gauges(self, frame: dict) -> None:
        from supervisor.prometheus import update

        update(frame)


def alarm_message(ch: AlarmChange, center_code: str) -> str:
    """A zh-CN line for the alarm list."""
    from supervisor.alarms import METRIC_LABELS

    level = "红色" if ch.level == "red" else "黄色"
    return f"{level}告警：{center_code} {ch.scope} {METRIC_LABELS.get(ch.metric, ch.metric)} = {ch.value} (阈值 {ch.threshold})"
