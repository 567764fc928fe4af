"""routing.actions over FakeAmi: what goes on the wire, and what never does."""
import pytest

from routing import actions
from routing.results import AmiError, AmiResult
from routing.safety import AmiValueError, ami_value, encode_action
from routing.testing import FakeAmi


async def test_queue_add_paused_sends_reason_and_member_name():
    ami = FakeAmi()
    await actions.queue_add(ami, queue="q-410100-consult", interface="PJSIP/seat1001",
                            member_name="坐席1001", paused=True, reason="培训", penalty=1)
    (sent,) = ami.sent
    assert sent["Action"] == "QueueAdd" and sent["Paused"] == "true" and sent["Reason"] == "培训"
    assert sent["MemberName"] == "坐席1001" and sent["Penalty"] == "1"


async def test_unpaused_queue_add_sends_no_reason():
    ami = FakeAmi()
    await actions.queue_add(ami, queue="q", interface="PJSIP/seat1", reason="x")
    assert "Reason" not in ami.sent[0]


@pytest.mark.parametrize("bad", ["坐席\r\nAction: Hangup", "a\nb", "a\rb", "nul\x00", "bell\x07", "del\x7f"])
async def test_control_characters_never_reach_the_wire(bad):
    ami = FakeAmi()
    with pytest.raises(AmiValueError):
        await actions.queue_add(ami, queue="q-410100-consult", interface="PJSIP/seat1001", member_name=bad)
    with pytest.raises(AmiValueError):
        await actions.setvar(ami, channel="PJSIP/caller-1", variable="HOTLINE_QUEUE", value=bad)
    with pytest.raises(AmiValueError):
        await actions.originate(ami, channel="PJSIP/seat1001", context="callback", exten="1", caller_id=bad)
    assert ami.sent == []


def test_ami_value_keeps_utf8_and_refuses_none():
    assert ami_value("12348回访") == "12348回访"
    with pytest.raises(AmiValueError):
        ami_value(None)


def test_encode_action_keeps_order_and_repeats_list_headers():
    raw = encode_action({"Action": "Originate", "Variable": ["A=1", "B=张"]})
    assert raw == "Action: Originate\r\nVariable: A=1\r\nVariable: B=张\r\n\r\n".encode()


async def test_originate_is_async_with_variables_and_action_id():
    ami = FakeAmi()
    await actions.originate(ami, channel="PJSIP/seat1001", context="callback", exten="13800138000",
                            caller_id='"12348回访" <12348>', variables={"HOTLINE_CALLBACK": "1"}, action_id="cb-1")
    sent = ami.sent[0]
    assert sent["Async"] == "true" and sent["ActionID"] == "cb-1" and sent["Variable"] == ["HOTLINE_CALLBACK=1"]
    assert sent["Timeout"] == "30000" and sent["Context"] == "callback"


async def test_originate_needs_exactly_one_target():
    with pytest.raises(AmiValueError):
        await actions.originate(FakeAmi(), channel="PJSIP/seat1001")


async def test_error_response_raises_ami_error_with_headers():
    ami = FakeAmi()
    ami.script("QueueRemove", {"Response": "Error", "Message": "Unable to remove interface: Not there"})
    with pytest.raises(AmiError) as err:
        await actions.queue_remove(ami, queue="q", interface="PJSIP/seat9")
    assert err.value.response["Message"].startswith("Unable")


async def test_getvar_returns_value_or_none():
    ami = FakeAmi()
    ami.script("Getvar", {"Response": "Success", "Variable": "QUEUESTATUS", "Value": "TIMEOUT"},
               {"Response": "Success", "Variable": "X", "Value": "(null)"})
    assert await actions.getvar(ami, channel="c", variable="QUEUESTATUS") == "TIMEOUT"
    assert await actions.getvar(ami, channel="c", variable="X") is None


async def test_redirect_with_extra_channel_and_pause_all_queues():
    ami = FakeAmi()
    await actions.redirect(ami, channel="A", context="queue-overflow", exten="410000", extra_channel="B",
                           extra_context="c", extra_exten="1", extra_priority=2)
    await actions.queue_pause(ami, interface="PJSIP/seat1001", paused=True, reason="小休")
    assert ami.sent[0]["ExtraPriority"] == "2"
    assert "Queue" not in ami.sent[1] and ami.sent[1]["Reason"] == "小休"


async def test_fake_ami_emits_events_to_listeners_and_scripts_callables():
    ami = FakeAmi()
    seen = []
    stop = ami.listen(seen.append)
    ami.emit({"Event": "Hangup", "Channel": "x"})
    stop()
    ami.emit({"Event": "Hangup", "Channel": "y"})
    assert seen == [{"Event": "Hangup", "Channel": "x"}]
    ami.script("Ping", lambda a: AmiResult({"Response": "Success", "Ping": "Pong"}), always=True)
    assert (await actions.ping(ami)).response["Ping"] == "Pong"
    assert (await actions.ping(ami)).response["Ping"] == "Pong"


async def test_hangup_mixmonitor_transfer_actions():
    ami = FakeAmi()
    await actions.hangup(ami, channel="PJSIP/caller-00000000")
    await actions.mixmonitor(ami, channel="PJSIP/caller-00000000", file="/r/x-mix.wav", options="r(/r/x-in.wav)")
    await actions.stop_mixmonitor(ami, channel="PJSIP/caller-00000000")
    await actions.blind_transfer(ami, channel="PJSIP/seat1001-1", context="handoff-12345", exten="12345")
    await actions.atxfer(ami, channel="PJSIP/seat1001-1", exten="1002", context="seat-transfer")
    await actions.queue_penalty(ami, interface="PJSIP/seat1001", penalty=2, queue="q")
    assert [a["Action"] for a in ami.sent] == ["Hangup", "MixMonitor", "StopMixMonitor", "BlindTransfer",
                                                "Atxfer", "QueuePenalty"]
    assert ami.sent[0]["Cause"] == "16"
    with pytest.raises(AmiValueError):
        await actions.queue_penalty(ami, interface="x", penalty=-1)
