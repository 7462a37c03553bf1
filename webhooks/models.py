from django.db import models


class EventCounter(models.Model):
    """One row; incrementing it takes a row lock held to commit, so sequences follow commit order."""

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"event sequence at {self.value}"


class Event(models.Model):
    """The transactional outbox: written in the same transaction as the change it describes."""

    sequence = models.BigIntegerField(unique=True)
    event_id = models.CharField(max_length=40, unique=True)
    type = models.CharField(max_length=64, db_index=True)
    timestamp = models.DateTimeField(db_index=True)
    data = models.JSONField()

    class Meta:
        ordering = ["sequence"]

    def __str__(self) -> str:
        return f"{self.sequence} {self.type}"

    def envelope(self) -> dict:
        return {
            "id": self.event_id,
            "type": self.type,
            "sequence": self.sequence,
            "timestamp": self.timestamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.timestamp.microsecond // 1000:03d}Z",
            "data": self.data,
        }


class EventAudience(models.Model):
    """Which partner may see an event, decided once when it is written (brand sees all)."""

    class Kind(models.TextChoices):
        SUPPLIER = "supplier"
        RETAILER = "retailer"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="audience")
    partner_kind = models.CharField(max_length=10, choices=Kind.choices)
    partner_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "partner_kind", "partner_id"], name="uniq_event_audience"),
        ]
        indexes = [models.Index(fields=["partner_kind", "partner_id", "event"], name="event_audience_lookup")]
