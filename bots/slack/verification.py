"""Slack's request signature, checked before Bolt (or anything of ours) acts on a request.

Bolt checks the signature too, but a timestamp that is not a number makes its check raise,
and Bolt then hands the unverified body to the app's error handler as if a listener had
failed: a 500, and a message to whichever user the body names. These checks never raise.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from slack_sdk.signature import SignatureVerifier

TIMESTAMP_HEADER = "x-slack-request-timestamp"
SIGNATURE_HEADER = "x-slack-signature"
MAX_TIMESTAMP_DIGITS = 12  # seconds since 1970 for the next 30,000 years; int() of more is wasted work


def signed_by_slack(signing_secret: str | None, body: bytes, timestamp: str | None, signature: str | None) -> bool:
    """True only when `body` carries Slack's signature under `signing_secret` from within the last 5 minutes.

    Anything else is False: no secret configured, a header missing, a timestamp that is not plain
    ASCII digits (`int()` would take " 12", "1_2" or Arabic digits), a stale or future timestamp,
    a signature that is not `v0=<hex>`, a body that is not UTF-8.
    """
    if not (signing_secret and timestamp and signature):
        return False
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS):
        return False
    if not (signature.isascii() and signature.startswith("v0=")):  # compare_digest refuses non-ASCII str
        return False
    try:
        return SignatureVerifier(signing_secret).is_valid(body, timestamp, signature)
    except ValueError:  # UnicodeDecodeError: Slack signs UTF-8 bodies only
        return False


def bolt_request_verified(mode: str, raw_body: str, headers: Mapping[str, Sequence[str]],
                          signing_secret: str | None) -> bool:
    """Whether a request Bolt holds came from Slack: over Socket Mode (Slack opened that connection to
    our app-level token), or over HTTP with a valid signature. For the error handler, which Bolt may
    call for a request its own check never passed."""
    if mode == "socket_mode":
        return True

    def first(name: str) -> str | None:
        values = headers.get(name) or ()
        return values[0] if values else None

    return signed_by_slack(signing_secret, raw_body.encode("utf-8", "surrogateescape"),
                           first(TIMESTAMP_HEADER), first(SIGNATURE_HEADER))
