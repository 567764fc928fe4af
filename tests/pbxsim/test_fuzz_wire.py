"""Fuzz of pbxsim's AMI side: the action parser, the header writer, and a live server fed any actions."""
from __future__ import annotations

import asyncio
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbxsim.ami_server import AmiServer, AmiUser
from pbxsim.wire import WireError, check_value, encode, parse_action
from tests.pbxsim.helpers import make_sim

pytestmark = pytest.mark.fuzz

C0_DEL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # C0, DEL, C1, Unicode line/paragraph separators
# text as an attacker or a broken peer writes it: line breaks, NUL, escapes and quotes come often, any
# other character (CJK, emoji, combining marks) too
HOSTILE = st.one_of(st.sampled_from(list("\r\n\x00\t\x0b\x0c\x1b\x7f:\" \\")), st.characters(blacklist_categories=("Cs",)))


def hostile(max_size: int):
    """Text biased towards the characters that break protocol lines."""
    return st.text(HOSTILE, max_size=max_size)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
keys = st.builds(str.__add__, st.sampled_from(LETTERS), st.text(LETTERS + "0123456789_-", max_size=15))
clean = st.text(st.characters(blacklist_categories=("Cs",),
                              blacklist_characters="".join(map(chr, [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]))), max_size=40)
# manager.c drops the blanks after the colon: a value that starts with one cannot come back as sent
values = clean.filter(lambda v: not v.startswith(" "))
# server runs are costly: a slice of the profile's examples (25 in the suite, 1,000 with the long profile)
SERVER_EXAMPLES = max(25, settings().max_examples // 20)


@given(st.lists(st.tuples(keys, values), min_size=1, max_size=8))
def test_parse_action_of_encoded_headers_gives_them_back_in_order(headers):
    data = encode(headers)
    assert data.endswith(b"\r\n\r\n")
    assert parse_action(data[:-4]) == headers


@given(st.binary(max_size=400))
def test_parse_action_never_raises_and_yields_single_lines(block):
    for key, value in parse_action(block):
        assert "\n" not in key and "\n" not in value and not value.endswith("\r")


@given(st.lists(st.tuples(keys, hostile(30)), max_size=6))
def test_the_header_writer_refuses_control_characters_and_writes_clean_lines(headers):
    try:
        data = encode(headers)
    except WireError:
        assert any(C0_DEL.search(v) for _, v in headers)
        return
    for line in data.decode("utf-8")[:-4].split("\r\n")[:-1] if headers else []:
        assert not C0_DEL.search(line)


@given(hostile(40))
def test_check_value_is_exactly_the_control_character_rule(value):
    try:
        assert check_value(value) == value and not C0_DEL.search(value)
    except WireError:
        assert C0_DEL.search(value)


ACTION_NAMES = ["Ping", "QueueAdd", "QueueRemove", "QueuePause", "QueuePenalty", "QueueStatus", "QueueSummary",
                "CoreShowChannels", "Status", "Redirect", "Originate", "Hangup", "Setvar", "Getvar", "MixMonitor",
                "StopMixMonitor", "BlindTransfer", "Atxfer", "Events", "Filter", "ListCommands", "NoSuchAction"]
HEADER_NAMES = ["Queue", "Interface", "Channel", "Context", "Exten", "Priority", "Variable", "Value", "Penalty",
                "Paused", "Reason", "MemberName", "Application", "Data", "Timeout", "Async", "File", "Options",
                "EventMask", "Filter", "Operation", "Cause", "CallerID", "ActionID"]
any_value = hostile(30)
header = st.tuples(st.sampled_from(HEADER_NAMES), any_value.filter(lambda v: v != "alive"))
actions = st.builds(lambda name, extra: [("Action", name), *extra], st.sampled_from(ACTION_NAMES),
                    st.lists(header, max_size=6))


def _raw(headers: list[tuple[str, str]]) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in headers).replace("\r\n\r\n", "\r\n").encode() + b"\r\n"


async def _session(acts: list[list[tuple[str, str]]]) -> bytes:
    sim, _ = make_sim([], {})
    server = AmiServer(sim, [AmiUser("fuzz", "fuzz")])
    port = await server.start("127.0.0.1", 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"Action: Login\r\nUsername: fuzz\r\nSecret: fuzz\r\n\r\n")
        for a in acts:
            writer.write(_raw(a))
        writer.write(b"Action: Ping\r\nActionID: alive\r\n\r\n")
        data = b""
        while b"ActionID: alive\r\n" not in data:
            chunk = await asyncio.wait_for(reader.read(65536), 10)
            assert chunk, "pbxsim closed the session instead of answering"
            data += chunk
        return data
    finally:
        writer.close()
        await server.stop()
        for t in list(sim.tasks):
            t.cancel()


@settings(max_examples=SERVER_EXAMPLES)
@given(st.lists(actions, min_size=1, max_size=5))
def test_any_actions_get_clean_answers_and_the_session_goes_on(acts):
    data = asyncio.run(_session(acts))
    text = data.decode("utf-8")
    assert text.startswith("Asterisk Call Manager/")
    for line in text.split("\r\n"):
        assert not C0_DEL.search(line)
    last = next(m for m in text.split("\r\n\r\n") if "ActionID: alive" in m)
    assert "Ping: Pong" in last


def test_a_control_character_in_an_action_id_gets_an_error_not_a_closed_session():
    # found by the property above: the error reply used to echo the ActionID and end the session
    data = asyncio.run(_session([[("Action", "Ping"), ("ActionID", "\x1f")]]))
    assert b"Invalid characters in request" in data


@given(st.text("abc 张三", max_size=5).flatmap(
    lambda t: st.characters(min_codepoint=0x80, max_codepoint=0x9F).map(lambda c: t + c)))
def test_c1_control_characters_never_reach_a_pbxsim_line(value):
    with pytest.raises(WireError):
        check_value(value)
