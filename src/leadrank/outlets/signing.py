"""Signing deliveries the Standard Webhooks way (standardwebhooks.com): each request carries
`webhook-id` (the message's id, the same on every retry), `webhook-timestamp` (seconds since
the epoch) and `webhook-signature` (`v1,` + base64 of HMAC-SHA256 over
"{id}.{timestamp}.{body}", keyed with the secret's bytes). Any Standard Webhooks library
verifies them with the endpoint's `whsec_...` secret."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A new signing secret: whsec_ and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signed_headers(secret: str, *, msg_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """The three headers of a signed delivery of `body`."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body),
    }
