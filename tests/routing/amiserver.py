"""A small scripted AMI server for link tests: banner, Login, Ping, lists, and pushed events."""
from __future__ import annotations

import asyncio

from routing.parser import AmiFramer


def wire(msg: dict) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in msg.items()) + "\r\n").encode()


class ScriptedAmiServer:
    """Listens on 127.0.0.1:0; answers like Asterisk 22 for the actions the link uses."""

    def __init__(self, *, secret: str = "engine", queue_entries: list[dict] | None = None,
                 channels: list[dict] | None = None, chunk: int | None = None) -> None:
        self.secret = secret
        self._queue_entries = queue_entries or []
        self._channels = channels or []
        self.truth = Truth()  # what this "Asterisk" knows from the events it played
        self.chunk = chunk
        self.logins = 0
        self.received: list[dict] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.mute = False  # stop answering (a hung Asterisk)
        self.server: asyncio.base_events.Server | None = None
        self.port = 0

    async def start(self) -> "ScriptedAmiServer":
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.kill_all()
        self.server.close()
        await self.server.wait_closed()

    def kill_all(self) -> None:
        for w in self.writers:
            w.transport.abort()
        self.writers.clear()

    def play(self, event: dict) -> None:
        """Asterisk does something: update what it knows, tell every logged-in client."""
        self.truth.see(event)
        data = wire(event)
        for w in list(self.writers):
            if not w.is_closing():
                w.write(data)

    async def push(self, data: bytes) -> None:
        """Send raw bytes to every client, split into `chunk`-sized writes if set."""
        for w in list(self.writers):
            step = self.chunk or len(data)
            for i in range(0, len(data), step):
                w.write(data[i:i + step])
                await w.drain()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        framer = AmiFramer()
        framer.version = "client"
        try:
            while data := await reader.read(65536):
                for msg in framer.feed(data):
                    self.received.append(msg)
                    if not self.mute:
                        writer.write(self._answer(msg))
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if writer in self.writers:
                self.writers.remove(writer)
            writer.close()

    def _answer(self, msg: dict) -> bytes:
        aid = msg.get("ActionID", "")
        action = msg.get("Action", "").lower()
        ok = {"Response": "Success", "ActionID": aid}
        if action == "login":
            if msg.get("Secret") != self.secret:
                return wire({"Response": "Error", "ActionID": aid, "Message": "Authentication failed"})
            self.logins += 1
            return wire({**ok, "Message": "Authentication accepted"}) + wire(
                {"Event": "FullyBooted", "Privilege": "system,all", "Uptime": "1", "LastReload": "1",
                 "Status": "Fully Booted"})
        if action == "ping":
            return wire({**ok, "Ping": "Pong", "Timestamp": "1795901442.000000"})
        if action == "queuestatus":
            return self._list(aid, "Queue status will follow", self._queue_entries + self.truth.queue_status(),
                              "QueueStatusComplete")
        if action == "coreshowchannels":
            return self._list(aid, "Channels will follow", self._channels + self.truth.core_channels(),
                              "CoreShowChannelsComplete")
        if action == "queueadd":
            return wire({**ok, "Message": "Added interface to queue"})
        if action == "logoff":
            return wire({"Response": "Goodbye", "ActionID": aid, "Message": "Thanks for all the fish."})
        return wire({"Response": "Error", "ActionID": aid,
                     "Message": f"Invalid/unknown command: {msg.get('Action')}. Use Action: ListCommands to show available commands."})

    @staticmethod
    def _list(aid: str, message: str, items: list[dict], complete: str) -> bytes:
        out = wire({"Response": "Success", "ActionID": aid, "EventList": "start", "Message": message})
        for item in items:
            out += wire({**item, "ActionID": aid})
        out += wire({"Event": complete, "ActionID": aid, "EventList": "Complete", "ListItems": str(len(items))})
        return out


class Truth:
    """Live channels, bridges and queue entries as Asterisk would report them in a resync."""

    def __init__(self) -> None:
        self.channels: dict[str, dict] = {}
        self.entries: dict[str, dict[str, dict]] = {}
        self.bridge: dict[str, str] = {}

    def see(self, e: dict) -> None:
        uid, name = e.get("Uniqueid"), e.get("Event")
        if name == "Newchannel":
            self.channels[uid] = e
        elif name == "Hangup":
            self.channels.pop(uid, None)
            self.bridge.pop(uid, None)
            for q in self.entries.values():
                q.pop(uid, None)
        elif name == "QueueCallerJoin":
            self.entries.setdefault(e["Queue"], {})[uid] = e
        elif name == "QueueCallerLeave":
            self.entries.get(e["Queue"], {}).pop(uid, None)
        elif name == "BridgeEnter":
            self.bridge[uid] = e["BridgeUniqueid"]
        elif name == "BridgeLeave":
            self.bridge.pop(uid, None)

    def core_channels(self) -> list[dict]:
        keys = ("Channel", "Uniqueid", "Linkedid", "CallerIDNum", "CallerIDName", "Context", "Exten")
        return [{"Event": "CoreShowChannel", **{k: c.get(k, "") for k in keys}, "BridgeId": self.bridge.get(uid, "")}
                for uid, c in self.channels.items()]

    def queue_status(self) -> list[dict]:
        out = []
        for q, callers in self.entries.items():
            out.append({"Event": "QueueParams", "Queue": q, "Calls": str(len(callers))})
            for pos, (uid, e) in enumerate(callers.items(), 1):
                out.append({"Event": "QueueEntry", "Queue": q, "Position": str(pos), "Channel": e["Channel"],
                            "Uniqueid": uid, "CallerIDNum": e.get("CallerIDNum", ""),
                            "CallerIDName": e.get("CallerIDName", ""), "Wait": "1", "Priority": "0"})
        return out
