"""One test per pyVoIP 1.6.8 gap fixed in integrations/sip/pyvoip_adapter.py.

Each test first shows the upstream behaviour (pinned pyVoIP==1.6.8), then the fixed one.
"""
from __future__ import annotations

import audioop
import math
import socket
import struct
import time

import pytest

from integrations.sip.pyvoip_adapter import (  # re-exports pyVoIP's RTP/SIP: they only import VoIP-first
    RTP, SIP, DtmfNotNegotiated, HotlinePhone, HotlineRTPClient, HotlineSIPClient, HotlineSIPMessage, UpstreamSIPMessage,
)

SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 40000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n")


def ok_response(extra: str = "", cseq: str = "1 INVITE") -> bytes:
    head = ("SIP/2.0 200 OK\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKabc;rport\r\n"
            "Record-Route: <sip:10.0.0.2;lr>\r\n"
            "Record-Route: <sip:10.0.0.1;lr;ftag=x>, <sip:10.0.0.3;lr>\r\n"
            "From: <sip:probe@127.0.0.1>;tag=local1\r\n"
            "To: <sip:12348@127.0.0.1>;tag=remote9\r\n"
            "Call-ID: cid-1@127.0.0.1\r\n"
            f"CSeq: {cseq}\r\n"
            "Contact: <sip:12348@192.0.2.7:5080;transport=udp>\r\n"
            f"{extra}"
            "Content-Type: application/sdp\r\n"
            f"Content-Length: {len(SDP)}\r\n\r\n")
    return (head + SDP).encode()


def _client(**kw) -> HotlineSIPClient:
    return HotlineSIPClient("127.0.0.1", 5060, "probe", "", phone=None, myIP="127.0.0.1", myPort=5062,
                            register=False, **kw)


# ---- fix 1: empty Supported header ---------------------------------------------------------------
def test_empty_supported_header_is_parsed_not_a_crash():
    raw = ok_response("Supported:\r\n")
    with pytest.raises(IndexError):
        UpstreamSIPMessage(raw)  # upstream: "Supported:".split(": ")[1]
    msg = HotlineSIPMessage(raw)
    assert msg.headers["Supported"] == []
    assert msg.status == SIP.SIPStatus.OK and msg.body["m"][0]["port"] == 40000


def test_header_without_space_and_compact_names_are_parsed():
    raw = ok_response("Supported:replaces, timer\r\nk: 100rel\r\nX-Note: a: b\r\n")
    msg = HotlineSIPMessage(raw)
    assert msg.headers["Supported"] == ["replaces", "timer"]
    assert msg.headers["X-Note"] == "a: b"  # upstream keeps only "a"


def test_pyvoip_builds_fixed_messages_everywhere():
    assert SIP.SIPMessage is HotlineSIPMessage


# ---- fix 2: A-law ----------------------------------------------------------------------------------
def _tone_u8(n=160) -> bytes:
    pcm16 = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000))) for i in range(n))
    return audioop.bias(audioop.lin2lin(pcm16, 2, 1), 1, 128)


def test_alaw_negotiated_sends_alaw_not_ulaw():
    assoc = {8: RTP.PayloadType.PCMA, 101: RTP.PayloadType.EVENT}
    frame = _tone_u8()
    expected = audioop.lin2alaw(audioop.bias(frame, 1, -128), 1)
    upstream = RTP.RTPClient(assoc, "127.0.0.1", 0, "127.0.0.1", 9, "sendrecv")
    assert upstream.preference == RTP.PayloadType.PCMA
    assert upstream.encode_packet(frame) != expected  # upstream encodes μ-law under payload type 8
    fixed = HotlineRTPClient(assoc, "127.0.0.1", 0, "127.0.0.1", 9, "sendrecv")
    assert fixed.encode_packet(frame) == expected


# ---- fix 3: RFC 4733 DTMF sending -------------------------------------------------------------------
def _capture(client: HotlineRTPClient, sink: socket.socket, seconds: float) -> list[bytes]:
    out, deadline = [], time.monotonic() + seconds
    sink.settimeout(0.1)
    while time.monotonic() < deadline:
        try:
            out.append(sink.recv(2048))
        except socket.timeout:
            pass
    return out


def test_dtmf_packet_sequence_is_rfc4733():
    assert not hasattr(RTP.RTPClient, "send_dtmf")  # upstream can only receive telephone-events
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    assoc = {8: RTP.PayloadType.PCMA, 101: RTP.PayloadType.EVENT}
    client = HotlineRTPClient(assoc, "127.0.0.1", 0, "127.0.0.1", sink.getsockname()[1], "sendrecv")
    client.send_dtmf("1#", duration_ms=100, gap_ms=40)  # queued before the transmitter starts
    client.start()
    try:
        packets = _capture(client, sink, 0.8)
    finally:
        client.stop()
        sink.close()
    events = [p for p in packets if p[1] & 0x7F == 101]
    digits = {}
    for p in events:
        ts = struct.unpack("!I", p[4:8])[0]
        digits.setdefault(ts, []).append(p)
    assert len(digits) == 2
    for (ts, pkts), code in zip(sorted(digits.items()), (1, 11)):
        assert pkts[0][1] & 0x80  # marker on the first packet of each event
        assert not any(p[1] & 0x80 for p in pkts[1:])
        assert {p[12] for p in pkts} == {code}
        durations = [struct.unpack("!H", p[14:16])[0] for p in pkts]
        assert durations == sorted(durations) and durations[-1] == 5 * 160
        ends = [p for p in pkts if p[13] & 0x80]
        assert len(ends) == 3 and pkts[-3:] == ends
    seqs = [struct.unpack("!H", p[2:4])[0] for p in packets]
    assert all((b - a) & 0xFFFF == 1 for a, b in zip(seqs, seqs[1:]))
    assert any(p[1] & 0x7F == 8 for p in packets)  # audio goes on between and after digits


def test_dtmf_refused_when_telephone_event_not_negotiated_or_digit_invalid():
    client = HotlineRTPClient({8: RTP.PayloadType.PCMA}, "127.0.0.1", 0, "127.0.0.1", 9, "sendrecv")
    with pytest.raises(DtmfNotNegotiated):
        client.send_dtmf("1")
    client = HotlineRTPClient({8: RTP.PayloadType.PCMA, 101: RTP.PayloadType.EVENT}, "127.0.0.1", 0, "127.0.0.1",
                              9, "sendrecv")
    with pytest.raises(ValueError, match="not a DTMF digit"):
        client.send_dtmf("1x")


# ---- fix 4: Record-Route and the dialog -------------------------------------------------------------
def test_ack_and_bye_follow_record_route_and_the_remote_target():
    ok = HotlineSIPMessage(ok_response())
    assert ok.headers["Record-Route"] == ["<sip:10.0.0.2;lr>", "<sip:10.0.0.1;lr;ftag=x>", "<sip:10.0.0.3;lr>"]
    upstream = SIP.SIPClient("127.0.0.1", 5060, "probe", "", phone=None, myIP="127.0.0.1", myPort=5062)
    upstream.tagLibrary["cid-1@127.0.0.1"] = "local1"
    up_ack = upstream.gen_ack(UpstreamSIPMessage(ok_response()))
    assert "Route:" not in up_ack and ";tag=remote9" not in up_ack  # upstream: no route, random To tag

    client = _client()
    client.tagLibrary["cid-1@127.0.0.1"] = "local1"
    client._start_uac_dialog(ok)
    ack = client.gen_ack(ok).split("\r\n")
    assert ack[0] == "ACK sip:12348@192.0.2.7:5080;transport=udp SIP/2.0"
    assert [h for h in ack if h.startswith("Route:")] == [
        "Route: <sip:10.0.0.3;lr>", "Route: <sip:10.0.0.1;lr;ftag=x>", "Route: <sip:10.0.0.2;lr>"]
    assert "To: <sip:12348@127.0.0.1>;tag=remote9" in ack and "CSeq: 1 ACK" in ack
    bye = client.gen_bye(ok).split("\r\n")
    assert bye[0].startswith("BYE sip:12348@192.0.2.7:5080") and "CSeq: 2 BYE" in bye
    assert "Route: <sip:10.0.0.3;lr>" in bye and "From: <sip:probe@127.0.0.1>;tag=local1" in bye


def test_answering_copies_record_route_and_bye_uses_it_in_order():
    invite = HotlineSIPMessage((
        "INVITE sip:seat1001@127.0.0.1:5062 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKxyz\r\n"
        "Record-Route: <sip:10.0.0.2;lr>\r\n"
        "From: \"12348\" <sip:13800138000@10.0.0.9>;tag=ast1\r\n"
        "To: <sip:seat1001@127.0.0.1>\r\n"
        "Call-ID: in-1\r\nCSeq: 7 INVITE\r\n"
        "Contact: <sip:asterisk@10.0.0.9:5060>\r\n"
        f"Content-Type: application/sdp\r\nContent-Length: {len(SDP)}\r\n\r\n{SDP}").encode())
    client = _client()
    ringing = client.gen_ringing(invite)
    answer = client.gen_answer(invite, "1", {40002: {8: RTP.PayloadType.PCMA}}, "sendrecv")
    assert "Record-Route: <sip:10.0.0.2;lr>\r\n" in ringing and "Record-Route: <sip:10.0.0.2;lr>\r\n" in answer
    bye = client.gen_bye(invite).split("\r\n")
    assert bye[0] == "BYE sip:asterisk@10.0.0.9:5060 SIP/2.0"
    assert "Route: <sip:10.0.0.2;lr>" in bye
    assert any(h.startswith("To: \"12348\" <sip:13800138000@10.0.0.9>;tag=ast1") for h in bye)


# ---- fix 5: Call-IDs across restarts ------------------------------------------------------------------
def test_call_ids_are_unique_across_restarts():
    def upstream_first():
        return SIP.SIPClient("127.0.0.1", 5060, "probe", "", phone=None, myIP="127.0.0.1", myPort=5062).gen_call_id()
    assert upstream_first() == upstream_first()  # upstream: sha256 of a counter restarting at 1
    ids = {_client().gen_call_id() for _ in range(50)}
    assert len(ids) == 50
    c = _client()
    assert c.gen_last_call_id() == "" and c.gen_last_call_id() != c.gen_call_id()


# ---- phone-level behaviour the caller relies on ------------------------------------------------------
def test_options_is_answered_and_final_failure_ends_the_call():
    far = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    far.bind(("127.0.0.1", 0))
    far.settimeout(3)
    phone = HotlinePhone("127.0.0.1", far.getsockname()[1], "probe", register=False)
    phone.start()
    try:
        port = phone.sip.myPort
        assert port != 0
        call = phone.call("12348")
        invite = HotlineSIPMessage(far.recv(65535))
        assert invite.body["m"][0]["methods"] == ["8", "0", "101"]  # A-law offered first
        far.sendto((f"OPTIONS sip:probe@127.0.0.1:{port} SIP/2.0\r\n"
                    f"Via: SIP/2.0/UDP 127.0.0.1:{far.getsockname()[1]};branch=z9hG4bKopt\r\n"
                    "From: <sip:ast@127.0.0.1>;tag=o1\r\nTo: <sip:probe@127.0.0.1>\r\n"
                    "Call-ID: opt-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode(), ("127.0.0.1", port))
        assert far.recv(65535).startswith(b"SIP/2.0 200 OK")
        h = invite.headers
        busy = (f"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch={h['Via'][0]['branch']}\r\n"
                f"From: {h['From']['raw']};tag={h['From']['tag']}\r\nTo: {h['To']['raw']};tag=b1\r\n"
                f"Call-ID: {h['Call-ID']}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
        far.sendto(busy.encode(), ("127.0.0.1", port))
        ack = far.recv(65535).decode()
        assert ack.startswith("ACK ") and h["Via"][0]["branch"] in ack
        deadline = time.monotonic() + 3
        while call.failure is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert call.failure == 486 and call.state.name == "ENDED"
    finally:
        phone.stop()
        far.close()
