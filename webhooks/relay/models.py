from django.db import models


class RelayCursor(models.Model):
    """How far a relay has published the outbox: the last sequence its broker confirmed."""

    name = models.CharField(max_length=64, unique=True)
    last_sequence = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} relayed through {self.last_sequence}"
