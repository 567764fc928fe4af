"""The seat console: the `/seat` page and its live WebSocket `/ws/seat` (state, screen pop, call events)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse

from hotline.auth import Principal, Role, require_page_roles, require_roles
from hotline.db import utcnow
from hotline.web import render
from seats.history import caller_tickets, previous_calls
from seats.screenpop import build_pop, for_role
from seats.service import SeatService

log = logging.getLogger(__name__)
router = APIRouter(tags=["seats"])
_TOPICS = frozenset({"seat.status", "seat.console", "call.ringing", "call.connected", "call.ended"})


@router.get("/seat", response_class=HTMLResponse, include_in_schema=False)
async def seat_page(request: Request, principal: Annotated[Principal, Depends(require_page_roles(Role.SEAT))]):
    """坐席工作台."""
    return render(request, "seats/seat.html", {"title": "坐席工作台"}, principal=principal)


async def screen_pop(svc: SeatService, call: dict[str, Any], role: Role) -> dict[str, Any]:
    """Screen pop with the caller's previous calls and tickets (looked up now, masked for `role`)."""
    number = call.get("caller_number")
    async with svc.kernel.sessions() as session:
        calls = await previous_calls(session, number, exclude_linkedid=call.get("linkedid"))
        tickets = await caller_tickets(session, number)
    return build_pop(call, calls, tickets, role, svc.directory, svc.clock(), ivr_notes(svc.directory))


def ivr_notes(directory) -> dict[str, str]:
    """Node id → note of the IVR flow in use (names the IVR path in the pop); empty if it cannot load."""
    global _NOTES
    if _NOTES is None:
        try:
            from ivr.flow import default_flow_path, load_flow

            flow = load_flow(default_flow_path(), directory)
            _NOTES = {nid: node.note for nid, node in flow.nodes.items() if getattr(node, "note", "")}
        except Exception:  # the IVR package's flow is optional for the console: fall back to node ids
            log.warning("IVR flow notes unavailable; the screen pop shows node ids", exc_info=True)
            _NOTES = {}
    return _NOTES


_NOTES: dict[str, str] | None = None


def _for_me(topic: str, payload: dict[str, Any], ext: str, my_linkedid: str | None) -> bool:
    if topic in ("seat.status", "seat.console"):
        return payload.get("extension") == ext
    return payload.get("seat_extension") == ext or (my_linkedid is not None and payload.get("linkedid") == my_linkedid)


@router.websocket("/ws/seat")
async def seat_socket(ws: WebSocket, principal: Annotated[Principal, Depends(require_roles(Role.SEAT))]) -> None:
    """Live feed for one seat: `state`, `pop` (screen pop), `call` (connected/ended), `console` (taken over)."""
    svc: SeatService | None = ws.app.state.kernel.services.get("seats")
    if not principal.seat_extension or svc is None:
        await ws.close(code=4403)
        return
    await ws.accept()
    ext = principal.seat_extension
    bus = svc.kernel.bus
    # one subscription, so messages reach the browser in the order they were published
    sub = bus.subscribe("*", maxsize=5000)
    reader = asyncio.create_task(_drain(ws))
    try:
        state = await svc.snapshot(ext)
        await ws.send_json({"type": "state", "seat": for_role(state, principal.role)})
        if state.get("call") and state["status"] in ("ringing", "on_call", "wrap_up"):  # a reload mid-call
            await ws.send_json({"type": "pop", "pop": await screen_pop(svc, state["call"], principal.role)})
        my_linkedid = state.get("linkedid")
        while not reader.done():
            getter = asyncio.create_task(sub.queue.get())
            done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            msg = getter.result()
            if msg.topic not in _TOPICS or not _for_me(msg.topic, msg.payload, ext, my_linkedid):
                continue
            my_linkedid = await _send(ws, svc, principal, msg.topic, msg.payload, my_linkedid)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        reader.cancel()
        bus.unsubscribe(sub)
        with contextlib.suppress(Exception):
            await ws.close()


async def _send(ws: WebSocket, svc: SeatService, principal: Principal, topic: str, payload: dict[str, Any],
                my_linkedid: str | None) -> str | None:
    if topic == "seat.status":
        await ws.send_json({"type": "state", "seat": for_role(payload, principal.role)})
        return payload.get("linkedid") or my_linkedid
    if topic == "seat.console":
        await ws.send_json({"type": "console", **payload})
        return my_linkedid
    if topic == "call.ringing":
        await ws.send_json({"type": "pop", "pop": await screen_pop(svc, payload, principal.role)})
        return payload.get("linkedid")
    kind = topic.split(".", 1)[1]
    await ws.send_json({"type": "call", "event": kind, "linkedid": payload.get("linkedid"),
                        "outcome": payload.get("outcome"), "at": payload.get("at") or utcnow().isoformat()})
    return my_linkedid


async def _drain(ws: WebSocket) -> None:
    """Read (and ignore) what the browser sends; returns when it disconnects."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await ws.receive_text()
