"""Pure SIP/RTP wire helpers (RFC 3261 dialogs and requests, RFC 4733 payloads): text and bytes in,
text and bytes out. The pyVoIP adapter wires them into pyVoIP; they have no pyVoIP dependency."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

DTMF_EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11, "A": 12, "B": 13, "C": 14, "D": 15}
FRAME = 160  # samples in 20 ms at 8 kHz
CANCEL_KEEPS = ("Via", "From", "To", "Call-ID", "Max-Forwards")


def split_header_list(value: str) -> list[str]:
    """Split a comma-joined header value, keeping commas inside <...> and quotes."""
    out, depth, quoted, cur = [], 0, False, []
    for ch in value:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "<>":
            depth = depth + 1 if ch == "<" else max(0, depth - 1)
        if ch == "," and depth == 0 and not quoted:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur).strip())
    return [v for v in out if v]


def uri_of(value: str) -> str:
    """The URI inside a name-addr (`"x" <sip:a@b;lr>;tag=1` → `sip:a@b;lr`)."""
    m = re.search(r"<([^>]*)>", value)
    return (m.group(1) if m else value.split(";")[0]).strip()


@dataclass
class Dialog:
    """RFC 3261 §12 dialog state: what in-dialog requests (ACK, BYE) must carry."""

    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: str
    remote_uri: str
    remote_target: str
    route_set: list[str]
    cseq: int
    invite_cseq: int
    is_uac: bool


def in_dialog_request(d: Dialog, method: str, cseq: int, *, via: str, contact: str, user_agent: str) -> str:
    """An ACK/BYE inside `d`: Request-URI = remote target, Route = route set (RFC 3261 §12.2.1.1)."""
    target, routes = d.remote_target, list(d.route_set)
    if routes and ";lr" not in uri_of(routes[0]):
        # strict router: it becomes the Request-URI and the remote target goes last in Route
        target, routes = uri_of(routes[0]), routes[1:] + [f"<{d.remote_target}>"]
    lines = [f"{method} {target} SIP/2.0", f"Via: {via}", "Max-Forwards: 70"]
    lines += [f"Route: {r}" for r in routes]
    lines += [f"From: {d.local_uri};tag={d.local_tag}",
              f"To: {d.remote_uri}" + (f";tag={d.remote_tag}" if d.remote_tag else ""),
              f"Call-ID: {d.call_id}", f"CSeq: {cseq} {method}", f"Contact: {contact}",
              f"User-Agent: {user_agent}", "Content-Length: 0"]
    return "\r\n".join(lines) + "\r\n\r\n"


def failure_ack(*, request_uri: str, via: str, from_: str, to: str, call_id: str, cseq: str) -> str:
    """ACK for a non-2xx final response: same R-URI and branch as the INVITE (RFC 3261 §17.1.1.3)."""
    lines = [f"ACK {request_uri} SIP/2.0", f"Via: {via}", f"From: {from_}", f"To: {to}",
             f"Call-ID: {call_id}", f"CSeq: {cseq} ACK", "Max-Forwards: 70", "Content-Length: 0"]
    return "\r\n".join(lines) + "\r\n\r\n"


def cancel_for(invite: str) -> str:
    """CANCEL of an INVITE (RFC 3261 §9.1): same Request-URI, Via, From, To, Call-ID and CSeq number."""
    head = invite.split("\r\n\r\n", 1)[0].split("\r\n")
    keep = [h for h in head[1:] if h.split(":", 1)[0] in CANCEL_KEEPS]
    cseq = next(h for h in head if h.startswith("CSeq:")).split()[1]
    lines = [head[0].replace("INVITE", "CANCEL", 1), *keep, f"CSeq: {cseq} CANCEL", "Content-Length: 0"]
    return "\r\n".join(lines) + "\r\n\r\n"


def insert_headers(message: str, lines: list[str]) -> str:
    """Insert header lines right after the start line."""
    if not lines:
        return message
    head, sep, body = message.partition("\r\n\r\n")
    first, _, rest = head.partition("\r\n")
    return first + "\r\n" + "\r\n".join(lines) + "\r\n" + rest + sep + body


def digest_authorization(header: str, *, username: str, password: str, realm: str, nonce: str, uri: str,
                         method: str, opaque: str | None = None) -> str:
    """An (Proxy-)Authorization line answering an MD5 digest challenge (RFC 2617, no qop)."""
    ha1 = _md5(f"{username}:{realm}:{password}")
    response = _md5(f"{ha1}:{nonce}:{_md5(f'{method}:{uri}')}")
    line = (f'{header}: Digest username="{username}",realm="{realm}",nonce="{nonce}",uri="{uri}",'
            f'response="{response}",algorithm=MD5')
    return line + (f',opaque="{opaque}"' if opaque else "")


def telephone_event_payload(event: int, end: bool, volume: int, duration: int) -> bytes:
    """RFC 4733 §2.3 payload: event, E|R|volume, duration (timestamp units)."""
    return bytes([event, (0x80 if end else 0) | (volume & 0x3F)]) + min(duration, 0xFFFF).to_bytes(2, "big")


def rtp_header(pt: int, marker: bool, seq: int, ts: int, ssrc: int) -> bytes:
    """RTP version 2 fixed header, no CSRCs."""
    return (bytes([0x80, (0x80 if marker else 0) | (pt & 0x7F)]) + (seq & 0xFFFF).to_bytes(2, "big")
            + (ts & 0xFFFFFFFF).to_bytes(4, "big") + (ssrc & 0xFFFFFFFF).to_bytes(4, "big"))


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf8")).hexdigest()  # noqa: S324 — SIP digest is MD5 by definition
