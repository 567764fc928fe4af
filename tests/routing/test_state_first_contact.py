"""首问负责制 in the engine's state: a personal-queue stay counts for the chosen skill queue, and falling back
from it is not an overflow."""
from routing.state import State
from routing.testing import CallScript
from tests.routing.test_state import records, run

ZZ = "q-410100-consult"


def _routed(s, call):
    run(s, call.start())
    s.nodes["node1"].calls[call.uid].route.update(queue=ZZ, reason="first_contact")


def test_answered_in_the_personal_queue_counts_for_the_skill_queue():
    s, call = State(), CallScript(1)
    _routed(s, call)
    out = run(s, [call.join("seat-1007")] + call.ring("seat-1007", "1007") + call.connect("seat-1007", "1007")
              + call.finish_talk("seat-1007", "1007"))
    (rec,) = records(out)
    assert rec["queues_visited"] == [ZZ] and rec["seat_extension"] == "1007" and rec["outcome"] == "answered"
    assert rec["queues"][0]["via"] == "seat-1007"
    assert [p["queue"] for t, p in out if t == "call.ringing"] == [ZZ]  # the console shows the skill queue


def test_falling_back_from_a_busy_preferred_seat_is_not_an_overflow():
    s, call = State(), CallScript(2)
    _routed(s, call)
    out = run(s, [call.join("seat-1007"), call.caller("QueueCallerLeave", Queue="seat-1007", Position="1", Count="0"),
                  call.join(ZZ)] + call.ring(ZZ, "1001") + call.connect(ZZ, "1001") + call.finish_talk(ZZ, "1001"))
    (rec,) = records(out)
    assert not rec["overflowed"] and not [t for t, _ in out if t == "call.overflowed"]
    assert rec["queues_visited"] == [ZZ, ZZ] and rec["seat_extension"] == "1001"
    assert [q["result"] for q in rec["queues"]] == ["left", "answered"]
