"""The routing component against a loopback AMI server: records persisted, none lost when the link dies."""
import asyncio
import random

import pytest
from sqlalchemy import func, select

from hotline.settings import AmiNode
from routing.component import RoutingComponent
from routing.models import CallRecord
from routing.testing import CallScript
from routing.writer import RecordWriter, upsert_records
from tests.routing.amiserver import ScriptedAmiServer

ZZ = "q-410100-consult"


@pytest.fixture
async def server():
    srv = await ScriptedAmiServer().start()
    yield srv
    await srv.stop()


async def _count(kernel) -> int:
    async with kernel.sessions() as s:
        return await s.scalar(select(func.count()).select_from(CallRecord))


async def test_upsert_keeps_one_row_per_call_and_the_survey_score(kernel):
    from routing.capture import read_capture
    from routing.replay import replay
    from tests.conftest import TRACES

    (rec,) = replay(read_capture(TRACES / "queue-answered.ami.jsonl")).records
    async with kernel.sessions() as s, s.begin():
        await upsert_records(s, [{**rec, "survey_score": 4}])
        await upsert_records(s, [rec])  # the same call again (e.g. after a resync): no duplicate, score kept
    async with kernel.sessions() as s:
        rows = (await s.scalars(select(CallRecord))).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.caller_name, row.outcome, row.survey_score, row.first_queue) == ("张三", "answered", 4, ZZ)
    assert row.wait_seconds == pytest.approx(3.0, abs=0.06) and row.answered_at.tzinfo is not None


async def test_writer_retries_until_the_database_takes_the_records(kernel):
    calls = {"n": 0}

    def flaky():
        calls["n"] += 1
        if calls["n"] <= 2:
            from sqlalchemy.exc import OperationalError

            raise OperationalError("connect", {}, Exception("database is restarting"))
        return kernel.sessions()

    writer = RecordWriter(flaky, retry_max=0.01)
    await writer.start()
    script = CallScript(1)
    from routing.state import State, apply

    state, recs = State(), []
    for e in script.answered(ZZ, "1001"):
        recs += [p for t, p in apply(state, e, 5.0)[1] if t == "call.record"]
    writer.submit(recs[0])
    await asyncio.wait_for(writer.flush(), 10)
    await writer.stop()
    assert writer.failures == 2 and await _count(kernel) == 1


async def _start(kernel, server) -> RoutingComponent:
    kernel.settings.ami_nodes = [AmiNode(name="node1", port=server.port)]
    kernel.settings.pbx_mode = "asterisk"
    kernel.settings.ami_ping_interval = 0.2
    comp = RoutingComponent()
    await comp.start(kernel, {"engine"})
    for link in comp.links.values():
        link._manager.backoff = (0.005, 0.02)
    await comp.links["node1"].wait_ready(5)
    return comp


async def test_component_publishes_services_and_persists_a_call(kernel, server):
    comp = await _start(kernel, server)
    assert kernel.services["routing"] is comp.service and kernel.services["ami"] is comp.links["node1"]
    assert await comp.ready() == "ok"
    for e in CallScript(3).answered(ZZ, "1001"):
        server.play(e)
    for _ in range(200):
        if comp.service.records_seen:
            break
        await asyncio.sleep(0.01)
    await comp.stop()
    assert await _count(kernel) == 1


async def _kill_and_wait(server, link) -> None:
    before = link.disconnects
    server.kill_all()
    for _ in range(500):
        if link.disconnects > before:
            break
        await asyncio.sleep(0.002)
    await link.wait_ready(5)


async def test_link_killed_100_times_during_load_loses_no_call_record(kernel, server):
    comp = await _start(kernel, server)
    link = comp.links["node1"]
    rnd = random.Random(12348)
    scripts = [CallScript(n, number=f"1380371{n:04d}") for n in range(1, 41)]
    kinds = [s.answered(ZZ, "1001") if n % 3 else s.abandoned(ZZ) for n, s in enumerate(scripts)]
    cursors = [0] * len(kinds)
    pending = list(range(len(kinds)))
    kills, played = 0, 0
    while pending:
        i = rnd.choice(pending)
        server.play(kinds[i][cursors[i]])
        cursors[i] += 1
        played += 1
        if cursors[i] == len(kinds[i]):
            pending.remove(i)
        if played % 9 == 0 and kills < 100:
            before = link.disconnects
            server.kill_all()  # the link dies; events go on while nobody listens
            kills += 1
            for _ in range(rnd.randint(0, 3)):
                if pending:
                    j = rnd.choice(pending)
                    server.play(kinds[j][cursors[j]])
                    cursors[j] += 1
                    if cursors[j] == len(kinds[j]):
                        pending.remove(j)
            while link.disconnects == before:
                await asyncio.sleep(0.002)
            await link.wait_ready(5)
        await asyncio.sleep(0)
    while kills < 100:  # the rest of the 100 kills with calls idle
        await _kill_and_wait(server, link)
        kills += 1
    await asyncio.sleep(0.05)
    assert link.resyncs == kills + 1
    await comp.stop()
    async with kernel.sessions() as s:
        ids = set((await s.scalars(select(CallRecord.linkedid))).all())
    # outages here are at most 3 events long and every call has more: each call is recorded once
    assert ids == {s.uid for s in scripts}
    assert comp.service.state.nodes["node1"].calls == {}


async def test_overview_api_needs_a_supervisor_and_shows_nodes_and_links(kernel, server):
    from hotline.app import create_app
    from hotline.web import component as web_component
    from tests.hotline.conftest import add_user, bearer, client_for

    comp = await _start(kernel, server)
    app = create_app(kernel=kernel, components=[web_component, comp])
    await add_user(kernel, "banzhang", "supervisor")
    await add_user(kernel, "zuoxi", "seat", seat_extension="1001")
    async with app.router.lifespan_context(app), client_for(app) as client:
        assert (await client.get("/api/routing/overview")).status_code == 401
        seat = await bearer(client, "zuoxi")
        assert (await client.get("/api/routing/overview", headers=seat)).status_code == 403
        sup = await bearer(client, "banzhang")
        body = (await client.get("/api/routing/overview", headers=sup)).json()
    await comp.stop()
    assert body["links"]["node1"]["connected"] is True and body["links"]["node1"]["resyncs"] >= 1
    assert body["nodes"]["node1"]["up"] is True


async def test_an_api_only_app_does_not_inherit_an_earlier_apps_links(kernel):
    """The component object is one per process: a later app without the engine role starts clean."""
    from types import SimpleNamespace

    from routing.component import RoutingComponent

    comp = RoutingComponent()
    comp.links = {"node1": SimpleNamespace(connected=False)}  # left by an earlier app in this process
    comp.engine_role = True
    assert (await comp.ready()).startswith("AMI not connected")
    await comp.start(kernel, {"api"})
    assert await comp.ready() == "ok"
