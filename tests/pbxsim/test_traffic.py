"""Demo traffic numbers are ones the rest of the system accepts (the 回访 dialer validates them)."""
from integrations.schemas import dialable_number
from pbxsim.traffic import TrafficModel


def test_every_demo_caller_number_is_a_dialable_mainland_number():
    model = TrafficModel(calls_per_second=1.0, landline_share=0.5, seed=7)
    numbers = [model.number() for _ in range(400)]
    assert any(n.startswith("0") for n in numbers) and any(n.startswith("1") for n in numbers)
    for n in numbers:
        dialable_number(n)
