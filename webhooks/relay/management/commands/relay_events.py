"""``python manage.py relay_events``: publish every event to RabbitMQ, in sequence order."""

import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from webhooks.relay.services import DEFAULT_BATCH, relay_run


class Command(BaseCommand):
    help = ("Publish the event outbox to the RabbitMQ topic exchange hotsauce.events (EVENTS_AMQP_URL), "
            "resuming after the last sequence the broker confirmed.")

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="events per database transaction")
        parser.add_argument("--idle-sleep", type=float, default=0.5, help="seconds between polls when caught up")
        parser.add_argument("--once", action="store_true", help="publish what is there, then exit")

    def handle(self, *args, batch, idle_sleep, once, **options):
        url = settings.EVENTS_AMQP_URL
        if not url:
            raise CommandError("EVENTS_AMQP_URL is not set (e.g. amqp://user:password@rabbitmq:5672/vhost).")
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        stopping = []

        def _stop(signum, frame):
            stopping.append(signum)  # finish the batch in hand (its cursor update), then leave

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        total = relay_run(url=url, batch=batch, idle_sleep=idle_sleep, stop=lambda: bool(stopping), once=once)
        self.stdout.write(f"relayed {total} events")
