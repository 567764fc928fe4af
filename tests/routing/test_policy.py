"""Table tests for each routing rule of routing.policy (plain data in, plain data out)."""
from datetime import datetime, timedelta, timezone

import pytest

from routing.policy import CallFacts, QueueView, RouteRequest, Rules, Snapshot, Waiting, decide, reconsider

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)  # Friday 10:00 Beijing time
RULES = Rules(province_code="410000",
              center_skills={"410000": frozenset({"consult", "aid"}), "410100": frozenset({"consult", "aid"}),
                             "410600": frozenset({"consult"})},
              prefecture_max_wait_seconds=60, overflow_after_seconds=45, first_contact_days=7,
              callback_offer_after_seconds=90, green_channel_priority=10, duty_seats=frozenset({"1003"}))
ZZ, PROV = "q-410100-consult", "q-410000-consult"


def q(name, members=0, available=0, waiting=0, seats=(), staffed=None, langs=("zh",), aht=120.0):
    seats = frozenset(seats)
    return QueueView(name, members=members, available=available, waiting=waiting, avg_handle_seconds=aht,
                     available_seats=seats, staffed_seats=frozenset(staffed) if staffed is not None else seats,
                     available_languages=frozenset(langs) if available else frozenset())


def snap(*views, open_=True, last=None, pending=()):
    return Snapshot(queues={v.name: v for v in views}, is_open=open_, last_contact=last or {},
                    pending_callbacks=frozenset(pending))


def facts(pref="410100", **kw):
    return CallFacts(RouteRequest(uniqueid="1.0", caller_number=kw.pop("number", "13803710000"), **kw), pref)


@pytest.mark.parametrize("pref_view,prov_view,pref,expect_queue,expect_reason", [
    (q(ZZ, 2, 1, 0, {"1001"}), q(PROV, 2, 2, 0, {"1003"}), "410100", ZZ, "prefecture_available"),
    (q(ZZ, 2, 0, 0), q(PROV, 2, 2, 0), "410100", ZZ, "prefecture_wait_ok"),           # EWT 60 s ≤ 60
    (q(ZZ, 1, 0, 3), q(PROV, 2, 2, 0), "410100", PROV, "prefecture_busy"),             # EWT 480 s
    (q(ZZ, 0, 0, 0), q(PROV, 2, 1, 0), "410100", PROV, "prefecture_busy"),             # nobody logged in
    (q(ZZ, 2, 2, 0), q(PROV, 2, 2, 0), None, PROV, "provincial_unknown_region"),
    (q(ZZ, 2, 2, 0), q(PROV, 2, 2, 0), "410900", PROV, "provincial_no_local_service"),  # no center of its own
])
def test_prefecture_or_provincial(pref_view, prov_view, pref, expect_queue, expect_reason):
    d = decide(facts(pref), snap(pref_view, prov_view), RULES, NOW)
    assert (d.action, d.queue, d.reason) == ("queue", expect_queue, expect_reason)


def test_waiting_in_prefecture_carries_the_overflow_target():
    d = decide(facts(), snap(q(ZZ, 2, 0, 0), q(PROV, 1, 1)), RULES, NOW)
    assert (d.overflow_queue, d.overflow_after_seconds) == (PROV, 45)


def test_skill_not_served_by_the_prefecture_goes_provincial():
    d = decide(facts("410600", skill="aid"), snap(q("q-410000-aid", 1, 1)), RULES, NOW)
    assert d.queue == "q-410000-aid" and d.reason == "provincial_no_local_service"


@pytest.mark.parametrize("green,priority", [(True, 10), (False, 0)])
def test_green_channel_raises_priority(green, priority):
    d = decide(facts(green=green, green_reason="elderly" if green else None), snap(q(ZZ, 1, 1, 0, {"1001"})),
               RULES, NOW)
    assert d.priority == priority and d.variables()["HOTLINE_PRIORITY"] == str(priority)
    assert d.variables()["HOTLINE_GREEN"] == ("1" if green else "0")


@pytest.mark.parametrize("days_ago,seat_available,expect", [
    (2, True, ("first_contact", "1002")),
    (2, False, ("prefecture_available", None)),     # the seat is busy: normal routing
    (8, True, ("prefecture_available", None)),      # older than N days
])
def test_first_contact_goes_to_the_seat_who_handled_them(days_ago, seat_available, expect):
    seats = {"1001", "1002"} if seat_available else {"1001"}
    last = {"13803710000": ("1002", NOW - timedelta(days=days_ago))}
    d = decide(facts(), snap(q(ZZ, 2, len(seats), 0, seats, staffed={"1001", "1002"}), last=last), RULES, NOW)
    assert (d.reason, d.preferred_seat) == expect
    if d.preferred_seat:
        assert d.queue == ZZ and d.variables()["HOTLINE_PREFERRED_SEAT"] == "1002" and d.priority == 1


def test_first_contact_seat_in_another_center_is_followed():
    last = {"13803710000": ("1003", NOW - timedelta(days=1))}
    d = decide(facts(), snap(q(ZZ, 1, 1, 0, {"1001"}), q(PROV, 1, 1, 0, {"1003"}), last=last), RULES, NOW)
    assert (d.queue, d.preferred_seat) == (PROV, "1003")


@pytest.mark.parametrize("duty_staffed,pending,expect", [
    ({"1003"}, (), ("queue", "after_hours_duty", PROV)),
    (set(), (), ("callback", "after_hours_callback", None)),
    (set(), ("13803710000",), ("voicemail", "after_hours_voicemail", None)),  # no duplicate callback
])
def test_after_hours_duty_roster(duty_staffed, pending, expect):
    prov = q(PROV, len(duty_staffed), 0, 0, staffed=duty_staffed)
    d = decide(facts(), snap(q(ZZ, 1, 1, 0, {"1001"}), prov, open_=False, pending=pending), RULES, NOW)
    assert (d.action, d.reason, d.queue) == expect


def test_after_hours_without_a_callable_number_is_voicemail():
    d = decide(facts(number="anonymous"), snap(open_=False), RULES, NOW)
    assert d.action == "voicemail" and d.callback_number is None


@pytest.mark.parametrize("pending,offer", [((), True), (("13803710000",), False)])
def test_saturation_offers_one_queue_callback_per_number(pending, offer):
    busy = snap(q(ZZ, 1, 0, 5), q(PROV, 1, 0, 5), pending=pending)
    d = decide(facts(), busy, RULES, NOW)
    assert d.action == "queue" and d.queue == PROV and d.offer_callback is offer


@pytest.mark.parametrize("pending,action", [((), "callback"), (("13803710000",), "queue")])
def test_accepted_callback_never_duplicates(pending, action):
    busy = snap(q(ZZ, 1, 0, 5), q(PROV, 1, 0, 5), pending=pending)
    d = decide(facts(accept_callback=True), busy, RULES, NOW)
    assert d.action == action
    if action == "callback":
        assert d.variables()["HOTLINE_CALLBACK_NUMBER"] == "13803710000"


def test_dialect_need_prefers_a_queue_with_a_speaker():
    zz = q(ZZ, 1, 1, 0, {"1002"}, langs=("zh",))
    prov = q(PROV, 1, 1, 0, {"1003"}, langs=("zh", "henan"))
    d = decide(facts(language="henan"), snap(zz, prov), RULES, NOW)
    assert d.queue == PROV


def test_handoff_ticket_and_category_are_exported():
    d = decide(facts(category="consult.labor", handoff_ticket="12345-20261127-0001"), snap(q(ZZ, 1, 1, 0, {"1001"})),
               RULES, NOW)
    v = d.variables()
    assert v["HOTLINE_HANDOFF_TICKET"] == "12345-20261127-0001" and v["HOTLINE_CATEGORY"] == "consult.labor"
    assert v["HOTLINE_ACTION"] == "queue" and v["HOTLINE_QUEUE"] == ZZ and v["HOTLINE_PREFECTURE"] == "410100"


def W(queue=ZZ, waited=50.0, overflowed=False, priority=10):
    return Waiting("1.0", "PJSIP/caller-1", queue, waited, "410100", "consult", priority, overflowed)


@pytest.mark.parametrize("waiting,views,expect", [
    (W(waited=30), (q(ZZ, 1, 0, 1), q(PROV, 1, 1)), None),                                  # not yet
    (W(waited=50), (q(ZZ, 1, 0, 1), q(PROV, 1, 1, 0, {"1003"})), ("q-410000-consult", "410000", "overflow")),
    (W(waited=50), (q(ZZ, 1, 1, 1, {"1001"}), q(PROV, 1, 1)), None),                        # a seat freed first
    (W(waited=50), (q(ZZ, 1, 0, 1), q(PROV, 1, 0, 9)), None),                               # provincial worse
    (W(PROV, 60, True), (q(ZZ, 1, 1, 0, {"1001"}), q(PROV, 1, 0, 2)), (ZZ, "410100", "seat_freed_in_prefecture")),
    (W(PROV, 60, True), (q(ZZ, 1, 0, 0), q(PROV, 1, 0, 2)), None),
])
def test_overflow_and_return(waiting, views, expect):
    move = reconsider(waiting, snap(*views), RULES, NOW)
    assert (None if move is None else (move.to_queue, move.exten, move.reason)) == expect
    if move:
        assert move.context == "queue-overflow"


def test_estimated_wait():
    assert q(ZZ, 2, 0, 3, aht=100).estimated_wait() == 200
    assert q(ZZ, 0, 0, 0).estimated_wait() == float("inf")
    assert q(ZZ, 2, 2, 1).estimated_wait() == 0
