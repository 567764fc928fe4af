"""Demo operators: with pbxsim demo traffic, every free directory seat is signed in and made ready.

Without them the demo's queues have no members and no call is ever answered. After each answered call
the demo operator writes the call's 工单, so tickets, the outbox and the reference platform see traffic. Each demo operator is an
inactive account `demo<ext>` (nobody can log in with it); a person who signs a seat in from the console
takes it over with 接管 as from any other operator, and seats held by people are never touched.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import select

from hotline.audit import audit
from hotline.auth import Principal, Role
from hotline.models import User
from seats.models import SeatSession
from seats.service import SeatError
from seats.status import Ready, Status

log = logging.getLogger(__name__)
CONSOLE = "demo-operators"


def demo_username(extension: str) -> str:
    """The demo operator account of a seat."""
    return f"demo{extension}"


def seats_to_staff(extensions: list[str], status: dict[str, str]) -> list[str]:
    """Seats the demo signs in: those nobody holds (no session row, or offline)."""
    return [ext for ext in extensions if status.get(ext, Status.OFFLINE.value) == Status.OFFLINE.value]


NO_PASSWORD = "!"  # not an Argon2 hash: verify_password() is False for every password (as in /etc/shadow)


async def demo_operators(session, seats: list) -> dict[str, User]:
    """The seats' demo accounts (extension → user), the missing ones created inactive without a password."""
    names = {demo_username(seat.extension): seat for seat in seats}
    found = {u.username: u for u in await session.scalars(select(User).where(User.username.in_(names)))}
    for name, seat in names.items():
        if name in found:
            continue
        user = User(username=name, display_name=f"演示坐席{seat.extension}", role=Role.SEAT.value,
                    center_code=seat.center, seat_extension=seat.extension, active=False, password_hash=NO_PASSWORD)
        session.add(user)
        await session.flush()
        audit(session, actor="demo-operators", action="user.create", target_type="user", target_id=user.id,
              detail={"username": name, "seat_extension": seat.extension, "active": False})
        found[name] = user
    await session.commit()
    return {seat.extension: found[name] for name, seat in names.items()}


async def staff_seats(kernel: Any, service: Any) -> list[str]:
    """Sign every free seat in as its demo operator and make it ready; returns the extensions staffed."""
    async with kernel.sessions() as session:
        rows = (await session.scalars(select(SeatSession))).all()
        todo = seats_to_staff([s.extension for s in kernel.directory.seats], {r.extension: r.status for r in rows})
        users = await demo_operators(session, [kernel.directory.seat(ext) for ext in todo])
    staffed = []
    for ext in todo:
        try:
            await service.login(ext, users[ext], CONSOLE)
            await service.command(ext, Ready(), console_id=CONSOLE)
            staffed.append(ext)
        except SeatError as exc:  # a person signed in meanwhile: theirs
            log.info("demo operator for seat %s stands aside: %s", ext, exc)
    return staffed


def demo_ticket_fields(record: dict, directory) -> dict | None:
    """What a demo operator writes after an answered call (the call's category, else its skill's), or None."""
    if record.get("outcome") != "answered" or not record.get("seat_extension"):
        return None
    category = directory.category(record.get("category") or "")
    if category is None:
        skill = next((k for k in directory.skills if k.id == record.get("skill")), None)
        if skill is None or not skill.categories:
            return None
        # no category chosen in the IVR (e.g. the after-hours duty route): 其他 when the skill has it
        category = next((c for c in skill.categories if c.id.endswith(".other")), skill.categories[0])
    path = record.get("ivr_path") or []
    return {"category_id": category.id, "summary": f"{category.name}：来电咨询，已电话解答（演示）",
            "caller_number": record.get("caller_number") or "", "caller_name": record.get("caller_name") or "",
            "linkedid": record.get("linkedid"), "prefecture_code": record.get("prefecture_code"),
            "green": bool(record.get("green")), "ivr_path": "-".join(map(str, path))[:64]}


async def write_ticket(kernel: Any, record: dict) -> Any:
    """The demo operator of the call's seat writes its 工单 (seats held by people write their own)."""
    from integrations.schemas import TicketCreate
    from integrations.tickets import TicketContext, create_ticket

    fields = demo_ticket_fields(record, kernel.directory)
    if fields is None:
        return None
    ext = record["seat_extension"]
    async with kernel.sessions() as session:
        row = await session.get(SeatSession, ext)
        if row is None or row.username != demo_username(ext):
            return None
        seat = kernel.directory.seat(ext)
        principal = Principal(username=row.username, role=Role.SEAT, center_code=seat.center, seat_extension=ext,
                              user_id=row.user_id)
        ticket = await create_ticket(session, TicketCreate(**fields), principal, TicketContext.from_kernel(kernel))
        await session.commit()
        return ticket


class DemoOperatorsComponent:
    """Role pbxsim with demo traffic: staff the seats once the AMI link is up."""

    name = "demo-operators"

    def __init__(self) -> None:
        self.task: asyncio.Task | None = None
        self.tickets: asyncio.Task | None = None
        self.staffed: list[str] | None = None
        self.problem: str | None = None

    def routers(self) -> list:
        """No routes."""
        return []

    async def start(self, kernel: Any, roles: set[str]) -> None:
        """Staff the seats in the background (the link may take a moment to log in)."""
        s = kernel.settings
        if "pbxsim" not in roles or not s.demo_traffic or "seats" not in kernel.services:
            return
        self.task = asyncio.create_task(self._run(kernel), name="demo-operators")
        self.tickets = asyncio.create_task(self._write_tickets(kernel), name="demo-operators-tickets")

    async def _write_tickets(self, kernel: Any) -> None:
        sub = kernel.bus.subscribe("call.record")
        try:
            async for msg in sub:
                try:
                    await write_ticket(kernel, msg.payload)
                except Exception:  # noqa: BLE001 - one bad record must not stop the demo
                    log.exception("demo operator could not write the ticket of %s", msg.payload.get("linkedid"))
        finally:
            kernel.bus.unsubscribe(sub)

    async def _run(self, kernel: Any) -> None:
        ami = kernel.services.get("ami")
        try:
            if hasattr(ami, "wait_ready"):
                await ami.wait_ready(timeout=60)
            self.staffed = await staff_seats(kernel, kernel.services["seats"])
            log.warning("演示坐席 (demo operators): %d seats signed in and ready (%s); take one over from /seat",
                        len(self.staffed), ", ".join(self.staffed) or "-")
        except Exception as exc:  # noqa: BLE001 - the demo runs on without them; readiness says why
            self.problem = f"{exc.__class__.__name__}: {exc}"
            log.exception("demo operators could not staff the seats")

    async def stop(self) -> None:
        """Stop staffing (seats stay signed in: their state is in the database)."""
        for task in (self.task, self.tickets):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self.task = self.tickets = None

    async def ready(self) -> str:
        """ok unless staffing failed."""
        return f"degraded: 演示坐席未签入 (demo operators failed): {self.problem}" if self.problem else "ok"


component = DemoOperatorsComponent()
