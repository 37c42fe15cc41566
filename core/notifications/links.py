"""Signed links in what Slotline sends: one appointment's manage page, a waiting-list offer's page, and an
email unsubscribe.

A token is `<payload>.<signature>`. The payload names the one thing it acts on (an
appointment id; an email address, base64url), the signature is an HMAC-SHA256 of purpose and
payload, cut to 96 bits so that a link still fits in a two-segment SMS. The key is derived from
a secret the web app and the worker share (the admin token): rotating that secret voids every
link already sent, which is the point of rotating it.

A manage token does not expire by itself: the page refuses it once the appointment is over,
whatever its time is by then (a move does not void the link in an earlier reminder).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable

MANAGE_PATH = "/m/"
OFFER_PATH = "/o/"  # a waiting-list offer's page: "Book it" as a POST
UNSUBSCRIBE_PATH = "/email/unsubscribe/"
_SIGNATURE_BYTES = 12
_KEY_LABEL = b"slotline signed links v1"


class BadLink(Exception):
    """The token was not made by us (tampered, truncated, or signed with another secret)."""


class Links:
    """Makes and reads signed links. `secret` is read on first use; `base_url` None makes no URLs (only tokens)."""

    def __init__(self, secret: str | Callable[[], str], base_url: str | None):
        self._secret = secret
        self._key: bytes | None = None
        self.base_url = base_url.rstrip("/") if base_url else None

    def manage_token(self, appointment_id: int) -> str:
        payload = str(int(appointment_id))
        return f"{payload}.{self._sign('manage', payload)}"

    def manage_url(self, appointment_id: int) -> str | None:
        """The manage page of one appointment; None when Slotline has no public URL to link to."""
        return self.base_url + MANAGE_PATH + self.manage_token(appointment_id) if self.base_url else None

    def read_manage(self, token: str) -> int:
        """The appointment id a manage token acts on. Raises BadLink."""
        payload = self._verified("manage", token)
        if not payload.isascii() or not payload.isdigit() or len(payload) > 10:
            raise BadLink("not a manage link")
        return int(payload)

    def offer_token(self, offer_id: int) -> str:
        payload = str(int(offer_id))
        return f"{payload}.{self._sign('offer', payload)}"

    def offer_url(self, offer_id: int) -> str | None:
        """The page of one waiting-list offer; None when Slotline has no public URL to link to."""
        return self.base_url + OFFER_PATH + self.offer_token(offer_id) if self.base_url else None

    def read_offer(self, token: str) -> int:
        """The offer id an offer token acts on. Raises BadLink."""
        payload = self._verified("offer", token)
        if not payload.isascii() or not payload.isdigit() or len(payload) > 10:
            raise BadLink("not an offer link")
        return int(payload)

    def unsubscribe_token(self, address: str) -> str:
        payload = base64.urlsafe_b64encode(address.strip().lower().encode()).decode().rstrip("=")
        return f"{payload}.{self._sign('unsubscribe', payload)}"

    def unsubscribe_url(self, address: str) -> str | None:
        return self.base_url + UNSUBSCRIBE_PATH + self.unsubscribe_token(address) if self.base_url else None

    def read_unsubscribe(self, token: str) -> str:
        """The email address an unsubscribe token is for. Raises BadLink."""
        payload = self._verified("unsubscribe", token)
        try:
            return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise BadLink("not an unsubscribe link") from None

    def _verified(self, purpose: str, token: str) -> str:
        payload, dot, signature = token.rpartition(".")
        if not dot or not payload or len(token) > 512 or not token.isascii():
            raise BadLink("not a signed link")
        if not hmac.compare_digest(signature.encode(), self._sign(purpose, payload).encode()):
            raise BadLink("the link's signature does not match")
        return payload

    def _sign(self, purpose: str, payload: str) -> str:
        digest = hmac.new(self._signing_key(), f"{purpose}:{payload}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_SIGNATURE_BYTES]).decode()

    def _signing_key(self) -> bytes:
        if self._key is None:
            secret = self._secret() if callable(self._secret) else self._secret
            # A key of its own, so a link's signature says nothing about the admin token it came from.
            self._key = hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest()
        return self._key
