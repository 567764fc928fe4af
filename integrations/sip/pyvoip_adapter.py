"""The one place where pyVoIP 1.6.8's gaps are fixed (a test per fix in tests/integrations/sip/).

1. Header parsing: pyVoIP splits each header line on ": " and indexes [1], so `Supported:` with an
   empty value raises IndexError — inside `invite()` that crashes the caller, in the receive loop the
   whole message (e.g. the 200 OK) is silently dropped. `HotlineSIPMessage` splits on the first ':',
   accepts empty values, compact header names and repeated/comma-joined Via and Record-Route.
2. A-law: `RTPClient.encode_packet` encodes μ-law for PCMA while stamping payload type 8.
3. DTMF: pyVoIP only receives RFC 4733 telephone-events; `HotlineRTPClient.send_dtmf` sends them.
4. Record-Route: pyVoIP drops it, and its ACK/BYE ignore the dialog (random To tag on the ACK,
   no Route set, BYE to the wrong target). `HotlineSIPClient` keeps a `Dialog` per call.
5. Call-ID: pyVoIP hashes a counter starting at 1, so every restart repeats the same Call-IDs.

Also: OPTIONS is answered (Asterisk's qualify marks a silent seat unreachable), final failure
responses end the call instead of leaving it DIALING forever, unanswered INVITEs can be CANCELled,
INVITE digest auth uses the right method and URI, and ports may be ephemeral (0). The SIP/RTP text
itself is built by the pure helpers in `integrations.sip.wire`. pyVoIP blocks: use it from a thread of
its own (`asyncio.to_thread`). Import `RTP`/`SIP` from here: `pyVoIP.SIP` cannot be imported first.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import pyVoIP
from pyVoIP.VoIP import VoIP as _voip  # first: pyVoIP.SIP and pyVoIP.VoIP import each other

from pyVoIP import RTP, SIP  # noqa: E402
from pyVoIP.VoIP.status import PhoneStatus  # noqa: E402

from integrations.sip.wire import (  # noqa: E402
    DTMF_EVENTS, FRAME, Dialog, cancel_for, digest_authorization, failure_ack, in_dialog_request, insert_headers,
    rtp_header, split_header_list, telephone_event_payload, uri_of,
)

log = logging.getLogger(__name__)

COMPACT = {"v": "Via", "f": "From", "t": "To", "i": "Call-ID", "m": "Contact", "l": "Content-Length",
           "c": "Content-Type", "k": "Supported", "s": "Subject", "e": "Content-Encoding"}
LIST_HEADERS = ("Allow", "Supported", "Require", "Proxy-Require", "Unsupported")
ROUTE_HEADERS = ("Record-Route", "Route")


class HotlineSIPMessage(SIP.SIPMessage):
    """SIPMessage with a tolerant header parser (fix 1) that keeps Record-Route/Route (fix 4)."""

    def parse(self, data: bytes) -> None:
        # pyVoIP refuses OPTIONS outright ("Unable to decipher"), so qualify pings were lost
        self.SIPCompatibleMethods = [*pyVoIP.SIPCompatibleMethods, "OPTIONS"]
        super().parse(data)

    @staticmethod
    def parse_raw_header(headers_raw, handle) -> None:
        headers: dict[str, object] = {"Via": []}
        for raw in headers_raw:
            line = raw.decode("utf8", "replace") if isinstance(raw, bytes) else raw
            name, sep, value = line.partition(":")
            if not sep or not name.strip():
                continue
            name, value = COMPACT.get(name.strip(), name.strip()), value.strip()
            if name == "Via":
                headers["Via"].extend(split_header_list(value))  # type: ignore[union-attr]
            elif name in ROUTE_HEADERS:
                headers.setdefault(name, []).extend(split_header_list(value))  # type: ignore[union-attr]
            elif name not in headers:
                headers[name] = value
        for key, val in headers.items():
            handle(key, val)

    def parse_header(self, header: str, data) -> None:
        if header in LIST_HEADERS:
            self.headers[header] = [v.strip() for v in data.split(",") if v.strip()]
        elif header in ROUTE_HEADERS:
            self.headers[header] = list(data)
        else:
            super().parse_header(header, data)


# Every SIPMessage pyVoIP itself builds (REGISTER responses, ...) uses the fixed parser too.
UpstreamSIPMessage = SIP.SIPMessage
SIP.SIPMessage = HotlineSIPMessage  # type: ignore[misc]


@dataclass
class PendingInvite:
    number: str
    ms: dict
    sendtype: object
    sess_id: str
    text: str = ""
    auth_tried: bool = False


class HotlineSIPClient(SIP.SIPClient):
    """pyVoIP SIPClient with dialogs (fix 4), unique Call-IDs (fix 5), optional registration."""

    def __init__(self, *args, register: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.register_enabled = register
        self.dialogs: dict[str, Dialog] = {}
        self.pending: dict[str, PendingInvite] = {}
        self._last_call_id = ""

    # ---- fix 5: Call-IDs unique across restarts ------------------------------------------
    def gen_call_id(self) -> str:
        self._last_call_id = f"{uuid.uuid4().hex}@{self.myIP}"
        return self._last_call_id

    def gen_last_call_id(self) -> str:
        return self._last_call_id

    # ---- sockets, registration ------------------------------------------------------------
    def start(self) -> None:
        if self.NSD:
            raise RuntimeError("SIP client already started")
        self.NSD = True
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((self.myIP, self.myPort))
        self.myPort = self.s.getsockname()[1]  # port 0 → the ephemeral port the OS chose
        self.out = self.s
        if self.register_enabled:
            self._register_first()
        t = threading.Thread(target=self.recv_loop, name="SIP receive", daemon=True)
        t.start()

    def _register_first(self) -> None:
        """The first REGISTER raises when refused; pyVoIP's `register()` swallows the error and retries
        at once in a timer thread, so a wrong password went unnoticed. Refreshes stay pyVoIP's."""
        with self.recvLock:
            self._SIPClient__register()  # raises InvalidAccountInfoError / TimeoutError
        self.phone._status = PhoneStatus.REGISTERED
        self._SIPClient__start_register_timer()

    def recv(self) -> None:
        raw = self.s.recv(65535)  # BlockingIOError propagates to recv_loop
        if not raw.strip(b"\r\n\x00 "):
            return  # keep-alive
        try:
            message = HotlineSIPMessage(raw)
        except Exception as exc:  # noqa: BLE001 — a bad datagram must not kill the phone
            log.warning("unparseable SIP message dropped: %s", exc)
            return
        try:
            self.parse_message(message)
        except Exception:  # noqa: BLE001
            log.exception("SIP message handling failed")

    def send(self, text: str, addr: tuple[str, int] | None = None) -> None:
        self.out.sendto(text.encode("utf8"), addr or (self.server, self.port))

    # ---- outgoing INVITE: sent, then answered by the receive loop ---------------------------
    def invite(self, number, ms, sendtype):
        call_id = self.gen_call_id()
        sess_id = str(self.sessID.next())
        text = self.gen_invite(number, sess_id, ms, sendtype, self.gen_branch(), call_id)
        self.pending[call_id] = PendingInvite(number, ms, sendtype, sess_id, text)
        self.send(text)
        return HotlineSIPMessage(text.encode("utf8")), call_id, int(sess_id)

    def parse_message(self, message) -> None:
        if message.type == SIP.SIPMessageType.MESSAGE:
            if message.method == "OPTIONS":
                self.send(self.gen_ok(message), self._via_addr(message))
                return
            super().parse_message(message)
            return
        if message.headers.get("CSeq", {}).get("method") != "INVITE":
            return  # responses to BYE/OPTIONS/REGISTER refreshes need nothing more
        call_id = message.headers.get("Call-ID", "")
        code = int(message.status)
        if code < 200:
            return
        if code in (401, 407) and call_id in self.pending and not self.pending[call_id].auth_tried:
            self._ack_failure(message)
            self._reinvite_with_auth(message)
            return
        if code < 300:
            self._start_uac_dialog(message)
            self.pending.pop(call_id, None)
            if self.callCallback is not None:
                self.callCallback(message)
            return
        self._ack_failure(message)
        self.pending.pop(call_id, None)
        if self.callCallback is not None:
            self.callCallback(message)

    def _reinvite_with_auth(self, challenge) -> None:
        call_id = challenge.headers["Call-ID"]
        p = self.pending[call_id]
        p.auth_tried = True
        auth = challenge.authentication
        header = "Proxy-Authorization" if int(challenge.status) == 407 else "Authorization"
        line = digest_authorization(header, username=self.username, password=self.password, realm=auth["realm"],
                                    nonce=auth["nonce"], uri=f"sip:{p.number}@{self.server}", method="INVITE",
                                    opaque=auth.get("opaque"))
        from_tag = self.tagLibrary[call_id]  # gen_invite draws a new tag; the retry keeps the first
        text = self.gen_invite(p.number, p.sess_id, p.ms, p.sendtype, self.gen_branch(), call_id)
        text = text.replace(f";tag={self.tagLibrary[call_id]}", f";tag={from_tag}", 1)
        self.tagLibrary[call_id] = from_tag
        p.text = text.replace("\r\nContent-Length", f"\r\n{line}\r\nContent-Length", 1)
        self.send(p.text)

    def cancel(self, call_id: str) -> bool:
        """CANCEL an INVITE still unanswered (RFC 3261 §9.1: same R-URI, Via branch, CSeq number)."""
        p = self.pending.get(call_id)
        if p is None:
            return False
        self.send(cancel_for(p.text))
        return True

    def _ack_failure(self, response) -> None:
        """ACK for a non-2xx final response: same branch and R-URI as the INVITE (RFC 3261 §17.1.1.3)."""
        h = response.headers
        branch = h["Via"][0].get("branch", self.gen_branch())
        self.send(failure_ack(
            request_uri=uri_of(h["To"]["raw"]), via=f"SIP/2.0/UDP {self.myIP}:{self.myPort};branch={branch}",
            from_=f"{h['From']['raw']};tag={h['From']['tag']}",
            to=h["To"]["raw"] + (f";tag={h['To']['tag']}" if h["To"]["tag"] else ""),
            call_id=h["Call-ID"], cseq=h["CSeq"]["check"]))

    # ---- fix 4: dialogs, Record-Route ------------------------------------------------------
    def _start_uac_dialog(self, ok) -> None:
        h = ok.headers
        call_id = h["Call-ID"]
        if call_id in self.dialogs:
            return
        cseq = int(h["CSeq"]["check"])
        self.dialogs[call_id] = Dialog(
            call_id=call_id, local_tag=h["From"]["tag"], remote_tag=h["To"]["tag"],
            local_uri=h["From"]["raw"], remote_uri=h["To"]["raw"],
            remote_target=uri_of(h.get("Contact", h["To"]["raw"])),
            route_set=list(reversed(h.get("Record-Route", []))), cseq=cseq, invite_cseq=cseq, is_uac=True)

    def _start_uas_dialog(self, invite) -> Dialog:
        h = invite.headers
        call_id = h["Call-ID"]
        if call_id not in self.dialogs:
            cseq = int(h["CSeq"]["check"])
            self.dialogs[call_id] = Dialog(
                call_id=call_id, local_tag=self.tagLibrary[call_id], remote_tag=h["From"]["tag"],
                local_uri=h["To"]["raw"], remote_uri=h["From"]["raw"],
                remote_target=uri_of(h.get("Contact", h["From"]["raw"])),
                route_set=list(h.get("Record-Route", [])), cseq=0, invite_cseq=cseq, is_uac=False)
        return self.dialogs[call_id]

    def gen_answer(self, request, sess_id, ms, sendtype) -> str:
        """200 OK copying the INVITE's Record-Route (RFC 3261 §12.1.1), and the UAS dialog."""
        text = super().gen_answer(request, sess_id, ms, sendtype)
        self._start_uas_dialog(request)
        return insert_headers(text, [f"Record-Route: {r}" for r in request.headers.get("Record-Route", [])])

    def gen_ringing(self, request) -> str:
        text = super().gen_ringing(request)
        return insert_headers(text, [f"Record-Route: {r}" for r in request.headers.get("Record-Route", [])])

    def _in_dialog(self, d: Dialog, method: str, cseq: int) -> str:
        return in_dialog_request(
            d, method, cseq, via=f"SIP/2.0/UDP {self.myIP}:{self.myPort};branch={self.gen_branch()};rport",
            contact=f"<sip:{self.username}@{self.myIP}:{self.myPort}>",
            user_agent=f"hotline12348 (pyVoIP {pyVoIP.__version__})")

    def gen_ack(self, request) -> str:
        d = self.dialogs.get(request.headers["Call-ID"])
        if d is None or int(request.status) >= 300:
            return super().gen_ack(request)
        return self._in_dialog(d, "ACK", d.invite_cseq)

    def gen_bye(self, request) -> str:
        d = self.dialogs.get(request.headers["Call-ID"])
        if d is None:
            d = self._start_uas_dialog(request)
        d.cseq = max(d.cseq, d.invite_cseq if d.is_uac else 0) + 1
        return self._in_dialog(d, "BYE", d.cseq)

    def bye(self, request) -> None:
        self.send(self.gen_bye(request))

    @staticmethod
    def _via_addr(message) -> tuple[str, int]:
        via = message.headers["Via"][0]
        host = via.get("received") or via["address"][0]
        port = via.get("rport") or via["address"][1]
        return host, int(port)




# ---- RTP: fix 2 (A-law) and fix 3 (sending RFC 4733 DTMF) ------------------------------------
class DtmfNotNegotiated(RuntimeError):
    """The far end did not offer telephone-event, so RFC 4733 digits cannot be sent."""


class HotlineRTPClient(RTP.RTPClient):
    """RTPClient that encodes the negotiated codec (fix 2) and sends RFC 4733 digits (fix 3)."""

    def __init__(self, *args, sock: socket.socket | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._sock = sock
        self._events: deque[Iterator[bytes]] = deque()
        self._idle = threading.Event()
        self._idle.set()
        self._events_lock = threading.Lock()  # queueing digits and "nothing left" must not interleave
        self.event_pt = next((pt for pt, kind in self.assoc.items() if kind == RTP.PayloadType.EVENT), None)

    def encode_packet(self, payload: bytes) -> bytes:
        if self.preference == RTP.PayloadType.PCMA:
            return self.encode_pcma(payload)
        return super().encode_packet(payload)

    def start(self) -> None:
        self.sin = self._sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if self._sock is None:
            self.sin.bind((self.inIP, self.inPort))
        self.sout = self.sin
        self.sin.setblocking(False)
        for target, name in ((self.recv, "RTP receive"), (self.trans, "RTP transmit")):
            threading.Thread(target=target, name=name, daemon=True).start()

    def send_dtmf(self, digits: str, duration_ms: int = 160, gap_ms: int = 100, volume: int = 10) -> None:
        """Queue digits as telephone-events; `wait_dtmf()` blocks until they are on the wire."""
        if self.event_pt is None:
            raise DtmfNotNegotiated("telephone-event was not negotiated")
        for d in digits:
            if d.upper() not in DTMF_EVENTS:
                raise ValueError(f"not a DTMF digit: {d!r}")
        with self._events_lock:
            self._idle.clear()
            for d in digits:
                self._events.append(self._event_packets(DTMF_EVENTS[d.upper()], duration_ms, gap_ms, volume))

    def wait_dtmf(self, timeout: float = 10.0) -> bool:
        return self._idle.wait(timeout)

    def _event_packets(self, event: int, duration_ms: int, gap_ms: int, volume: int) -> Iterator[bytes]:
        ts, steps = self.outTimestamp, max(1, duration_ms // 20)
        for i in range(1, steps + 1):
            yield self._packet(self.event_pt, i == 1, ts, telephone_event_payload(event, False, volume, i * FRAME))
        for _ in range(3):  # the end packet is sent three times (RFC 4733 §2.5.1.4)
            yield self._packet(self.event_pt, False, ts, telephone_event_payload(event, True, volume, steps * FRAME))
        self.outTimestamp = ts + (steps + 3) * FRAME
        for _ in range(max(0, gap_ms // 20)):
            yield self._audio_packet()

    def _packet(self, pt: int, marker: bool, ts: int, payload: bytes) -> bytes:
        self.outSequence = (self.outSequence + 1) & 0xFFFF
        return rtp_header(pt, marker, self.outSequence, ts, self.outSSRC) + payload

    def _audio_packet(self) -> bytes:
        payload = self.encode_packet(self.pmout.read(FRAME))
        packet = self._packet(int(self.preference), False, self.outTimestamp, payload)
        self.outTimestamp = (self.outTimestamp + FRAME) & 0xFFFFFFFF
        return packet

    def _next_packet(self) -> bytes:
        with self._events_lock:
            while self._events:
                try:
                    return next(self._events[0])
                except StopIteration:
                    self._events.popleft()
            self._idle.set()
        return self._audio_packet()

    def trans(self) -> None:
        """One packet every 20 ms on a fixed schedule (pyVoIP's loop drifts and mis-encodes PT ≥ 128)."""
        due = time.monotonic()
        while self.NSD:
            try:
                self.sout.sendto(self._next_packet(), (self.outIP, self.outPort))
            except OSError:
                if not self.NSD:
                    return
            due += 0.02
            time.sleep(max(0.0, due - time.monotonic()))


# ---- calls and phone --------------------------------------------------------------------------
class HotlineCall(_voip.VoIPCall):
    """VoIPCall using the fixed RTP client; records why a call failed."""

    failure: int | None = None

    def create_rtp_clients(self, codecs, ip, port, request, baseport) -> None:
        for i, conn in enumerate(request.body["c"]):
            self.RTPClients.append(HotlineRTPClient(
                codecs, ip, port, conn["address"], baseport + i, self.sendmode, dtmf=self.dtmf_callback,
                sock=self.phone.take_rtp_socket(port)))

    def send_dtmf(self, digits: str, duration_ms: int = 160, gap_ms: int = 100, timeout: float = 30.0) -> None:
        """Send digits as RFC 4733 events on every media stream and wait until they are sent."""
        if self.state != _voip.CallState.ANSWERED:
            raise _voip.InvalidStateError("Call is not answered")
        for c in self.RTPClients:
            c.send_dtmf(digits, duration_ms, gap_ms)
        for c in self.RTPClients:
            if not c.wait_dtmf(timeout):
                raise TimeoutError("DTMF not sent in time")

    def failed(self, status: int) -> None:
        for c in self.RTPClients:
            c.stop()
        self.failure = status
        self.state = _voip.CallState.ENDED
        self.phone.calls.pop(self.call_id, None)


class HotlinePhone(_voip.VoIPPhone):
    """VoIPPhone with the fixes above; offers A-law first (what Chinese carriers use)."""

    def __init__(self, server: str, port: int, username: str, password: str = "", *, my_ip: str = "127.0.0.1",
                 sip_port: int = 0, register: bool = True, codecs: tuple[str, ...] = ("PCMA", "PCMU"),
                 call_callback=None) -> None:
        super().__init__(server, port, username, password, myIP=my_ip, callCallback=call_callback,
                         sipPort=sip_port)
        self.codecs = codecs
        self._rtp_sockets: dict[int, socket.socket] = {}
        self.sip = HotlineSIPClient(server, port, username, password, phone=self, myIP=my_ip, myPort=sip_port,
                                    callCallback=self.callback, fatalCallback=self.fatal, register=register)

    def request_port(self, blocking: bool = True) -> int:
        """An RTP port the OS chose (bound now, handed to the RTP client: no race with other tests)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((self.myIP, 0))
        port = sock.getsockname()[1]
        with self.portsLock:
            self._rtp_sockets[port] = sock
            self.assignedPorts.append(port)
        return port

    def take_rtp_socket(self, port: int) -> socket.socket | None:
        with self.portsLock:
            return self._rtp_sockets.pop(port, None)

    def call(self, number: str) -> HotlineCall:
        port = self.request_port()
        table = {"PCMA": (8, RTP.PayloadType.PCMA), "PCMU": (0, RTP.PayloadType.PCMU)}
        media = dict(table[c] for c in self.codecs)
        media[101] = RTP.PayloadType.EVENT
        request, call_id, sess_id = self.sip.invite(number, {port: media}, RTP.TransmitType.SENDRECV)
        call = HotlineCall(self, _voip.CallState.DIALING, request, sess_id, self.myIP, ms={port: media},
                           sendmode=self.sendmode)
        self.calls[call_id] = call
        return call

    def _create_Call(self, request, sess_id) -> None:  # noqa: N802 — pyVoIP's name
        self.calls[request.headers["Call-ID"]] = HotlineCall(
            self, _voip.CallState.RINGING, request, sess_id, self.myIP, sendmode=self.recvmode)

    def callback(self, request) -> None:
        if request.type == SIP.SIPMessageType.RESPONSE and int(request.status) >= 300:
            call = self.calls.get(request.headers.get("Call-ID", ""))
            if isinstance(call, HotlineCall):
                call.failed(int(request.status))
            return
        super().callback(request)

    def stop(self, failed: bool = False) -> None:
        super().stop(failed)
        with self.portsLock:
            for sock in self._rtp_sockets.values():
                sock.close()
            self._rtp_sockets.clear()
