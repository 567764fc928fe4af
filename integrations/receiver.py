"""Reference 12348-platform (and 12345) receiver: a small FastAPI app that records what it gets.

It verifies signatures, de-duplicates by idempotency key, applies changes of one ticket only in
order (``prev_seq`` must be the last seq it applied), and can be told to fail (error rate), time
out (apply, then never answer in time), slow down (latency) or go away (outage) through
``POST /_control``. Tests, chaos runs and the demo use it; ``hotline12348 integrations receiver``
runs it standalone.
"""
from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field, ValidationError

from integrations.schemas import TicketExchange
from integrations.signing import SignatureError, verify

PATHS = {"platform": "/tickets/events", "gov12345": "/12345/tickets/events"}


class Faults(BaseModel):
    """How badly the receiver behaves (POST /_control)."""

    error_rate: float = Field(0.0, ge=0, le=1, description="Share of requests answered 503 before applying")
    timeout_rate: float = Field(0.0, ge=0, le=1, description="Share of requests applied, then left hanging")
    hang_seconds: float = Field(30.0, ge=0, le=600, description="How long a timed-out request hangs")
    latency: float = Field(0.0, ge=0, le=60, description="Seconds added before every request")
    outage: bool = Field(False, description="Answer 503 to everything but /_control and /_received")


@dataclass
class ReceiverState:
    """Everything the receiver saw; survives a restart of the HTTP server in tests."""

    secrets: dict[str, dict[str, str]]
    tolerance: float = 300.0
    faults: Faults = field(default_factory=Faults)
    rng: random.Random = field(default_factory=lambda: random.Random(12348))
    records: dict[str, dict] = field(default_factory=dict)
    applied: dict[str, list[int]] = field(default_factory=dict)
    duplicates: int = 0
    out_of_order: int = 0
    invalid: int = 0
    rejected_signatures: int = 0
    requests: int = 0
    injected_errors: int = 0
    injected_timeouts: int = 0

    def summary(self) -> dict:
        """Counts and, per ticket, the seqs applied in arrival order."""
        gaps = {k: v for k, v in self.applied.items() if any(b <= a for a, b in zip(v, v[1:]))}
        return {"count": len(self.records), "duplicates": self.duplicates, "out_of_order": self.out_of_order,
                "invalid": self.invalid, "rejected_signatures": self.rejected_signatures,
                "requests": self.requests, "injected_errors": self.injected_errors,
                "injected_timeouts": self.injected_timeouts, "order_violations": len(gaps),
                "tickets": self.applied}

    def apply(self, destination: str, item: dict) -> dict:
        """Apply one batch item; its result status: accepted, duplicate, out_of_order or invalid."""
        key = str(item.get("idempotency_key", ""))
        if key in self.records:
            self.duplicates += 1
            return {"idempotency_key": key, "status": "duplicate"}
        try:
            doc = TicketExchange.model_validate(item.get("document"))
            seq, prev = int(item["seq"]), item.get("prev_seq")
            if not key or doc.seq != seq:
                raise ValueError("idempotency_key missing or seq differs from the document")
        except (ValidationError, ValueError, KeyError, TypeError) as exc:
            self.invalid += 1
            return {"idempotency_key": key, "status": "invalid", "error": str(exc)[:500]}
        ticket = f"{destination}:{doc.number}"
        last = self.applied.get(ticket, [None])[-1]
        if prev != last:
            self.out_of_order += 1
            return {"idempotency_key": key, "status": "out_of_order", "expected_prev_seq": last}
        self.records[key] = {"destination": destination, "number": doc.number, "seq": seq,
                             "status": doc.status, "at": time.time()}
        self.applied.setdefault(ticket, []).append(seq)
        return {"idempotency_key": key, "status": "accepted"}


async def handle_events(state: ReceiverState, request: Request, destination: str) -> dict:
    """One batch: faults first, then signature, then each item in order."""
    state.requests += 1
    faults = state.faults
    if faults.outage:
        raise HTTPException(503, "platform outage (simulated)")
    if faults.latency:
        await asyncio.sleep(faults.latency)
    body = await request.body()
    try:
        verify(request.headers, body, state.secrets[destination], time.time(), state.tolerance)
    except SignatureError as exc:
        state.rejected_signatures += 1
        raise HTTPException(401, f"{exc.reason}: {exc}") from None
    roll = state.rng.random()
    if roll < faults.error_rate:
        state.injected_errors += 1
        raise HTTPException(503, "temporary failure (simulated)")
    try:
        items = json.loads(body)["events"]
    except (ValueError, KeyError, TypeError):
        items = None
    if not isinstance(items, list):
        raise HTTPException(400, "body must be {\"events\": [...]}")
    results = [state.apply(destination, it if isinstance(it, dict) else {}) for it in items]
    if roll < faults.error_rate + faults.timeout_rate:
        state.injected_timeouts += 1
        try:
            await asyncio.sleep(faults.hang_seconds)
        except asyncio.CancelledError:  # the server is going away mid-hang: that is the point
            return {"results": []}
    return {"results": results}


def create_receiver(state: ReceiverState) -> FastAPI:
    """The receiver app over `state` (secrets: destination → {key id: secret})."""
    app = FastAPI(title="12348 platform reference receiver")
    app.state.receiver = state

    @app.post(PATHS["platform"])
    async def platform_events(request: Request) -> dict:
        """Ticket changes for the 12348 platform."""
        return await handle_events(state, request, "platform")

    @app.post(PATHS["gov12345"])
    async def gov12345_events(request: Request) -> dict:
        """Ticket changes for 12345."""
        return await handle_events(state, request, "gov12345")

    @app.post("/_control")
    async def control(faults: Faults) -> dict:
        """Set error rate, timeouts, latency and outage."""
        state.faults = faults
        return faults.model_dump()

    @app.get("/_received")
    async def received() -> dict:
        """What was received (de-duplicated) and how it went."""
        return state.summary()

    return app


def default_state(settings) -> ReceiverState:
    """Receiver state using the secrets of `settings` (what the dispatcher signs with)."""
    key_id = settings.platform_key_id
    return ReceiverState(
        secrets={"platform": {key_id: settings.platform_secret.get_secret_value()},
                 "gov12345": {key_id: settings.gov12345_secret.get_secret_value()}},
        tolerance=settings.webhook_tolerance_seconds,
    )


class ReceiverServer:
    """The receiver served by uvicorn on 127.0.0.1 (port 0 = ephemeral); stop/start keep the port."""

    def __init__(self, state: ReceiverState, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state, self.host, self.port = state, host, port
        self._server = None
        self._task: asyncio.Task | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> "ReceiverServer":
        """Bind (the same port again after a stop) and serve."""
        import socket

        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(create_receiver(self.state), log_config=None, log_level="warning",
                                timeout_graceful_shutdown=0.2, lifespan="off")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="platform-receiver")
        while not self._server.started:
            if self._task.done():
                await self._task  # raises the start-up error, if any
                raise RuntimeError(f"receiver did not start on {self.url}")
            await asyncio.sleep(0.01)
        return self

    async def stop(self) -> None:
        """Go away: close the listening socket and every open connection."""
        if self._server is None:
            return
        self._server.should_exit = True
        self._server.force_exit = True
        await self._task
        self._server = self._task = None

    async def __aenter__(self) -> "ReceiverServer":
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()
