from django.db import models


class IdempotencyRecord(models.Model):
    """The first completed answer to a client's ``Idempotency-Key`` (API-CONTRACT.md 4.2)."""

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight"
        COMPLETED = "completed"

    client_key = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    state = models.CharField(max_length=10, choices=State.choices, default=State.IN_FLIGHT)
    locked_until = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # Text, not JSON: jsonb reorders keys, and a replay must be byte-for-byte the original.
    response_body = models.TextField(null=True, blank=True)  # noqa: DJ001  (null: no body, "" is a body)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client_key", "key"], name="uniq_idempotency_key")]

    def __str__(self) -> str:
        return f"{self.client_key} {self.key} ({self.state})"
