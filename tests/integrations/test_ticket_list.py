"""GET /api/tickets: pages (default and maximum size, keyset cursor, stable order), filters, RBAC, and a
constant number of SQL statements per request whatever the number of tickets."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import event, select

from hotline.app import create_app
from hotline.auth import issue_token
from hotline.models import User
from integrations.component import IntegrationsComponent
from integrations.models import Ticket
from integrations.ticket_list import DEFAULT_PAGE, MAX_PAGE
from integrations.tickets import ticket_dict
from routing.testing import FakeAmi

PEOPLE = {"seat1001": ("seat", "410100", "1001"), "seat1002": ("seat", "410100", "1002"),
          "sup410100": ("supervisor", "410100", None), "sup410300": ("supervisor", "410300", None),
          "admin": ("admin", None, None)}
T0 = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)


@pytest_asyncio.fixture
async def api(kernel):
    """callers["seat1001"] etc.: httpx clients against the app with the integrations component."""
    async with kernel.sessions() as s:
        for name, (role, center, ext) in PEOPLE.items():
            s.add(User(username=name, password_hash="x", role=role, center_code=center, seat_extension=ext))
        await s.commit()
        users = {u.username: u for u in (await s.scalars(select(User))).all()}
    kernel.services["ami"] = FakeAmi()
    app = create_app(kernel=kernel, components=[IntegrationsComponent()])
    secret = kernel.settings.secret_key.get_secret_value()
    async with app.router.lifespan_context(app):
        clients = {name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t",
                                           headers={"Authorization": "Bearer " + issue_token(u, secret, 60)})
                   for name, u in users.items()}
        yield clients
        for c in clients.values():
            await c.aclose()


async def add_tickets(kernel, n: int, **values) -> list[int]:
    """`n` tickets written straight to the table (the list reads nothing else); their ids, oldest first."""
    base = {"category_id": "consult.labor", "skill": "consult", "center_code": "410100", "summary": "欠薪咨询",
            "detail": "详细情况" * 50, "reply": "", "status": "accepted", "owner_username": "seat1001",
            "owner_seat": "1001", "created_at": T0, "updated_at": T0, "due_at": T0 + timedelta(days=30)}
    async with kernel.sessions() as s:
        rows = [Ticket(**(base | values)) for _ in range(n)]
        s.add_all(rows)
        await s.flush()
        for t in rows:
            t.number = f"GD20261124{t.id:06d}"
        await s.commit()
        return [t.id for t in rows]


async def walk(client: httpx.AsyncClient, url: str) -> tuple[list[dict], list[int]]:
    """Follow the `Link: rel="next"` of every page; all items and each page's length."""
    items, sizes = [], []
    while url:
        r = await client.get(url)
        assert r.status_code == 200, r.text
        page = r.json()
        items += page
        sizes.append(len(page))
        link = r.headers.get("link")
        assert (link is None) == (r.headers.get("x-next-before-id") is None)
        if link:
            assert link.endswith('>; rel="next"') and f"before_id={page[-1]['id']}" in link
            assert r.headers["x-next-before-id"] == str(page[-1]["id"])
            url = link[1:link.index(">")]
        else:
            url = None
    return items, sizes


async def test_a_page_has_the_default_size_newest_first_and_points_to_the_next(api, kernel):
    ids = await add_tickets(kernel, DEFAULT_PAGE + 7)
    r = await api["admin"].get("/api/tickets")
    assert r.status_code == 200
    page = r.json()
    assert [t["id"] for t in page] == sorted(ids, reverse=True)[:DEFAULT_PAGE]
    assert r.headers["x-next-before-id"] == str(page[-1]["id"])
    rest = await api["admin"].get(f"/api/tickets?before_id={page[-1]['id']}")
    assert [t["id"] for t in rest.json()] == sorted(ids, reverse=True)[DEFAULT_PAGE:]
    assert "x-next-before-id" not in rest.headers and "link" not in rest.headers


async def test_the_page_size_is_capped_and_bad_paging_gets_the_validation_shape(api, kernel):
    ids = await add_tickets(kernel, MAX_PAGE + 1)
    r = await api["admin"].get(f"/api/tickets?limit={MAX_PAGE}")
    assert len(r.json()) == MAX_PAGE and r.headers["x-next-before-id"] == str(sorted(ids)[1])
    for query in (f"limit={MAX_PAGE + 1}", "limit=0", "before_id=0", "before_id=x"):
        r = await api["admin"].get(f"/api/tickets?{query}")
        assert r.status_code == 422, query
        detail = r.json()["detail"]
        assert isinstance(detail, list) and detail[0]["loc"][0] == "query", r.text


async def test_walking_the_pages_gives_every_ticket_once_even_while_new_ones_arrive(api, kernel):
    ids = await add_tickets(kernel, 23)
    r = await api["admin"].get("/api/tickets?limit=10")
    first = r.json()
    newer = await add_tickets(kernel, 5)  # arrive on top while the list is read: no page shifts
    rest, sizes = await walk(api["admin"], r.headers["link"][1:r.headers["link"].index(">")])
    seen = [t["id"] for t in first + rest]
    assert seen == sorted(ids, reverse=True) and sizes == [10, 3]
    assert not set(newer) & set(seen)
    everything, sizes = await walk(api["admin"], "/api/tickets?limit=7")
    assert [t["id"] for t in everything] == sorted(ids + newer, reverse=True) and sizes == [7, 7, 7, 7]


async def test_filters_combine_with_the_pages(api, kernel):
    await add_tickets(kernel, 4)
    closed = await add_tickets(kernel, 5, status="closed", closed_at=T0)
    late = await add_tickets(kernel, 3, status="processing", due_at=T0)  # T0 is in the past
    call = await add_tickets(kernel, 1, linkedid="1764000000.42")
    items, sizes = await walk(api["admin"], "/api/tickets?status=closed&limit=2")
    assert [t["id"] for t in items] == closed[::-1] and sizes == [2, 2, 1]
    assert {t["status_label"] for t in items} == {"已办结"}
    items, _ = await walk(api["admin"], "/api/tickets?overdue=true&limit=2")
    assert [t["id"] for t in items] == late[::-1]
    items, _ = await walk(api["admin"], "/api/tickets?linkedid=1764000000.42")
    assert [t["id"] for t in items] == call
    assert (await api["admin"].get("/api/tickets?status=revisited")).json() == []


async def test_each_caller_pages_through_what_they_may_see(api, kernel):
    mine = await add_tickets(kernel, 6)
    theirs = await add_tickets(kernel, 4, owner_username="seat1002", owner_seat="1002")
    elsewhere = await add_tickets(kernel, 3, center_code="410300", owner_username="seat3001", owner_seat="3001")
    expect = {"seat1001": mine, "seat1002": theirs, "sup410100": mine + theirs, "sup410300": elsewhere,
              "admin": mine + theirs + elsewhere}
    for who, ids in expect.items():
        items, _ = await walk(api[who], "/api/tickets?limit=4")
        assert [t["id"] for t in items] == sorted(ids, reverse=True), who


async def test_a_list_item_is_the_ticket_without_its_long_texts(api, kernel):
    await add_tickets(kernel, 2, handoff_unit="gov12345", satisfaction=2, unsatisfied=True, green=True)
    await add_tickets(kernel, 1, category_id="no.such.category", closed_at=T0, status="closed")
    items = (await api["admin"].get("/api/tickets")).json()
    async with kernel.sessions() as s:
        tickets = {t.id: t for t in await s.scalars(select(Ticket))}
    for item in items:
        full = ticket_dict(tickets[item["id"]], kernel.directory)
        assert item == {k: v for k, v in full.items() if k not in ("detail", "reply")}
    assert items[0]["category_name"] == "no.such.category" and items[1]["handoff_label"] == "转12345"


async def test_one_list_request_runs_the_same_statements_for_few_or_many_tickets(api, kernel):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    async def one_request() -> tuple[int, int]:
        statements.clear()
        r = await api["admin"].get(f"/api/tickets?limit={MAX_PAGE}")
        assert r.status_code == 200
        return len(r.json()), len(statements)

    await add_tickets(kernel, 3)
    await one_request()  # connections and caches warmed up
    event.listen(kernel.engine.sync_engine, "before_cursor_execute", count)
    try:
        few, with_few = await one_request()
        ticket_reads = [s for s in statements if "tickets" in s]
        await add_tickets(kernel, MAX_PAGE, handoff_unit="legal_aid", closed_at=T0, status="closed")
        many, with_many = await one_request()
    finally:
        event.remove(kernel.engine.sync_engine, "before_cursor_execute", count)
    assert (few, many) == (3, MAX_PAGE)
    assert with_many == with_few
    assert len(ticket_reads) == 1, ticket_reads  # one SELECT for the page, nothing per ticket
