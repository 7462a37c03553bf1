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


class JobRun(models.Model):
    """One row per periodic job: since when it is owed, when it last succeeded (``hotsauce.jobs``).

    A table, not the cache or beat's memory: it survives restarts of every process, and the
    web processes (``/readyz``, the dashboard) read what the workers wrote.
    """

    name = models.CharField(max_length=100, primary_key=True)
    # When this job was first expected to run here: a job that never succeeded is overdue
    # once twice its period has passed since then.
    tracked_since = models.DateTimeField()
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True, default="")

    def __str__(self) -> str:
        return f"job {self.name}"
