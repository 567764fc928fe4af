"""Fuzz of the FastAGI side: reply parsing, the environment read, and every value the IVR puts on an AGI line.

Arguments are read back with a model of res_agi.c's `parse_args` (quotes toggle, a backslash makes the
next character literal, blanks outside quotes separate words) — the parser Asterisk itself applies.
"""
from __future__ import annotations

import asyncio
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.agi import AgiApplication, AgiReply, AgiValueError, check_line, parse_reply, quote
from ivr.channel import AgiChannel, CallerHungUp

pytestmark = pytest.mark.fuzz

C0_DEL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # C0, DEL, C1, Unicode line/paragraph separators
# text as an attacker or a broken peer writes it: line breaks, NUL, escapes and quotes come often, any
# other character (CJK, emoji, combining marks) too
HOSTILE = st.one_of(st.sampled_from(list("\r\n\x00\t\x0b\x0c\x1b\x7f:\" \\")), st.characters(blacklist_categories=("Cs",)))


def hostile(max_size: int):
    """Text biased towards the characters that break protocol lines."""
    return st.text(HOSTILE, max_size=max_size)
clean_text = st.text(st.characters(blacklist_categories=("Cs",),
                                   blacklist_characters="".join(map(chr, [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]))), max_size=60)


def res_agi_parse_args(line: str) -> list[str]:
    """What Asterisk's res_agi.c parse_args makes of a command line (the argv of the command)."""
    argv: list[str] = []
    cur: list[str] | None = None
    quoted = escaped = False
    whitespace = True
    for ch in line:
        if ch == '"' and not escaped:
            quoted = not quoted
            if quoted and whitespace:
                cur = []
                argv.append("")
                whitespace = False
            escaped = False
            continue
        if ch in " \t" and not quoted and not escaped:
            whitespace = True
            continue
        if ch == "\\" and not escaped:
            escaped = True
            continue
        if whitespace:
            cur = []
            argv.append("")
            whitespace = False
        assert cur is not None
        argv[-1] += ch
        escaped = False
    return argv


def test_the_parse_args_model_reads_what_asterisk_reads():
    assert res_agi_parse_args('SET VARIABLE X "a b"') == ["SET", "VARIABLE", "X", "a b"]
    assert res_agi_parse_args('SET VARIABLE X ""') == ["SET", "VARIABLE", "X", ""]
    assert res_agi_parse_args(r'VERBOSE "say \"hi\" \\ ok" 1') == ["VERBOSE", 'say "hi" \\ ok', "1"]


@given(clean_text)
def test_a_quoted_argument_reads_back_unchanged_in_asterisk(value):
    assert res_agi_parse_args(f"SET VARIABLE HOTLINE_X {quote(value)}") == ["SET", "VARIABLE", "HOTLINE_X", value]


CONTROLS = st.sampled_from([chr(c) for c in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]])


@given(clean_text, CONTROLS, clean_text)
def test_one_control_character_anywhere_in_an_argument_is_refused(before, control, after):
    with pytest.raises(AgiValueError):
        quote(before + control + after)
    with pytest.raises(AgiValueError):
        check_line(f"VERBOSE {before}{control}{after} 1")


@given(hostile(60))
def test_quote_refuses_control_characters_and_never_emits_them(value):
    try:
        out = quote(value)
    except AgiValueError:
        assert C0_DEL.search(value)
    else:
        assert not C0_DEL.search(out)


@given(hostile(120))
def test_check_line_passes_only_clean_lines(line):
    try:
        assert check_line(line) == line
    except AgiValueError:
        assert C0_DEL.search(line) or len(line.encode()) > 8192
    else:
        assert not C0_DEL.search(line)


@given(hostile(200))
def test_parse_reply_never_raises_and_keeps_the_line(line):
    reply = parse_reply(line)
    assert isinstance(reply, AgiReply) and (reply.code == 0 or reply.text == line)


@given(st.from_regex(r"\A-?[0-9*#A-Za-z]{0,12}\Z"), st.one_of(st.none(), st.from_regex(r"\A[a-z ]{1,12}\Z")),
       st.one_of(st.none(), st.integers(-1, 10**9)))
def test_a_200_reply_comes_apart_into_result_data_and_endpos(result, data, endpos):
    line = f"200 result={result}" + (f" ({data})" if data is not None else "") + \
        (f" endpos={endpos}" if endpos is not None else "")
    reply = parse_reply(line)
    assert (reply.code, reply.result, reply.data, reply.endpos) == (200, result, data or "", endpos)


class Recorder:
    """The request side of one FastAGI connection: keeps each command line, answers 200 result=0."""

    def __init__(self):
        self.headers = {"agi_channel": "PJSIP/caller-00000001"}
        self.lines: list[str] = []

    async def send_command(self, command, timeout=None):
        check_line(command)  # what AgiRequest does before writing
        self.lines.append(command)
        return AgiReply(200, "1", "x")


CHANNEL_CALLS = [
    lambda ch, s: ch.set_var("HOTLINE_CALLBACK_NUMBER", s),
    lambda ch, s: ch.set_var(s, "1"),
    lambda ch, s: ch.get_var(s),
    lambda ch, s: ch.verbose(s),
    lambda ch, s: ch.stream(s),
    lambda ch, s: ch.stream("greeting", escape=s),
    lambda ch, s: ch.get_data(s, 5000, 4),
    lambda ch, s: ch.say_digits(s),
    lambda ch, s: ch.record(s, 60, 5),
]


@given(st.sampled_from(range(len(CHANNEL_CALLS))), hostile(40))
def test_whatever_the_ivr_is_given_no_agi_line_carries_a_control_character(which, value):
    req = Recorder()

    async def go():
        await CHANNEL_CALLS[which](AgiChannel(req), value)

    try:
        asyncio.run(go())
    except (AgiValueError, CallerHungUp):
        pass
    for line in req.lines:
        assert not C0_DEL.search(line)
        assert "\n" not in line and "\r" not in line


@given(hostile(40))
def test_a_variable_value_set_by_the_ivr_is_the_value_asterisk_stores(value):
    req = Recorder()
    try:
        asyncio.run(AgiChannel(req).set_var("HOTLINE_CATEGORY", value))
    except AgiValueError:
        assert C0_DEL.search(value)
        return
    assert res_agi_parse_args(req.lines[0])[3] == value


@given(st.lists(st.binary(max_size=120), max_size=8))
def test_environment_read_survives_any_bytes_and_keeps_only_agi_variables(chunks):
    async def go():
        app = AgiApplication()
        reader = asyncio.StreamReader()
        for c in chunks:
            reader.feed_data(c)
        reader.feed_eof()
        return await app.read_env(reader)

    headers = asyncio.run(go())
    assert headers is None or all(k.startswith("agi_") for k in headers)


C1 = st.characters(min_codepoint=0x80, max_codepoint=0x9F)


@given(st.text("abc 张三", max_size=5).flatmap(lambda t: C1.map(lambda c: t + c)))
def test_c1_control_characters_are_refused_on_agi_lines(value):
    with pytest.raises(AgiValueError):
        quote(value)
