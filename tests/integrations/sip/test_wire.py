"""Pure SIP/RTP text helpers used by the pyVoIP adapter."""
from __future__ import annotations

import hashlib

from integrations.sip.wire import (
    Dialog, cancel_for, digest_authorization, failure_ack, in_dialog_request, insert_headers, rtp_header,
    split_header_list, telephone_event_payload, uri_of,
)


def _dialog(routes):
    return Dialog(call_id="c1", local_tag="l", remote_tag="r", local_uri="<sip:a@x>", remote_uri="<sip:b@y>",
                  remote_target="sip:b@10.0.0.9:5080", route_set=routes, cseq=1, invite_cseq=1, is_uac=True)


def test_split_header_list_keeps_commas_inside_brackets_and_quotes():
    assert split_header_list('<sip:a;lr>, "x,y" <sip:b>') == ["<sip:a;lr>", '"x,y" <sip:b>']
    assert split_header_list("") == []


def test_uri_of_name_addr_and_bare_uri():
    assert uri_of('"坐席" <sip:1001@h;lr>;tag=9') == "sip:1001@h;lr"
    assert uri_of("sip:1001@h;tag=9") == "sip:1001@h"


def test_loose_route_keeps_remote_target_as_request_uri():
    text = in_dialog_request(_dialog(["<sip:p1;lr>", "<sip:p2;lr>"]), "BYE", 2, via="SIP/2.0/UDP h;branch=z9hG4bK1",
                             contact="<sip:a@h>", user_agent="t").split("\r\n")
    assert text[0] == "BYE sip:b@10.0.0.9:5080 SIP/2.0"
    assert text[3:5] == ["Route: <sip:p1;lr>", "Route: <sip:p2;lr>"]
    assert "To: <sip:b@y>;tag=r" in text and "CSeq: 2 BYE" in text


def test_strict_router_becomes_the_request_uri():
    text = in_dialog_request(_dialog(["<sip:strict@p1>", "<sip:p2;lr>"]), "BYE", 2, via="v", contact="c",
                             user_agent="t").split("\r\n")
    assert text[0] == "BYE sip:strict@p1 SIP/2.0"
    assert [h for h in text if h.startswith("Route:")] == ["Route: <sip:p2;lr>", "Route: <sip:b@10.0.0.9:5080>"]


def test_cancel_copies_the_invite_transaction():
    invite = ("INVITE sip:12348@pbx SIP/2.0\r\nVia: SIP/2.0/UDP me:5062;branch=z9hG4bKabc\r\nMax-Forwards: 70\r\n"
              "From: <sip:probe@me>;tag=f1\r\nTo: <sip:12348@pbx>\r\nCall-ID: c9\r\nCSeq: 4 INVITE\r\n"
              "Content-Type: application/sdp\r\nContent-Length: 3\r\n\r\nv=0")
    lines = cancel_for(invite).split("\r\n")
    assert lines[0] == "CANCEL sip:12348@pbx SIP/2.0"
    assert "Via: SIP/2.0/UDP me:5062;branch=z9hG4bKabc" in lines and "CSeq: 4 CANCEL" in lines
    assert not any(h.startswith("Content-Type") for h in lines)


def test_failure_ack_and_header_insertion():
    ack = failure_ack(request_uri="sip:x@y", via="SIP/2.0/UDP h;branch=b1", from_="<sip:a@h>;tag=1",
                      to="<sip:x@y>;tag=2", call_id="c", cseq="3")
    assert ack.startswith("ACK sip:x@y SIP/2.0\r\n") and "CSeq: 3 ACK" in ack and ack.endswith("\r\n\r\n")
    assert insert_headers("SIP/2.0 200 OK\r\nA: 1\r\n\r\nbody", ["R: x"]) == "SIP/2.0 200 OK\r\nR: x\r\nA: 1\r\n\r\nbody"


def test_digest_matches_rfc2617_without_qop():
    line = digest_authorization("Authorization", username="seat1001", password="pw", realm="asterisk",
                                nonce="n1", uri="sip:12348@pbx", method="INVITE")
    ha1 = hashlib.md5(b"seat1001:asterisk:pw").hexdigest()
    ha2 = hashlib.md5(b"INVITE:sip:12348@pbx").hexdigest()
    assert f'response="{hashlib.md5(f"{ha1}:n1:{ha2}".encode()).hexdigest()}"' in line
    assert 'uri="sip:12348@pbx"' in line and "opaque" not in line


def test_rtp_and_telephone_event_layout():
    assert telephone_event_payload(11, True, 10, 800) == bytes([11, 0x8A, 0x03, 0x20])
    assert rtp_header(101, True, 0x1_0001, 5, 7) == bytes([0x80, 0xE5, 0, 1, 0, 0, 0, 5, 0, 0, 0, 7])
