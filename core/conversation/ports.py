"""What the conversation needs from outside that the composition root provides: quotas and one-time codes.

Both are optional: without them nothing is capped and no contact can be verified.
"""
from __future__ import annotations

from typing import Protocol


class Refusal(Protocol):
    retry_after: int  # seconds until one more is allowed


class Quotas(Protocol):
    """Counted allowances kept outside the process (a rate limiter on Redis)."""

    def hit(self, rule: str, key: str) -> Refusal | None:
        """Count one use of `rule` by `key`; a Refusal when that is one too many, else None."""


class CodeSender(Protocol):
    """Sends a one-time code to a phone number (by SMS) or an email address."""

    kinds: frozenset[str]  # which of "phone" and "email" it can reach

    def send_code(self, kind: str, address: str, text: str) -> bool:
        """Send `text` to `address`; False when it could not be sent (opted out, refused, unreachable)."""
