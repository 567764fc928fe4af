"""Fuzz of the AMI side: framing/parsing (any split, any bytes) and every value that reaches an AMI line."""
from __future__ import annotations

import asyncio
import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing import actions
from routing.adapter import FramingProtocol
from routing.parser import AmiFramer, FramingError, parse_message
from routing.results import AmiResult
from routing.safety import AmiValueError, ami_value, ami_variable, check_action, encode_action

pytestmark = pytest.mark.fuzz

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
C0_DEL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # C0, DEL, C1, Unicode line/paragraph separators
# text as an attacker or a broken peer writes it: line breaks, NUL, escapes and quotes come often, any
# other character (CJK, emoji, combining marks) too
HOSTILE = st.one_of(st.sampled_from(list("\r\n\x00\t\x0b\x0c\x1b\x7f:\" \\")), st.characters(blacklist_categories=("Cs",)))


def hostile(max_size: int):
    """Text biased towards the characters that break protocol lines."""
    return st.text(HOSTILE, max_size=max_size)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
keys = st.builds(str.__add__, st.sampled_from(LETTERS), st.text(LETTERS + "0123456789_-", max_size=15))
# any Unicode text a header value can carry: no C0 control, no DEL (CR/LF included), surrogates impossible in UTF-8
values = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="".join(
    map(chr, [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]))), max_size=40)
messages = st.dictionaries(keys, values, min_size=1, max_size=8)


def wire(msg: dict[str, str]) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in msg.items()) + "\r\n").encode("utf-8")


def splits(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)])]


@given(st.lists(messages, min_size=1, max_size=4), st.lists(st.integers(0, 10_000), max_size=12))
def test_framer_returns_every_message_intact_in_order_whatever_the_tcp_split(msgs, cuts):
    stream = BANNER + b"".join(wire(m) for m in msgs)
    framer, got = AmiFramer(), []
    for chunk in splits(stream, cuts):  # splits land inside multi-byte UTF-8 characters too
        got.extend(framer.feed(chunk))
    assert got == msgs
    assert framer.version == "11.0.0"


@given(messages)
def test_parse_of_encoded_action_gives_back_the_action(msg):
    action = {"Action": "Setvar", **{k: v for k, v in msg.items() if k != "Action"}}
    text = encode_action(action).decode("utf-8")
    assert text.endswith("\r\n\r\n") and "\r\n\r\n" not in text[:-4]
    assert parse_message(text[:-4]) == action


@given(keys.filter(lambda k: k != "Action"), st.lists(values, min_size=2, max_size=5))
def test_repeated_headers_come_back_as_a_list_in_wire_order(key, vals):
    text = encode_action({"Action": "Originate", key: vals}).decode("utf-8")
    assert parse_message(text[:-4])[key] == vals


@given(st.lists(st.binary(max_size=300), max_size=10))
def test_framer_never_raises_on_garbage(chunks):
    framer = AmiFramer()
    try:
        for chunk in chunks:
            for msg in framer.feed(chunk):
                assert isinstance(msg, dict)
                assert all(isinstance(k, str) and isinstance(v, (str, list)) for k, v in msg.items())
    except FramingError:  # the only error it documents (a message larger than its buffer limit)
        pass


@given(st.lists(st.binary(max_size=200), max_size=8), st.lists(messages, max_size=3))
def test_adapter_delivers_events_in_wire_order_and_survives_garbage(garbage, msgs):
    events = [{"Event": f"E{i}", **{k: v for k, v in m.items() if k not in ("Event", "ActionID")}}
              for i, m in enumerate(msgs)]

    class Factory:
        raw_sink = None
        wanted = None
        seen: list[dict] = []

        @staticmethod
        def on_event(event):
            Factory.seen.append(event)

    class Transport:
        def write(self, data):
            pass

        def close(self):
            pass

    proto = FramingProtocol()
    proto.connection_made(Transport())
    proto.factory = Factory
    proto.data_received(BANNER)
    for g in garbage:  # no blank line inside: garbage must not end a message early
        proto.data_received(g.replace(b"\r\n\r\n", b"").replace(b"\n\n", b"").replace(b"\r\n\r", b""))
    proto.data_received(b"\r\n\r\n")
    Factory.seen.clear()
    for e in events:
        proto.data_received(wire(e))
    assert Factory.seen == events


def _is_clean(text: str) -> bool:
    return C0_DEL.search(text) is None


CONTROLS = st.sampled_from([chr(c) for c in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]])


@given(values, CONTROLS, values)
def test_one_control_character_anywhere_in_a_value_is_refused(before, control, after):
    with pytest.raises(AmiValueError):
        ami_value(before + control + after)
    with pytest.raises(AmiValueError):
        encode_action({"Action": "Setvar", "Value": before + control + after})


@given(hostile(60))
def test_ami_value_refuses_every_control_character_and_passes_the_rest_unchanged(text):
    try:
        out = ami_value(text)
    except AmiValueError:
        assert not _is_clean(text)
    else:
        assert out == text and _is_clean(out)


@given(st.dictionaries(hostile(12), st.one_of(hostile(30), st.lists(hostile(10), max_size=3),
                                                        st.integers(), st.booleans()), max_size=6))
def test_no_encoded_action_line_ever_carries_a_control_character(action):
    action = {"Action": "Ping", **action}
    try:
        data = encode_action(action)
    except AmiValueError:
        return
    text = data.decode("utf-8")
    assert text.endswith("\r\n\r\n")
    for line in text[:-4].split("\r\n"):
        assert line and _is_clean(line) and ": " in line


@given(hostile(20), hostile(40))
def test_channel_variables_are_identifiers_with_clean_values(name, value):
    try:
        item = ami_variable(name, value)
    except AmiValueError:
        return
    assert _is_clean(item) and item == f"{name}={value}"


class Capture:
    """An AmiSender that encodes as the real link does and keeps the bytes."""

    def __init__(self):
        self.wire: list[bytes] = []

    def submit(self, action):
        self.wire.append(encode_action(action))
        fut = asyncio.get_running_loop().create_future()
        fut.set_result(AmiResult({"Response": "Success", "Value": "x"}, []))
        return fut

    async def send(self, action):
        return await self.submit(action)


ACTION_CALLS = [
    lambda a, s: actions.queue_add(a, queue=s, interface=s, member_name=s, state_interface=s),
    lambda a, s: actions.queue_remove(a, queue=s, interface=s),
    lambda a, s: actions.queue_pause(a, interface=s, paused=True, queue=s, reason=s),
    lambda a, s: actions.redirect(a, channel=s, context=s, exten=s),
    lambda a, s: actions.setvar(a, channel=s, variable="HOTLINE_SKILL", value=s),
    lambda a, s: actions.getvar(a, channel=s, variable="HOTLINE_SKILL"),
    lambda a, s: actions.originate(a, channel=s, context=s, exten=s, caller_id=s, variables={"X": s}),
    lambda a, s: actions.hangup(a, channel=s),
    lambda a, s: actions.mixmonitor(a, channel=s, file=s, options=s),
    lambda a, s: actions.stop_mixmonitor(a, channel=s),
    lambda a, s: actions.blind_transfer(a, channel=s, context=s, exten=s),
    lambda a, s: actions.atxfer(a, channel=s, exten=s, context=s),
]


@given(st.sampled_from(range(len(ACTION_CALLS))), hostile(40).filter(bool))
def test_every_action_function_refuses_or_writes_clean_lines(which, value):
    ami = Capture()

    async def go():
        await ACTION_CALLS[which](ami, value)

    try:
        asyncio.run(go())
    except AmiValueError:
        assert not _is_clean(value)  # every name in the table is valid: only the value can be refused
        return
    for data in ami.wire:
        for line in data.decode("utf-8")[:-4].split("\r\n"):
            assert _is_clean(line)


C1 = st.characters(min_codepoint=0x80, max_codepoint=0x9F)


@given(st.text(LETTERS, max_size=5).flatmap(lambda t: C1.map(lambda c: t + c)))
def test_c1_control_characters_are_refused_too(text):
    assert any(unicodedata.category(ch) == "Cc" for ch in text)
    with pytest.raises(AmiValueError):
        ami_value(text)
