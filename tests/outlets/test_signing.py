"""Deliveries are signed the Standard Webhooks way: the specification's own example, and
any verifier with the endpoint's secret."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from leadrank.outlets.signing import new_secret, signed_headers

# The example of the Standard Webhooks specification (github.com/standard-webhooks, spec).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specifications_example_is_signed_as_it_says() -> None:
    at = datetime.fromtimestamp(SPEC_TIMESTAMP, UTC)
    headers = signed_headers(SPEC_SECRET, msg_id=SPEC_ID, at=at, body=SPEC_BODY)
    assert headers == {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TIMESTAMP),
        "webhook-signature": SPEC_SIGNATURE,
    }


def test_a_new_secret_signs_what_a_verifier_accepts_and_nothing_else() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and len(secret) == 6 + 44
    assert new_secret() != secret
    body = b'{"type":"lead.scored","data":{"lead_id":1}}'
    headers = signed_headers(secret, msg_id="msg_1", at=datetime.now(UTC), body=body)
    assert Webhook(secret).verify(body, headers)["data"] == {"lead_id": 1}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"1}", b"2}"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
