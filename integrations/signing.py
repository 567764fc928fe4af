"""HMAC-SHA256 request signing shared by the dispatcher, the webhook and the reference receiver.

The signature covers ``<timestamp>.<body>`` so a captured body cannot be replayed with a new
timestamp; the key id header says which shared secret was used (keys can be rotated).
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

KEY_ID = "X-Hotline-Key-Id"
TIMESTAMP = "X-Hotline-Timestamp"
SIGNATURE = "X-Hotline-Signature"


class SignatureError(ValueError):
    """A request whose signature cannot be trusted; `reason` is a short code for the audit log."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``<timestamp>.<body>``."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signed_headers(key_id: str, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """Headers that authenticate `body` sent at `timestamp` (epoch seconds)."""
    return {KEY_ID: key_id, TIMESTAMP: str(timestamp), SIGNATURE: "v1=" + sign(secret, timestamp, body)}


def verify(headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str], now: float,
           tolerance: float) -> tuple[str, str]:
    """Check the signature and freshness; return (key id, signature) or raise SignatureError."""
    key_id, ts, sig = headers.get(KEY_ID), headers.get(TIMESTAMP), headers.get(SIGNATURE)
    if not key_id or not ts or not sig:
        raise SignatureError("missing", "缺少签名头 (missing signature headers)")
    secret = secrets.get(key_id)
    if secret is None:
        raise SignatureError("unknown_key", f"未知密钥 (unknown key id): {key_id[:32]!r}")
    try:
        stamp = int(ts)
    except ValueError:
        raise SignatureError("bad_timestamp", "时间戳格式不正确 (timestamp must be epoch seconds)") from None
    expected = "v1=" + sign(secret, stamp, body)
    if not hmac.compare_digest(expected, sig):
        raise SignatureError("bad_signature", "签名不正确 (signature does not match)")
    if abs(now - stamp) > tolerance:
        raise SignatureError("stale", f"时间戳超出允许范围 (timestamp outside ±{int(tolerance)} s: replay or clock skew)")
    return key_id, sig.removeprefix("v1=")
