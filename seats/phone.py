"""Remote control of a seat's SIP phone through Asterisk (PJSIPNotify), for hold from the console.

Asterisk 22 has no manager action that holds a bridged call; call-center phones (Yealink, Fanvil,
Grandstream…) accept the BroadSoft remote-control NOTIFY (`Event: hold` / `Event: talk`), sent with the
AMI action PJSIPNotify. The values are checked by `routing.safety` like every other action.
"""
from __future__ import annotations

from routing.results import AmiResult, AmiSender


async def phone_hold(ami: AmiSender, *, endpoint: str, hold: bool) -> AmiResult:
    """Ask the seat's phone to hold (`Event: hold`) or resume (`Event: talk`) its call."""
    return await ami.send({"Action": "PJSIPNotify", "Endpoint": endpoint,
                           "Variable": [f"Event={'hold' if hold else 'talk'}"]})
