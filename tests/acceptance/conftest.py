"""The real-Asterisk acceptance kit: runs only when HOTLINE_ACCEPTANCE_AMI and HOTLINE_ACCEPTANCE_SIP
point at an Asterisk loaded with `hotline12348 config render` output and the engine is running
against it (scripts/acceptance.sh sets all of this up). Otherwise every test is skipped, saying why."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

import pytest

from hotline.settings import Settings

AMI_SPEC = re.compile(r"^(?P<user>[^:@]+):(?P<secret>[^@]+)@(?P<host>[^:]+):(?P<port>\d+)$")


@dataclass(frozen=True)
class Acceptance:
    """Where the real system is, from the environment."""

    ami_user: str
    ami_secret: str
    ami_host: str
    ami_port: int
    sip_host: str
    sip_port: int
    seat_extension: str
    seat_password: str
    caller_number: str
    caller_ip: str
    seat_ip: str
    settings: Settings


def _host_port(spec: str, default_port: int) -> tuple[str, int]:
    host, _, port = spec.partition(":")
    return host, int(port or default_port)


def load_acceptance() -> Acceptance | str:
    """The acceptance targets, or the reason the kit cannot run."""
    ami, sip = os.environ.get("HOTLINE_ACCEPTANCE_AMI"), os.environ.get("HOTLINE_ACCEPTANCE_SIP")
    if not ami or not sip:
        return ("real-Asterisk acceptance kit: set HOTLINE_ACCEPTANCE_AMI=user:secret@host:port and "
                "HOTLINE_ACCEPTANCE_SIP=host:port (scripts/acceptance.sh does it)")
    m = AMI_SPEC.match(ami)
    if not m:
        return f"HOTLINE_ACCEPTANCE_AMI must look like user:secret@host:port, got {ami!r}"
    seat = os.environ.get("HOTLINE_ACCEPTANCE_SEAT", "")
    if ":" not in seat:
        return "HOTLINE_ACCEPTANCE_SEAT=extension:password (a seat endpoint of the rendered pjsip.conf) is required"
    ext, _, password = seat.partition(":")
    sip_host, sip_port = _host_port(sip, 5060)
    return Acceptance(
        m["user"], m["secret"], m["host"], int(m["port"]), sip_host, sip_port, ext, password,
        os.environ.get("HOTLINE_ACCEPTANCE_CALLER", "13800138000"),
        os.environ.get("HOTLINE_ACCEPTANCE_CALLER_IP", "127.0.0.2"),
        os.environ.get("HOTLINE_ACCEPTANCE_SEAT_IP", "127.0.0.1"),
        Settings())


@pytest.fixture(scope="session")
def acceptance() -> Acceptance:
    found = load_acceptance()
    if isinstance(found, str):
        pytest.skip(found)
    return found
