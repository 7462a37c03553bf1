from __future__ import annotations

from django.db import models


class EventCounter(models.Model):
    """One row. On SQLite (one writer at a time) ``value`` hands out the sequences; on
    PostgreSQL a database sequence does and ``value`` stays unused (``webhooks.sequencing``)."""

    value = models.BigIntegerField(default=0)
    # Highest sequence removed by the retention purge: a cursor below it has missed events.
    purged_through = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"event sequence at {self.value}"


class Event(models.Model):
    """The transactional outbox: written in the same transaction as the change it describes."""

    sequence = models.BigIntegerField(unique=True)
    event_id = models.CharField(max_length=40, unique=True)
    type = models.CharField(max_length=64, db_index=True)
    timestamp = models.DateTimeField(db_index=True)
    data = models.JSONField()
    # PostgreSQL: the snapshot's xmax taken after the sequence was drawn. Every transaction
    # that may still commit an event with a smaller sequence has an xid below it, so a reader
    # may pass this event once its own snapshot's xmin reaches it (``webhooks.sequencing``).
    horizon = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["horizon"], name="event_horizon")]

    def __str__(self) -> str:
        return f"{self.sequence} {self.type}"

    def for_audience(self, data: dict | None) -> Event:
        """This event as one audience sees it (its own ``data`` when the audience row has one)."""
        if data is not None:
            self.data = data
        return self

    def envelope(self) -> dict:
        return {
            "id": self.event_id,
            "type": self.type,
            "sequence": self.sequence,
            "timestamp": event_timestamp(self.timestamp),
            "data": self.data,
        }


def event_timestamp(value) -> str:
    """An event's timestamp as every envelope writes it: UTC, milliseconds, ``Z``."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class EventAudience(models.Model):
    """Which partner may see an event, decided once when it is written (brand sees all)."""

    class Kind(models.TextChoices):
        SUPPLIER = "supplier"
        RETAILER = "retailer"

    # Leads uniq_event_audience: no index of its own (issue 19, redundant indexes).
    event = models.ForeignKey(Event, db_index=False, on_delete=models.CASCADE, related_name="audience")
    partner_kind = models.CharField(max_length=10, choices=Kind.choices)
    partner_id = models.BigIntegerField()
    # The event's sequence, copied so a partner's feed page is one index range scan.
    sequence = models.BigIntegerField(null=True)
    # What this partner sees when it differs from ``Event.data`` (a retailer's own view of an
    # item: what it can be promised, nothing about other retailers); null = ``Event.data``.
    data = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "partner_kind", "partner_id"], name="uniq_event_audience"),
        ]
        indexes = [
            models.Index(fields=["partner_kind", "partner_id", "event"], name="event_audience_lookup"),
            models.Index(fields=["partner_kind", "partner_id", "sequence"], name="event_audience_feed"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_kind} {self.partner_id} sees event {self.event_id}"


class Endpoint(models.Model):
    """A partner's webhook subscription: where to POST, which event types, with which secret."""

    class OwnerKind(models.TextChoices):
        SUPPLIER = "supplier"
        RETAILER = "retailer"
        BRAND = "brand"

    public_id = models.CharField(max_length=40, unique=True)
    # The owner is a partner id, not a foreign key: webhooks knows audiences, not partners.
    owner_kind = models.CharField(max_length=10, choices=OwnerKind.choices)
    owner_id = models.BigIntegerField(null=True, blank=True)
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=500, blank=True, default="")
    event_types = models.JSONField(default=list)
    secret = models.CharField(max_length=100)
    # Kept for 24 h after a rotation so receivers can switch secrets without dropping events.
    previous_secret = models.CharField(max_length=100, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True, default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Start of the current run of failed attempts; cleared by any success.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["owner_kind", "owner_id"], name="endpoint_owner")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.url}"

    def wants(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types


class Delivery(models.Model):
    """One event owed to one endpoint: a database row, so nothing is lost when the broker is down."""

    class State(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    # Leads uniq_delivery_event_endpoint: no index of its own (issue 19, redundant indexes).
    event = models.ForeignKey(Event, db_index=False, on_delete=models.CASCADE, related_name="deliveries")
    # Leads delivery_endpoint_recent: no index of its own (issue 19, redundant indexes).
    endpoint = models.ForeignKey(Endpoint, db_index=False, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # Position in the retry schedule; /recover starts a new cycle without losing the count.
    cycle_attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When a task for this delivery was last handed to the broker; the sweeper leaves
    # recently enqueued rows alone so a backlog is not published again every few seconds.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="uniq_delivery_event_endpoint")]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["endpoint", "-id"], name="delivery_endpoint_recent"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} of {self.event_id} to {self.endpoint_id} ({self.state})"


class DeliveryAttempt(models.Model):
    """Every HTTP attempt, successful or not, as partners and staff see it."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    success = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True, default="")
    response_body = models.CharField(max_length=1000, blank=True, default="")

    class Meta:
        ordering = ["delivery_id", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="uniq_delivery_attempt_number")]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"
