"""Gauges read from the outbox when /metrics is scraped: lag per consumer, endpoints, sequence.

Registered with ``hotsauce.metrics`` by ``WebhooksConfig.ready``; the answering process
computes them from the database, so every web process reports the same values.
"""

from __future__ import annotations

from django.db.models import Count, Min
from prometheus_client.core import GaugeMetricFamily

from webhooks.models import Delivery, Endpoint
from webhooks.relay.selectors import relay_position
from webhooks.sequencing import sequence_newest

FAILING_LISTED = 100


class OutboxCollector:
    def describe(self):
        return []  # nothing to read at registration time

    def collect(self):
        yield from self._outbox()
        yield from self._endpoints()

    @staticmethod
    def _outbox():
        newest = sequence_newest()
        oldest = Delivery.objects.filter(state=Delivery.State.PENDING).aggregate(seq=Min("event__sequence"))["seq"]
        lag = GaugeMetricFamily("hotsauce_outbox_lag_events", "Events from the oldest one a consumer still owes "
                                "through the newest (0 when nothing is owed).", labels=["consumer"])
        lag.add_metric(["webhooks"], newest - oldest + 1 if oldest is not None else 0)
        relayed = relay_position()
        if relayed is not None:  # the RabbitMQ relay has run at least once
            lag.add_metric(["amqp_relay"], max(0, newest - relayed))
        yield lag
        sequence = GaugeMetricFamily("hotsauce_event_sequence", "Newest event sequence written.")
        sequence.add_metric([], newest)
        yield sequence

    @staticmethod
    def _endpoints():
        counts = {"enabled": 0, "disabled": 0, "failing": 0}
        for row in Endpoint.objects.values("enabled").annotate(n=Count("id")):
            counts["enabled" if row["enabled"] else "disabled"] += row["n"]
        failing = list(Endpoint.objects.filter(enabled=True, failing_since__isnull=False)
                       .order_by("failing_since").values_list("public_id", "failing_since")[:FAILING_LISTED])
        counts["failing"] = Endpoint.objects.filter(enabled=True, failing_since__isnull=False).count()
        family = GaugeMetricFamily("hotsauce_webhook_endpoints", "Webhook endpoints by state.", labels=["state"])
        for state, n in counts.items():
            family.add_metric([state], n)
        yield family
        since = GaugeMetricFamily("hotsauce_webhook_endpoint_failing_since_timestamp_seconds",
                                  f"Start of the current run of failures of each failing endpoint (the "
                                  f"{FAILING_LISTED} longest failing).", labels=["endpoint"])
        for public_id, failing_since in failing:
            since.add_metric([public_id], failing_since.timestamp())
        yield since
