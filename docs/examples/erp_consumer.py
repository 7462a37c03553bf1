"""An ERP consumer of the hot sauce events on RabbitMQ (docs/events.md).

    pip install kombu
    python docs/examples/erp_consumer.py amqp://erp:secret@rabbitmq:5672/hotsauce "inventory.updated.SUP123"

Binds a durable queue to the ``hotsauce.events`` topic exchange with the given binding key
(default ``#``: everything), prints each event and acknowledges it only after handling it.
Delivery is at least once: a message may come twice, always with the same ``message_id``
(the event id), so the handler skips ids it has already processed.
"""

from __future__ import annotations

import json
import sys

from kombu import Connection, Exchange, Queue

EXCHANGE = Exchange("hotsauce.events", type="topic", durable=True)


def handle(event: dict, routing_key: str) -> None:
    """Your ERP's work; it must be idempotent or record event ids in the same transaction."""
    print(f"{event['sequence']:>10} {routing_key:<40} {event['id']}")


def consume(url: str, binding: str = "#", queue_name: str = "erp.hotsauce", limit: int | None = None) -> int:
    queue = Queue(queue_name, exchange=EXCHANGE, routing_key=binding, durable=True)
    seen: set[str] = set()  # in production: a table of processed event ids
    handled = 0

    def on_message(body, message):
        nonlocal handled
        event_id = message.properties.get("message_id")
        if event_id not in seen:
            handle(json.loads(message.body), message.delivery_info["routing_key"])
            seen.add(event_id)
            handled += 1
        message.ack()

    with Connection(url) as conn, conn.Consumer(queue, callbacks=[on_message], accept=["json"],
                                                  prefetch_count=100):
        while limit is None or handled < limit:
            try:
                conn.drain_events(timeout=5)
            except TimeoutError:
                if limit is not None:
                    break
    return handled


if __name__ == "__main__":
    consume(sys.argv[1], *(sys.argv[2:3] or ["#"]))
