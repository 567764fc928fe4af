"""Hand-off to routing: the real RoutingService decides; its non-queue decisions continue in the flow."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from ivr.handoff import DirectoryPlacer, RouteAsk, RoutingPlacer
from ivr.models import CallbackRequest
from routing.policy import RouteRequest
from routing.service import RoutingService
from tests.ivr.conftest import CLOSED, OPEN
from tests.ivr.fakeagi import Caller, FakeAsterisk, env_block


def ask(**kw):
    base = dict(linkedid="1.0", uniqueid="1.0", channel="PJSIP/caller-00000000", caller_number="13800138000",
                caller_name="张三", did="12348", skill="consult", category=None, priority=0, duty=False,
                ivr_path=("main_menu",), handoff_ticket=None, now=OPEN)
    return RouteAsk(**{**base, **kw})


def test_route_ask_maps_onto_routing_request_by_field_name():
    req = RoutingPlacer.request(ask(skill="aid", category="aid.wage", green=True, green_reason="migrant_wage", node="node2"))
    assert isinstance(req, RouteRequest)
    assert (req.skill, req.category, req.green, req.green_reason, req.node, req.ivr_path) == (
        "aid", "aid.wage", True, "migrant_wage", "node2", ("main_menu",))


async def test_routing_decision_variables_come_back_and_priority_is_only_raised(directory, kernel):
    service = RoutingService(directory, kernel.bus, clock=lambda: OPEN.timestamp())
    placer = RoutingPlacer(service, DirectoryPlacer(directory))
    placed = await placer.place(ask(skill="mediation", category="mediation.dispute"))
    assert placed.action == "queue" and placed.variables["HOTLINE_QUEUE"].endswith("-mediation")
    assert placed.variables["HOTLINE_PRIORITY"] == "0"
    raised = await placer.place(ask(skill="mediation", priority=20))
    assert raised.variables["HOTLINE_PRIORITY"] == "20"


async def test_a_failing_routing_service_falls_back_to_the_directory(directory, caplog):
    class Broken:
        def place(self, request):
            raise RuntimeError("boom")

    placed = await RoutingPlacer(Broken(), DirectoryPlacer(directory)).place(ask(skill="aid", green=True))
    assert placed.source == "directory" and placed.variables["HOTLINE_QUEUE"] == "q-410000-aid"
    assert placed.variables["HOTLINE_PRIORITY"] == "10" and placed.variables["HOTLINE_GREEN"] == "1"
    assert "routing.place failed" in caplog.text


@pytest.mark.parametrize("did, skill, queue", [
    ("037112348", "mediation", "q-410100-mediation"),
    ("037912348", "complaint", "q-410300-complaint"),
    ("037712348", "complaint", "q-410000-complaint"),  # 南阳 has no complaint queue: the province takes it
])
async def test_directory_fallback_queues_by_did_and_skill(directory, did, skill, queue):
    placed = await DirectoryPlacer(directory).place(ask(did=did, skill=skill))
    assert placed.variables["HOTLINE_QUEUE"] == queue


async def test_ivr_call_placed_by_the_running_routing_service(ivr_server, kernel, directory):
    kernel.services["routing"] = RoutingService(directory, kernel.bus, clock=lambda: OPEN.timestamp())
    host, port = await ivr_server()
    fake = FakeAsterisk(Caller(keys=["2", "2"]), env=env_block(dnid="037112348"))
    await fake.run(host, port)
    v = fake.variables
    assert (v["HOTLINE_ACTION"], v["HOTLINE_SKILL"], v["HOTLINE_CATEGORY"], v["HOTLINE_GREEN"]) == ("queue", "aid", "aid.wage", "1")
    assert v["HOTLINE_PRIORITY"] == str(directory.routing.green_channel_priority)


async def test_after_hours_without_duty_seat_routing_declines_and_the_flow_offers_a_callback(ivr_server, kernel, directory):
    kernel.services["routing"] = RoutingService(directory, kernel.bus, clock=lambda: CLOSED.timestamp())
    host, port = await ivr_server(clock=CLOSED)
    fake = FakeAsterisk(Caller(keys=["1", "1"]))
    await fake.run(host, port)
    assert fake.variables["HOTLINE_ACTION"] == "callback"
    async with kernel.sessions() as s:
        assert (await s.execute(select(CallbackRequest.number))).scalar_one() == "13800138000"


async def test_survey_score_reaches_routings_live_call(ivr_server, kernel, directory):
    seen = []

    class Routing:
        state = None

        def set_survey(self, linkedid, score):
            seen.append((linkedid, score))
            return True

    kernel.services["routing"] = Routing()
    host, port = await ivr_server()
    await FakeAsterisk(Caller(keys=["4"]), env=env_block(script="survey")).run(host, port)
    assert seen == [("1795901443.0", 4)]


async def test_a_routing_value_with_cr_lf_never_reaches_an_agi_line(path_server, path_kernel, caplog):
    class Evil:
        state = None

        def place(self, request):
            class Decision:
                action = "queue"

                @staticmethod
                def variables():
                    return {"HOTLINE_QUEUE": "q-410100-consult\r\nEXEC Dial PJSIP/evil", "HOTLINE_SKILL": "consult"}
            return Decision()

    path_kernel.services["routing"] = Evil()
    host, port = await path_server()
    fake = FakeAsterisk(Caller(keys=["3"]))
    await fake.run(host, port)  # the fake asserts no CR on any line
    assert not any("EXEC" in c for c in fake.sent)
    assert "routing returned an unsafe value" in caplog.text
    assert (fake.variables["HOTLINE_ACTION"], fake.variables["HOTLINE_QUEUE"]) == ("queue", "q-410000-mediation")
    assert list(fake.variables)[-1] == "HOTLINE_ACTION"


def test_fastagi_peer_is_matched_to_its_ami_node():
    from hotline.settings import AmiNode, Settings
    from ivr.runner import ami_node_of

    settings = Settings(ami_nodes=[AmiNode(name="a", host="10.0.0.1"), AmiNode(name="b", host="10.0.0.2")], _env_file=None)
    assert ami_node_of(settings, ("10.0.0.2", 40000)) == "b"
    assert ami_node_of(settings, ("127.0.0.1", 40000)) == "a"
    assert ami_node_of(Settings(ami_nodes=[], _env_file=None), None) == "node1"
