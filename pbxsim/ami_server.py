"""AMI TCP server: banner, login (plain/MD5), privileges, event delivery, filters, slow clients.

Behaviour follows main/manager.c: `Asterisk Call Manager/11.0.0` banner, failed login answered
after a 1 s delay then the connection closed, `Permission denied` for actions outside the
user's write classes, per-session event queue (a client that cannot keep up is disconnected
rather than slowing the PBX down, like manager.c's write timeout), eventfilter semantics.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import socket
from dataclasses import dataclass, field

from .core import Simulator
from .events import EVENT_CLASS
from .wire import Headers, encode, get, parse_action

log = logging.getLogger(__name__)

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
MAX_BLOCK = 64 * 1024  # manager.c refuses a request longer than its buffer
ALL_CLASSES = {"system", "call", "log", "verbose", "command", "agent", "user", "config", "dtmf", "reporting",
               "cdr", "dialplan", "originate", "agi", "cc", "aoc", "test", "security", "message"}


@dataclass
class AmiUser:
    """A manager.conf user."""

    username: str
    secret: str
    read: set[str] = field(default_factory=lambda: {"all"})
    write: set[str] = field(default_factory=lambda: {"all"})

    def reads(self, cls: str) -> bool:
        """Whether this user receives events of class `cls`."""
        return "all" in self.read or cls in self.read


def classes(text: str) -> set[str]:
    """`system,call,agent` → a set ('all' expands)."""
    out = {c.strip().lower() for c in text.split(",") if c.strip()}
    return out


class AmiSession:
    """One manager connection."""

    def __init__(self, server: "AmiServer", reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.server, self.reader, self.writer = server, reader, writer
        self.user: AmiUser | None = None
        self.events_on = True
        self.event_mask: set[str] | None = None
        self.challenge: str | None = None
        self.filters: list[tuple[bool, re.Pattern]] = []
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=server.max_queue)
        self.closed = False
        self.dropped = False

    # -- delivery ---------------------------------------------------------------------
    def send(self, headers: Headers) -> None:
        """Queue a response or list item for this client."""
        self._put(encode(headers))

    def offer_event(self, headers: Headers, raw: bytes | None = None) -> None:
        """Deliver an event if logged in, events on, class readable and filters pass."""
        if self.user is None or not self.events_on or self.closed:
            return
        cls = EVENT_CLASS.get(headers[0][1], "call")
        if not self.user.reads(cls) or (self.event_mask is not None and cls not in self.event_mask):
            return
        data = raw if raw is not None else encode(headers)
        if self.filters and not self._passes(data.decode("utf-8")):
            return
        self._put(data)

    def _passes(self, text: str) -> bool:
        """manager.c match_filter: includes must match (if any), excludes must not."""
        includes = [rx for neg, rx in self.filters if not neg]
        excludes = [rx for neg, rx in self.filters if neg]
        if includes and not any(rx.search(text) for rx in includes):
            return False
        return not any(rx.search(text) for rx in excludes)

    def _put(self, data: bytes) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait(data)
        except asyncio.QueueFull:
            # a client that cannot keep up is cut off (manager.c: write timeout → session ends)
            log.warning("AMI client %s too slow (%d messages queued): disconnecting", self.peer, self.queue.qsize())
            self.dropped = True
            self.close()

    @property
    def peer(self) -> str:
        """Remote address for logs."""
        info = self.writer.get_extra_info("peername")
        return f"{info[0]}:{info[1]}" if info else "?"

    def close(self) -> None:
        """End the session after what is already queued (or at once when dropped)."""
        if self.closed:
            return
        self.closed = True
        if self.dropped:
            self.writer.transport.abort()
        else:
            self.queue.put_nowait(None) if not self.queue.full() else self.writer.transport.abort()

    async def writer_loop(self) -> None:
        """Write queued messages in order; a client that stops reading is cut off."""
        self.writer.transport.set_write_buffer_limits(high=self.server.max_buffer)
        try:
            while True:
                batch = [await self.queue.get()]
                while not self.queue.empty() and batch[-1] is not None:
                    batch.append(self.queue.get_nowait())
                end = batch[-1] is None
                self.writer.write(b"".join(d for d in batch if d is not None))
                await asyncio.wait_for(self.writer.drain(), timeout=self.server.write_timeout)
                if end:
                    break
        except asyncio.TimeoutError:
            self.dropped = True
            log.warning("AMI client %s did not read for %.1f s: disconnecting", self.peer, self.server.write_timeout)
        except (ConnectionError, OSError):
            self.dropped = not self.closed  # a reset we did not ask for
        finally:
            self.closed = True
            if self.dropped:
                self.writer.transport.abort()  # never wait for a client that stopped reading
            else:
                self.writer.close()

    # -- reading ----------------------------------------------------------------------
    async def reader_loop(self) -> None:
        """Read action blocks and dispatch them."""
        from .ami_actions import dispatch

        buf = b""
        while not self.closed:
            chunk = await self.reader.read(65536)
            if not chunk:
                break
            buf += chunk
            while not self.closed:
                idx = _block_end(buf)
                if idx is None:
                    if len(buf) > MAX_BLOCK:
                        self.send([("Response", "Error"), ("Message", "Request too long")])
                        buf = b""
                    break
                block, buf = buf[:idx[0]], buf[idx[1]:]
                if not block.strip():
                    continue
                await dispatch(self, parse_action(block))
                await self._room_for_replies()

    async def _room_for_replies(self) -> None:
        """Pipelined actions wait for the writer instead of overflowing the client's own queue."""
        while not self.closed and self.queue.qsize() > self.server.max_queue // 2:
            await asyncio.sleep(0.001)


def _block_end(buf: bytes) -> tuple[int, int] | None:
    """Position of the blank line ending one message (CRLF CRLF, tolerant of bare LF)."""
    a = buf.find(b"\r\n\r\n")
    b = buf.find(b"\n\n")
    cands = [(a, a + 4)] if a >= 0 else []
    if b >= 0:
        cands.append((b, b + 2))
    return min(cands) if cands else None


class AmiServer:
    """The listening socket and every session on it."""

    def __init__(self, sim: Simulator, users: list[AmiUser], max_queue: int = 20000,
                 max_buffer: int = 4 * 1024 * 1024, write_timeout: float = 5.0, auth_delay: float = 1.0,
                 sndbuf: int | None = None) -> None:
        self.sim = sim
        self.users = {u.username: u for u in users}
        self.sessions: set[AmiSession] = set()
        self._handlers: set[asyncio.Task] = set()
        self.max_queue, self.max_buffer, self.write_timeout, self.auth_delay = max_queue, max_buffer, write_timeout, auth_delay
        self.sndbuf = sndbuf  # kernel send buffer per client: bounds what a stalled client can hold
        self._server: asyncio.base_events.Server | None = None
        from .ami_actions import new_challenge

        self.new_challenge = new_challenge  # replaceable so a recorded MD5 login can be replayed
        sim.listeners.append(self._on_event)

    def _on_event(self, headers: Headers) -> None:
        raw = None
        for s in list(self.sessions):
            if raw is None:
                raw = encode(headers)
            s.offer_event(headers, raw)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen; returns the bound port."""
        self._server = await asyncio.start_server(self._client, host, port)
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close every session and the listener."""
        for s in list(self.sessions):
            s.close()
            s.writer.transport.abort()
        if self._server is not None:
            self._server.close()
        if self._handlers:
            await asyncio.wait(list(self._handlers), timeout=2)
        if self._on_event in self.sim.listeners:
            self.sim.listeners.remove(self._on_event)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if self.sndbuf and sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.sndbuf)
        session = AmiSession(self, reader, writer)
        self.sessions.add(session)
        me = asyncio.current_task()
        if me is not None:
            self._handlers.add(me)
        writer.write(BANNER)
        wtask = asyncio.create_task(session.writer_loop())
        try:
            await session.reader_loop()
        except (ConnectionError, OSError):
            pass
        except Exception:  # one broken session must never stop the PBX
            log.exception("AMI session %s failed", session.peer)
        finally:
            self.sessions.discard(session)
            session.close()
            try:
                await asyncio.wait_for(wtask, timeout=2)
            except (asyncio.TimeoutError, asyncio.CancelledError, Exception):
                wtask.cancel()
            self._handlers.discard(me)

    def check_login(self, session: AmiSession, headers: Headers) -> AmiUser | None:
        """manager.c authenticate(): plain secret or MD5 of challenge+secret."""
        user = self.users.get(get(headers, "Username"))
        if user is None:
            return None
        if get(headers, "AuthType").lower() == "md5":
            if not session.challenge:
                return None
            expected = hashlib.md5((session.challenge + user.secret).encode()).hexdigest()
            return user if get(headers, "Key").lower() == expected else None
        return user if get(headers, "Secret") == user.secret else None
