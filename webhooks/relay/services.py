"""Publishing the outbox to RabbitMQ in sequence order (API-CONTRACT.md section 7).

Topic exchange ``hotsauce.events``; routing key ``<event type>.<supplierId>`` (``brand``
for events that concern no supplier); persistent messages; ``message_id`` = the event id;
the body is the envelope of 5.1. The relay reads the outbox through the feed's own
selector and moves its cursor only past what the broker confirmed, so a crash at any
point re-sends (same ``message_id``) and never skips: at-least-once, in order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from kombu import Connection, Exchange, Producer

from hotsauce import metrics
from hotsauce.errors import CursorExpired
from hotsauce.jobs import job_succeeded
from webhooks import selectors
from webhooks.delivery import envelope_body
from webhooks.models import Event
from webhooks.relay.models import RelayCursor
from webhooks.relay.selectors import AMQP_CURSOR

logger = logging.getLogger("hotsauce.relay")

NO_SUPPLIER_KEY = "brand"
DEFAULT_BATCH = 200
# The relay is a job for /readyz and jobs_status (settings.PERIODIC_JOBS_OUTSIDE_BEAT): each
# time it has caught up it counts as a success, written at most this often.
RELAY_JOB = "events-relay"
HEARTBEAT_SECONDS = 15.0


def routing_key(event: Event) -> str:
    supplier = event.data.get("supplierId") if isinstance(event.data, dict) else None
    return f"{event.type}.{supplier or NO_SUPPLIER_KEY}"


def exchange() -> Exchange:
    return Exchange(settings.EVENTS_AMQP_EXCHANGE, type="topic", durable=True)


def broker_connect(url: str) -> Connection:
    # confirm_publish: every publish waits for the broker's ack (a nack or a lost
    # connection raises), so "published" below always means "the broker has it".
    conn = Connection(url, connect_timeout=5, transport_options={"confirm_publish": True})
    conn.ensure_connection(max_retries=3, interval_start=0.5, interval_step=1, interval_max=3)
    return conn


def event_publish(producer: Producer, event: Event) -> None:
    producer.publish(
        envelope_body(event).encode(), routing_key=routing_key(event), exchange=producer.exchange,
        content_type="application/json", content_encoding="utf-8", delivery_mode=2, message_id=event.event_id,
        type=event.type, timestamp=int(event.timestamp.timestamp()), app_id="hotsauce",
        headers={"sequence": event.sequence}, retry=False,
    )


def _cursor_start(cursor: RelayCursor) -> int:
    try:
        selectors.cursor_check(after=cursor.last_sequence)
    except CursorExpired:
        # The relay was stopped longer than the retention: what was purged cannot be sent.
        logger.error("Relay cursor %s is older than retention; events after it were purged and are skipped",
                     cursor.last_sequence)
        return 0
    return cursor.last_sequence


def relay_batch(*, producer: Producer, limit: int = DEFAULT_BATCH, name: str = AMQP_CURSOR) -> int:
    """Publish the next events after the cursor; returns how many the broker confirmed."""
    RelayCursor.objects.get_or_create(name=name)
    with transaction.atomic():
        # The row lock makes a second relay wait for this batch: one publisher at a time,
        # so the exchange sees sequences in order even with a standby relay running.
        cursor = RelayCursor.objects.select_for_update().get(name=name)
        events, _more = selectors.feed_page(audience=None, after=_cursor_start(cursor), limit=limit)
        published, failure = 0, None
        for event in events:
            try:
                event_publish(producer, event)
            except Exception as exc:  # kombu and py-amqp raise many types for one lost broker
                failure = exc
                break
            published += 1
        if published:
            # Recorded (and committed) even when the broker failed mid-batch, so the retry
            # re-sends as little as possible.
            RelayCursor.objects.filter(pk=cursor.pk).update(last_sequence=events[published - 1].sequence)
    if published:
        metrics.relay_published(published)
    if failure is not None:
        raise failure
    return published


def _caught_up(reported: float) -> float:
    """Record the relay as a periodic job that just succeeded (at most every HEARTBEAT_SECONDS)."""
    if time.monotonic() - reported < HEARTBEAT_SECONDS:
        return reported
    job_succeeded(RELAY_JOB)
    return time.monotonic()


def relay_run(*, url: str, batch: int = DEFAULT_BATCH, idle_sleep: float = 0.5,
              stop: Callable[[], bool] = lambda: False, once: bool = False) -> int:
    """Relay until ``stop()`` (or, with ``once``, until caught up); returns events published."""
    total = 0
    backoff = 1.0
    reported = 0.0
    while not stop():
        try:
            with broker_connect(url) as conn, conn.channel() as channel:
                producer = Producer(channel, exchange=exchange(), auto_declare=True)
                logger.info("Relay connected; publishing to exchange %s", settings.EVENTS_AMQP_EXCHANGE)
                backoff = 1.0
                while not stop():
                    sent = relay_batch(producer=producer, limit=batch)
                    total += sent
                    if sent < batch:
                        reported = _caught_up(reported)
                        if once:
                            return total
                        time.sleep(idle_sleep)
        except Exception:  # broker or database away: wait and start over from the cursor
            if once:
                raise
            logger.exception("Relay interrupted; retrying in %.0f s", backoff)
            connection.close()
            time.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
    return total
