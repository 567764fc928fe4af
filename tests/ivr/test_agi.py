"""The panoramisk adapter: one test per fix listed in ivr/agi.py, plus value checks on every line."""
from __future__ import annotations

import asyncio
import logging

import pytest
from panoramisk.utils import parse_agi_result

from ivr.agi import AgiApplication, AgiClosed, AgiReply, AgiRequest, AgiTimeout, AgiValueError, check_line, parse_reply, quote
from tests.ivr.fakeagi import env_block


def request_over(lines: list[bytes], timeout: float = 2.0) -> tuple[AgiRequest, list[bytes]]:
    """An AgiRequest whose reader yields `lines` and whose writer collects what is sent."""
    reader = asyncio.StreamReader()
    for line in lines:
        reader.feed_data(line)
    reader.feed_eof()
    sent: list[bytes] = []

    class Writer:
        def write(self, data):
            sent.append(data)

        async def drain(self):
            return None

    return AgiRequest(None, {"agi_channel": "PJSIP/caller-00000000"}, reader, Writer(), timeout=timeout), sent


# 1
def test_empty_get_data_keeps_its_timeout_mark():
    assert parse_agi_result("200 result= (timeout)")["result"] == ("", "")  # panoramisk loses it
    reply = parse_reply("200 result= (timeout)")
    assert (reply.code, reply.result, reply.data) == (200, "", "timeout")
    assert parse_reply("200 result=1 (timeout)").result == "1"


# 2
def test_minus_one_keeps_endpos():
    assert "endpos" not in parse_agi_result("200 result=-1 endpos=20000")
    reply = parse_reply("200 result=-1 endpos=20000")
    assert (reply.number, reply.endpos) == (-1, 20000)
    assert parse_reply("200 result=0 endpos=47923").endpos == 47923


# 3
async def test_hangup_line_before_a_reply_does_not_shift_later_replies():
    req, _ = request_over([b"HANGUP\n", b"511 Command Not Permitted on a dead channel or intercept routine\n",
                           b"200 result=1\n"])
    first = await req.send_command("GET DATA hotline/menu 5000 1")
    assert first.code == 511 and first.dead
    second = await req.send_command("SET VARIABLE HOTLINE_SKILL consult")
    assert second.ok and second.result == "1" and second.dead  # the connection stays marked hung up


# 4
def test_511_is_a_dead_channel():
    assert parse_agi_result("511 Command Not Permitted on a dead channel or intercept routine").get("error") == "AGIUnknownError"
    assert parse_reply("511 Command Not Permitted on a dead channel or intercept routine").dead


# 5
async def test_520_usage_is_read_to_its_last_line():
    req, _ = request_over([b"520-Invalid command syntax.  Proper usage follows:\n",
                           b" Usage: GET DATA <file to be streamed> [timeout] [maxdigits]\n",
                           b"  Stream the given file.\n", b"520 End of proper usage.\n", b"200 result=1\n"])
    usage = await req.send_command("GET DATA")
    assert usage.code == 520 and usage.text.endswith("520 End of proper usage.")
    assert (await req.send_command("VERBOSE x 1")).result == "1"


# 6
async def test_a_line_asterisk_would_never_send_is_logged_not_raised(caplog):
    with pytest.raises(ValueError):
        parse_agi_result("hello there")
    req, _ = request_over([b"hello there\n"])
    with caplog.at_level(logging.WARNING, logger="ivr.agi"):
        reply = await req.send_command("ANSWER")
    assert reply.code == 0 and not reply.ok
    assert "unexpected line from Asterisk" in caplog.text and "hello there" in caplog.text


# 7
async def test_eof_while_waiting_raises_agi_closed():
    with pytest.raises(ValueError):
        parse_agi_result("")
    req, _ = request_over([])
    with pytest.raises(AgiClosed):
        await req.send_command("ANSWER")


# 8
async def test_non_utf8_reply_is_decoded_with_replacement(caplog):
    req, _ = request_over([b"200 result=1 (\xd5\xc5\xc8\xfd)\n"])
    with caplog.at_level(logging.WARNING, logger="ivr.agi"):
        reply = await req.send_command("GET VARIABLE CALLERID(name)")
    assert reply.ok and "\ufffd" in reply.data
    assert "not UTF-8" in caplog.text


# 9
async def test_client_leaving_before_the_environment_ends_is_closed_with_a_log_line(caplog):
    app = AgiApplication(env_timeout=2)
    server = await asyncio.start_server(app.handler, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    with caplog.at_level(logging.WARNING, logger="ivr.agi"):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write("".join(env_block()[:5]).encode())
        writer.write_eof()
        assert await asyncio.wait_for(reader.read(), 3) == b""
    writer.close()
    server.close()
    assert "closed before the end of the AGI environment (5 lines read)" in caplog.text


# 10
async def test_script_with_arguments_routes_on_its_path():
    seen = []
    app = AgiApplication()

    async def ivr(request):
        seen.append(request.script)

    app.add_route("ivr", ivr)
    server = await asyncio.start_server(app.handler, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    reader, writer = await asyncio.open_connection(host, port)
    env = [line.replace("agi_network_script: ivr", "agi_network_script: ivr?lang=zh") for line in env_block()]
    writer.write("".join(env).encode())
    await asyncio.wait_for(reader.read(), 3)
    writer.close()
    server.close()
    assert seen == ["ivr"]


# 11
async def test_a_reply_that_never_comes_times_out():
    reader = asyncio.StreamReader()

    class Writer:
        def write(self, data):
            pass

        async def drain(self):
            return None

    req = AgiRequest(None, {}, reader, Writer(), timeout=0.05)
    with pytest.raises(AgiTimeout):
        await req.send_command("ANSWER")


# 12
@pytest.mark.parametrize("bad", ["SET VARIABLE X a\r\nHANGUP", "VERBOSE \n", "SET VARIABLE X \x00", "VERBOSE \x1b[31m"])
async def test_control_characters_never_reach_an_agi_line(bad):
    req, sent = request_over([b"200 result=1\n"])
    with pytest.raises(AgiValueError):
        await req.send_command(bad)
    assert sent == []


def test_quote_escapes_quotes_and_backslashes_and_leaves_safe_values_bare():
    assert quote("consult") == "consult"
    assert quote("q-410100-consult") == "q-410100-consult"
    assert quote("0123456789*#") == '"0123456789*#"'
    assert quote('他说"你好" a\\b') == '"他说\\"你好\\" a\\\\b"'
    assert quote("") == '""'
    with pytest.raises(AgiValueError):
        quote("a\nb")
    with pytest.raises(AgiValueError):
        check_line("x" * 9000)


def test_get_variable_value_with_parentheses_and_spaces_is_kept_whole():
    reply = parse_reply("200 result=1 (张三 (律师))")
    assert reply == AgiReply(200, "1", "张三 (律师)", None, "200 result=1 (张三 (律师))")
    assert parse_reply("200 result=35 (dtmf) endpos=40000").data == "dtmf"


async def test_trying_lines_are_skipped():
    req, _ = request_over([b"100 result=0 Trying...\n", b"200 result=0\n"])
    assert (await req.send_command("EXEC Wait 1")).result == "0"


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.text(max_size=200))
def test_parse_reply_never_raises(line):
    reply = parse_reply(line)
    assert isinstance(reply, AgiReply)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=60))
def test_quoted_values_read_back_unchanged_by_an_agi_argument_parser(value):
    import shlex

    assert shlex.split(f"SET VARIABLE X {quote(value)}")[3:] == ([value] if value else [""])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=80), max_size=6))
async def test_any_bytes_from_asterisk_give_a_reply_or_a_clean_close(chunks):
    req, _ = request_over([c for c in chunks], timeout=0.5)
    try:
        reply = await req.send_command("GET DATA hotline/main-menu 5000 1")
    except (AgiClosed, AgiTimeout):
        return
    assert isinstance(reply, AgiReply)


# 13
async def test_a_call_ended_by_stopping_the_server_logs_no_traceback(caplog):
    app = AgiApplication()
    started = asyncio.Event()

    async def ivr(request):
        started.set()
        await request.send_command("GET DATA hotline/welcome 5000 1")  # never answered

    app.add_route("ivr", ivr)
    server = await asyncio.start_server(app.handler, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    reader, writer = await asyncio.open_connection(host, port)
    writer.write("".join(env_block()).encode())
    await asyncio.wait_for(started.wait(), 3)
    with caplog.at_level(logging.INFO):
        tasks = list(app.connections)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0.05)  # the stream callback runs on the next loop pass
    assert all(t.done() and not t.cancelled() for t in tasks)
    assert "ended by shutdown" in caplog.text and "Traceback" not in caplog.text
    assert "Exception in callback" not in caplog.text
    writer.close()
    server.close()
