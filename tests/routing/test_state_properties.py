"""Property tests: for any interleaving of plausible call lifecycles (and link drops with resync),
the state never goes negative, never keeps a dead caller queued, and loses no call."""
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.state import State, apply
from routing.testing import CallScript, member_event
from tests.routing.amiserver import Truth as AmiTruth

Q1, Q2 = "q-410100-consult", "q-410000-consult"
KINDS = ["ivr_hangup", "abandoned", "abandoned_ringing", "answered", "answered_by_seat", "overflowed"]
EXPECTED = {"ivr_hangup": "abandoned", "abandoned": "abandoned", "abandoned_ringing": "abandoned",
            "answered": "answered", "answered_by_seat": "answered", "overflowed": "answered"}


def lifecycle(kind: str, n: int, tail_order: list[int]) -> list[dict]:
    s = CallScript(n, number=f"1380371{n:04d}")
    seat = str(1001 + n % 3)
    if kind == "ivr_hangup":
        return s.ivr_hangup()
    if kind == "abandoned":
        return s.abandoned(Q1)
    if kind == "abandoned_ringing":
        return s.abandoned(Q1, seat)
    events = s.overflowed(Q1, Q2, seat) if kind == "overflowed" else s.answered(Q1, seat, by="seat" if kind == "answered_by_seat" else "caller")
    # the two legs leave the bridge and hang up in any order Asterisk may use (per leg: leave, then hang up)
    tail = events[-4:]  # caller BridgeLeave, seat BridgeLeave, caller Hangup, seat Hangup
    legs = {0: [tail[0], tail[2]], 1: [tail[1], tail[3]]}
    reordered = [legs[i].pop(0) for i in tail_order]
    return events[:-4] + reordered


tail_orders = st.permutations([0, 0, 1, 1])


@st.composite
def scenarios(draw):
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=6))
    calls = [lifecycle(k, i + 1, draw(tail_orders)) for i, k in enumerate(kinds)]
    tokens = draw(st.permutations([i for i, evs in enumerate(calls) for _ in evs]))
    cursors = [0] * len(calls)
    merged = []
    for i in tokens:
        merged.append(calls[i][cursors[i]])
        cursors[i] += 1
    members = draw(st.lists(st.tuples(st.integers(0, len(merged)), st.sampled_from(["1001", "1002", "1003"]),
                                      st.sampled_from([1, 2, 6]), st.booleans()), max_size=6))
    for pos, seat, status, paused in sorted(members, reverse=True):
        merged.insert(pos, member_event(Q1, seat, status=status, paused=paused))
    drops = draw(st.lists(st.tuples(st.integers(0, len(merged)), st.integers(0, 8)), max_size=3))
    return kinds, calls, merged, sorted(drops)


class Truth(AmiTruth):
    """What Asterisk itself knows at each point, as the resync snapshot the link hands the state."""

    def resync(self):
        chans = [{**c, "Event": "CoreShowChannel", "BridgeId": self.bridge.get(uid, "")} for uid, c in self.channels.items()]
        entries = []
        for q, callers in self.entries.items():
            entries.append({"Event": "QueueParams", "Queue": q})
            for pos, (uid, e) in enumerate(callers.items(), 1):
                entries.append({"Event": "QueueEntry", "Queue": q, "Position": str(pos), "Uniqueid": uid,
                                "Channel": e["Channel"], "Wait": "1", "Priority": "0"})
        return {"Event": "LinkResync", "Node": "node1", "QueueStatus": entries, "Channels": chans}


def check_invariants(state: State):
    for ns in state.nodes.values():
        live_legs = {uid for c in ns.calls.values() for uid, leg in c.legs.items() if leg.hungup_at is None}
        assert set(ns.channels) == live_legs
        for q in ns.queues.values():
            assert len(q.callers) == len(set(q.callers))
            for uid in q.callers:
                assert uid in ns.channels, "a hung-up caller is still queued"
        for c in ns.calls.values():
            for v in c.visits:
                assert v.left_at is None or v.left_at >= v.joined_at
            assert c.hold_seconds >= 0


@settings(max_examples=int(os.environ.get("HOTLINE_HYPOTHESIS_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_any_interleaving_with_link_drops_loses_no_call(scenario):
    kinds, calls, merged, drops = scenario
    state, truth, records = State(), Truth(), []
    lost, seen = set(), set()  # seen: calls the engine heard of (an event, or alive in a resync)
    at, i = 1000.0, 0
    drop_at = dict(drops)
    while i < len(merged):
        if i in drop_at:  # the link drops: the next events happen while nobody listens
            _, out = apply(state, {"Event": "LinkDown"}, at)
            for e in merged[i:i + drop_at[i]]:
                truth.see(e)
                lost.add(e.get("Linkedid"))
            i += drop_at.pop(i)
            seen |= {c["Linkedid"] for c in truth.channels.values()}
            _, out = apply(state, truth.resync(), at)
            records += [p for t, p in out if t == "call.record"]
            check_invariants(state)
            continue
        e = merged[i]
        seen.add(e.get("Linkedid"))
        truth.see(e)
        at += 0.5
        _, out = apply(state, e, at)
        records += [p for t, p in out if t == "call.record"]
        check_invariants(state)
        i += 1
    if truth.channels:  # the run ended during an outage: the next login resyncs
        seen |= {c["Linkedid"] for c in truth.channels.values()}
        _, out = apply(state, truth.resync(), at)
        records += [p for t, p in out if t == "call.record"]
    _, out = apply(state, {"Event": "LinkResync", "Node": "node1", "QueueStatus": [], "Channels": []}, at)
    records += [p for t, p in out if t == "call.record"]
    linkedids = [r["linkedid"] for r in records]
    # a call that began and ended entirely inside an outage never reaches AMI's view (known limit)
    assert sorted(linkedids) == sorted(c[0]["Uniqueid"] for c in calls if c[0]["Uniqueid"] in seen), \
        "a call was lost or recorded twice"
    assert all(not q.callers for ns in state.nodes.values() for q in ns.queues.values())
    assert all(not ns.calls for ns in state.nodes.values())
    for r in records:
        for key in ("wait_seconds", "talk_seconds", "hold_seconds"):
            assert r[key] is None or r[key] >= 0
    by_id = {r["linkedid"]: r for r in records}
    for kind, evs in zip(kinds, calls):
        rec = by_id.get(evs[0]["Uniqueid"])
        if rec is not None and evs[0]["Linkedid"] not in lost:
            assert rec["outcome"] == EXPECTED[kind], (kind, rec)
            if kind == "overflowed":
                assert rec["queues_visited"] == [Q1, Q2] and rec["overflowed"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(KINDS), min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_member_counts_never_go_negative_and_calls_taken_only_grow(kinds, rnd):
    state = State()
    events = []
    for i, k in enumerate(kinds):
        events += lifecycle(k, i + 1, [0, 1, 0, 1])
    for e in events:
        apply(state, e, 1.0)
        seat = rnd.choice(["1001", "1002"])
        _, out = apply(state, member_event(Q1, seat, status=rnd.choice([1, 2, 5, 6]), paused=rnd.random() < 0.3), 1.0)
        for ns in state.nodes.values():
            for q in ns.queues.values():
                assert all(m.calls_taken >= 0 and m.penalty >= 0 for m in q.members.values())


@settings(max_examples=int(os.environ.get("HOTLINE_HYPOTHESIS_EXAMPLES", "150")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(KINDS), min_size=1, max_size=4), st.randoms(use_true_random=False),
       st.integers(min_value=0, max_value=30))
def test_memoized_queue_views_always_equal_a_fresh_walk_over_the_members(kinds, rnd, wrapup):
    """The member view comes from indexes kept in step by the handlers and is memoized on the queue; after
    any event and at any later time it must equal a walk over every member from scratch."""
    from routing.snapshot import queue_view

    state = State(wrapup_seconds=wrapup)
    events = []
    for i, k in enumerate(kinds):
        events += lifecycle(k, i + 1, [0, 1, 0, 1])
    now = 1000.0
    langs = {"1001": frozenset({"zh", "henan"})}
    for e in events:
        now += rnd.choice([0.0, 0.5, 3.0, 20.0])
        apply(state, e, now)
        if rnd.random() < 0.5:
            apply(state, member_event(rnd.choice([Q1, Q2]), rnd.choice(["1001", "1002", "1003"]),
                                      status=rnd.choice([1, 2, 5, 6]), paused=rnd.random() < 0.3,
                                      in_call=rnd.random() < 0.3,
                                      event=rnd.choice(["QueueMemberStatus", "QueueMemberAdded",
                                                        "QueueMemberRemoved", "QueueMemberPause"])), now)
        for ns in state.nodes.values():
            for q in ns.queues.values():
                for later in (now, now + rnd.uniform(0, 40)):
                    view = queue_view(q, later, langs, 240.0)
                    assert (view.staffed_seats, view.available_seats, view.available_languages) == \
                        walk_members(q, later, langs), (q.name, later)


def walk_members(q, now, languages):
    """The member view by definition: staffed = reachable and unpaused; available = staffed, idle, out of wrap-up."""
    staffed, available, langs = set(), set(), set()
    for m in q.members.values():
        ext = m.interface.rsplit("/seat", 1)[-1]
        if m.paused or m.status in (4, 5):
            continue
        staffed.add(ext)
        if m.status == 1 and not m.in_call and m.wrapup_until <= now:
            available.add(ext)
            langs |= languages.get(ext, {"zh"})
    return staffed, available, langs
