"""Demo operators: free seats are signed in and ready; people's seats and logins are never touched."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from hotline.login import login
from hotline.models import User
from seats.demo import demo_ticket_fields, demo_username, seats_to_staff, staff_seats, write_ticket
from seats.status import Ready
from tests.seats.test_service import CID


def test_only_seats_nobody_holds_are_staffed():
    status = {"1001": "available", "1002": "offline", "1003": "paused"}
    assert seats_to_staff(["1001", "1002", "1003", "1004"], status) == ["1002", "1004"]


async def test_every_free_seat_is_signed_in_ready_and_a_persons_seat_is_left_alone(seat_app, ami, users, kernel):
    _, comp = seat_app
    await comp.service.login("1001", users["li"], CID)
    await comp.service.command("1001", Ready(), console_id=CID)
    ami.sent.clear()
    staffed = await staff_seats(kernel, comp.service)
    every = [s.extension for s in kernel.directory.seats]
    assert staffed == [e for e in every if e != "1001"]
    views = {v["extension"]: v for v in await comp.service.all_seats()}
    assert {views[e]["status"] for e in every} == {"available"}
    assert views["1001"]["username"] == "li" and views["1002"]["username"] == demo_username("1002")
    added = {(a["Queue"], a["Interface"]) for a in ami.sent if a["Action"] == "QueueAdd"}
    assert ("q-410000-complaint", "PJSIP/seat1005") in added
    assert not [a for a in ami.sent if a.get("Interface") == "PJSIP/seat1001"]
    assert await staff_seats(kernel, comp.service) == []  # a restart finds them signed in


async def test_demo_accounts_are_inactive_and_no_password_opens_them(seat_app, users, kernel):
    _, comp = seat_app
    await staff_seats(kernel, comp.service)
    async with kernel.sessions() as s:
        demo = (await s.scalars(select(User).where(User.username.like("demo%")))).all()
        assert len(demo) == len(kernel.directory.seats) and not any(u.active for u in demo)
        for password in ("", "!", "demo"):
            outcome = await login(s, kernel.settings, username="demo1002", password=password, address="127.0.0.1",
                                  now=datetime.now(timezone.utc))
            assert outcome.user is None


def _record(ext, **kw):
    return {"linkedid": "1795910088.7", "outcome": "answered", "seat_extension": ext, "caller_number": "13800138000",
            "caller_name": "张伟", "skill": "consult", "category": "consult.labor", "prefecture_code": "410100",
            "green": False, "ivr_path": ["greeting", "main_menu"], **kw}


def test_demo_ticket_follows_the_calls_category_else_its_skills_and_only_for_answered_calls(directory):
    assert demo_ticket_fields(_record("1002"), directory)["category_id"] == "consult.labor"
    fields = demo_ticket_fields(_record("1002", category=None, skill="aid"), directory)
    assert fields["category_id"] == "aid.application" and fields["summary"].startswith("法律援助申请：")
    assert demo_ticket_fields(_record("1002", outcome="abandoned", seat_extension=None), directory) is None
    assert demo_ticket_fields(_record("1002", category=None), directory)["category_id"] == "consult.other"
    assert fields["ivr_path"] == "greeting-main_menu" and fields["linkedid"] == "1795910088.7"


async def test_a_demo_operator_writes_the_ticket_of_its_call_and_a_persons_seat_is_left_to_the_person(
        seat_app, users, kernel):
    from integrations.models import Ticket

    _, comp = seat_app
    await comp.service.login("1001", users["li"], CID)
    await staff_seats(kernel, comp.service)
    ticket = await write_ticket(kernel, _record("1002"))
    assert ticket is not None and ticket.linkedid == "1795910088.7" and ticket.owner_username == "demo1002"
    assert await write_ticket(kernel, _record("1001", linkedid="1795910099.9")) is None
    async with kernel.sessions() as s:
        assert [t.linkedid for t in await s.scalars(select(Ticket))] == ["1795910088.7"]
