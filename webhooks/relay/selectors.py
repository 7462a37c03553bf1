"""Where the relay stands (for /metrics and operators)."""

from __future__ import annotations

from webhooks.relay.models import RelayCursor

AMQP_CURSOR = "amqp"


def relay_position(*, name: str = AMQP_CURSOR) -> int | None:
    """The last sequence the broker confirmed; None when this relay never ran."""
    return RelayCursor.objects.filter(name=name).values_list("last_sequence", flat=True).first()
