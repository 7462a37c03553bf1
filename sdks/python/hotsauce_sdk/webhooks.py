"""Standard Webhooks signature verification (webhook-id, webhook-timestamp, webhook-signature)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

__all__ = ["WebhookVerificationError", "verify_webhook"]


def verify_webhook(secret: str, body: bytes | str, headers: Mapping[str, str]) -> dict[str, Any]:
    """The event envelope if the signature and timestamp (5 min tolerance) check out, else raise
    ``WebhookVerificationError``. Pass the raw body exactly as received, before any JSON parsing."""
    lowered = {k.lower(): v for k, v in headers.items()}
    payload = body.decode() if isinstance(body, bytes) else body
    Webhook(secret).verify(payload, lowered)
    return json.loads(payload)
