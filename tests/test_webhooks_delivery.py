"""Sending deliveries: signatures, retries, 410, 5-day disable, atomic claims (API-CONTRACT.md 5.5)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django.utils import timezone
from standardwebhooks import Webhook

from tests import factories
from webhooks import delivery as delivery_service
from webhooks.models import Delivery, DeliveryAttempt, Endpoint, Event
from webhooks.services import endpoint_create, endpoint_delete, endpoint_rotate_secret, endpoint_test, event_emit


class Receiver:
    """A real HTTP server on 127.0.0.1 answering a scripted sequence of status codes."""

    def __init__(self, statuses=(200,)):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.requests.append({"headers": dict(self.headers.items()), "body": body,
                                              "path": self.path})
                    status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class _Principal:
    def __init__(self, kind, supplier_id=None, retail_partner_id=None):
        self.kind = kind
        self.supplier_id = supplier_id
        self.retail_partner_id = retail_partner_id
        self.is_supplier = kind == "supplier"
        self.is_retailer = kind == "retailer"
        self.is_brand = kind == "brand"


@pytest.fixture
def private_ok(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 1, 1]


def _subscribe(url, supplier_id, types=("*",)) -> Endpoint:
    return endpoint_create(principal=_Principal("supplier", supplier_id=supplier_id), url=url,
                           event_types=list(types))


def _emit(supplier_id) -> Event:
    from django.db import transaction

    with transaction.atomic():
        return event_emit(type="inventory.updated", data={"supplier_id": "X", "inventory_level": 5},
                          supplier_ids=[supplier_id])


def _due_now(delivery):
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


@pytest.mark.django_db
def test_delivery_is_signed_so_standardwebhooks_verifies_it(private_ok):
    supplier = factories.supplier()
    with Receiver([200]) as receiver:
        endpoint = _subscribe(receiver.url, supplier.pk)
        event = _emit(supplier.pk)
        delivery = Delivery.objects.get(event=event, endpoint=endpoint)
        attempt = delivery_service.delivery_attempt(delivery_id=delivery.pk)
    assert attempt.success and attempt.status_code == 200
    (request,) = receiver.requests
    headers = request["headers"]
    assert headers["webhook-id"] == event.event_id
    assert headers["Content-Type"] == "application/json"
    payload = Webhook(endpoint.secret).verify(request["body"], headers)
    assert payload == event.envelope()
    assert payload["sequence"] == event.sequence and payload["data"]["inventoryLevel"] == 5
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("succeeded", 1)


@pytest.mark.django_db
def test_signature_equals_standardwebhooks_sign_byte_for_byte(private_ok):
    supplier = factories.supplier()
    endpoint = _subscribe("http://127.0.0.1:9/h", supplier.pk)
    event = _emit(supplier.pk)
    body = delivery_service.envelope_body(event)
    header = delivery_service.signature_header(endpoint, msg_id=event.event_id, timestamp=1700000000, body=body,
                                               now=timezone.now())
    from datetime import UTC, datetime

    expected = Webhook(endpoint.secret).sign(event.event_id, datetime.fromtimestamp(1700000000, tz=UTC), body)
    assert header == expected


@pytest.mark.django_db
def test_after_rotation_both_old_and_new_secrets_verify_for_24_hours(private_ok):
    supplier = factories.supplier()
    with Receiver([200]) as receiver:
        endpoint = _subscribe(receiver.url, supplier.pk)
        old_secret = endpoint.secret
        endpoint = endpoint_rotate_secret(endpoint=endpoint)
        event = _emit(supplier.pk)
        delivery_service.delivery_attempt(delivery_id=Delivery.objects.get(event=event).pk)
        request = receiver.requests[0]
        assert len(request["headers"]["webhook-signature"].split(" ")) == 2
        Webhook(old_secret).verify(request["body"], request["headers"])
        Webhook(endpoint.secret).verify(request["body"], request["headers"])

        Endpoint.objects.filter(pk=endpoint.pk).update(previous_secret_expires_at=timezone.now())
        second = _emit(supplier.pk)
        delivery_service.delivery_attempt(delivery_id=Delivery.objects.get(event=second).pk)
        assert len(receiver.requests[1]["headers"]["webhook-signature"].split(" ")) == 1


@pytest.mark.django_db
def test_failures_retry_on_the_schedule_with_the_same_webhook_id_then_succeed(private_ok):
    supplier = factories.supplier()
    with Receiver([500, 500, 200]) as receiver:
        endpoint = _subscribe(receiver.url, supplier.pk)
        event = _emit(supplier.pk)
        delivery = Delivery.objects.get(event=event)
        first = delivery_service.delivery_attempt(delivery_id=delivery.pk)
        assert (first.success, first.status_code, first.error) == (False, 500, "HTTP 500")
        delivery.refresh_from_db()
        assert delivery.state == "pending"
        # The pinned schedule (here 0,1,1) with ±10 % jitter.
        assert timedelta(seconds=0.85) <= delivery.next_attempt_at - first.attempted_at <= timedelta(seconds=1.2)
        # Not due yet: a worker must not send it early.
        assert delivery_service.delivery_attempt(delivery_id=delivery.pk) is None
        _due_now(delivery)
        delivery_service.delivery_attempt(delivery_id=delivery.pk)
        _due_now(delivery)
        delivery_service.delivery_attempt(delivery_id=delivery.pk)
    assert {r["headers"]["webhook-id"] for r in receiver.requests} == {event.event_id}
    attempts = list(DeliveryAttempt.objects.filter(delivery=delivery).values_list("number", "status_code", "success"))
    assert attempts == [(1, 500, False), (2, 500, False), (3, 200, True)]
    delivery.refresh_from_db()
    assert delivery.state == "succeeded"
    assert Endpoint.objects.get(pk=endpoint.pk).failing_since is None


@pytest.mark.django_db
def test_after_the_last_scheduled_retry_the_delivery_is_failed(private_ok):
    supplier = factories.supplier()
    with Receiver([503]) as receiver:
        _subscribe(receiver.url, supplier.pk)
        delivery = Delivery.objects.get(event=_emit(supplier.pk))
        for _ in range(3):
            _due_now(delivery)
            delivery_service.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    assert len(receiver.requests) == 3


@pytest.mark.django_db
def test_410_gone_disables_the_endpoint(private_ok):
    supplier = factories.supplier()
    with Receiver([410]) as receiver:
        endpoint = _subscribe(receiver.url, supplier.pk)
        delivery = Delivery.objects.get(event=_emit(supplier.pk))
        delivery_service.delivery_attempt(delivery_id=delivery.pk)
    endpoint.refresh_from_db()
    delivery.refresh_from_db()
    assert not endpoint.enabled and "410" in endpoint.disabled_reason
    assert delivery.state == "failed"
    _emit(supplier.pk)
    assert Delivery.objects.count() == 1  # a disabled endpoint gets nothing new


@pytest.mark.django_db
def test_five_days_of_failure_disables_the_endpoint_and_tells_staff(private_ok):
    supplier = factories.supplier()
    with Receiver([500]) as receiver:
        endpoint = _subscribe(receiver.url, supplier.pk)
        Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(days=5, minutes=1))
        delivery = Delivery.objects.get(event=_emit(supplier.pk))
        delivery_service.delivery_attempt(delivery_id=delivery.pk)
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    notice = Event.objects.get(type="webhook.endpoint_disabled")
    assert notice.data["webhookId"] == endpoint.public_id
    assert not notice.audience.exists()  # staff and brand only


@pytest.mark.django_db
def test_a_redirect_is_not_followed_and_counts_as_failure(private_ok):
    supplier = factories.supplier()
    with Receiver([302]) as receiver:
        _subscribe(receiver.url, supplier.pk)
        delivery = Delivery.objects.get(event=_emit(supplier.pk))
        attempt = delivery_service.delivery_attempt(delivery_id=delivery.pk)
    assert not attempt.success and attempt.status_code == 302
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_send_time_check_refuses_a_url_that_now_points_inside(private_ok, settings):
    supplier = factories.supplier()
    with Receiver([200]) as receiver:
        _subscribe(receiver.url, supplier.pk)
        delivery = Delivery.objects.get(event=_emit(supplier.pk))
        settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
        attempt = delivery_service.delivery_attempt(delivery_id=delivery.pk)
    assert not attempt.success and attempt.error.startswith("Refused")
    assert receiver.requests == []


@pytest.mark.django_db
def test_webhook_test_reaches_only_the_tested_endpoint(private_ok):
    supplier = factories.supplier()
    with Receiver([200]) as receiver:
        endpoint = _subscribe(receiver.url, supplier.pk)
        other = _subscribe("http://127.0.0.1:9/other", supplier.pk)
        delivery = endpoint_test(endpoint=endpoint)
        delivery_service.delivery_attempt(delivery_id=delivery.pk)
    assert not Delivery.objects.filter(endpoint=other).exists()
    payload = Webhook(endpoint.secret).verify(receiver.requests[0]["body"], receiver.requests[0]["headers"])
    assert payload["type"] == "webhook.test"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_delivery_send_it_once(private_ok):
    supplier = factories.supplier()
    with Receiver([200]) as receiver:
        _subscribe(receiver.url, supplier.pk)
        delivery = Delivery.objects.get(event=_emit(supplier.pk))
        barrier = threading.Barrier(8)
        results, errors = [], []

        def worker():
            try:
                barrier.wait()
                results.append(delivery_service.delivery_attempt(delivery_id=delivery.pk))
            except Exception as exc:  # surfaced below: a thread's failure must fail the test
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len([r for r in results if r is not None]) == 1
    assert len(receiver.requests) == 1
    assert DeliveryAttempt.objects.count() == 1


@pytest.mark.django_db
def test_sweeper_publishes_due_rows_not_recently_enqueued(private_ok, monkeypatch):
    supplier = factories.supplier()
    _subscribe("http://127.0.0.1:9/h", supplier.pk)
    delivery = Delivery.objects.get(event=_emit(supplier.pk))
    published = []
    from webhooks import tasks

    # Only the broker hand-off is replaced, to count what the sweeper publishes.
    monkeypatch.setattr(delivery_service, "_broker_down_until", 0.0)
    monkeypatch.setattr(tasks.delivery_send, "apply_async", lambda args, countdown=None: published.append(args[0]))
    assert delivery_service.deliveries_sweep() == 0  # just enqueued by the emit
    Delivery.objects.filter(pk=delivery.pk).update(enqueued_at=None)
    assert delivery_service.deliveries_sweep() == 1
    assert delivery_service.deliveries_sweep() == 0  # not again while its task is in flight
    later = timezone.now() + delivery_service.enqueue_grace() + timedelta(seconds=1)
    assert delivery_service.deliveries_sweep(now=later) == 1  # the task was lost: publish again
    assert published == [delivery.pk, delivery.pk]


@pytest.mark.django_db
def test_an_endpoint_deleted_mid_send_is_not_an_error(private_ok, monkeypatch):
    supplier = factories.supplier()

    with Receiver([200]) as receiver:
        endpoint = _subscribe(receiver.url, supplier.pk)
        delivery = Delivery.objects.get(event=_emit(supplier.pk))
        original = delivery_service._post

        def post_then_delete(*args, **kwargs):
            result = original(*args, **kwargs)
            Endpoint.objects.filter(pk=endpoint.pk).delete()
            return result

        monkeypatch.setattr(delivery_service, "_post", post_then_delete)
        assert delivery_service.delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.requests) == 1
    assert not Delivery.objects.exists() and not DeliveryAttempt.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_deleting_an_endpoint_while_a_change_commits_fails_neither(private_ok):
    from django.db import transaction

    supplier = factories.supplier()
    endpoint = _subscribe("http://127.0.0.1:9/h", supplier.pk)
    emitted, deleting = threading.Event(), threading.Event()
    errors = []

    def change():
        try:
            with transaction.atomic():
                event_emit(type="inventory.updated", data={"n": 1}, supplier_ids=[supplier.pk])
                emitted.set()
                deleting.wait(5)
                time.sleep(0.3)  # give the DELETE time to run (or to queue behind us)
        except Exception as exc:  # the change must commit whatever the partner does
            errors.append(exc)
        finally:
            connection.close()

    def delete():
        try:
            emitted.wait(5)
            deleting.set()
            endpoint_delete(endpoint=endpoint)
        except Exception as exc:  # nor may the partner's DELETE fail
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=change), threading.Thread(target=delete)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Event.objects.filter(type="inventory.updated").exists()
    assert not Endpoint.objects.filter(pk=endpoint.pk).exists()


@pytest.mark.django_db
def test_a_receiver_that_is_down_is_recorded_and_retried(private_ok):
    supplier = factories.supplier()
    _subscribe("http://127.0.0.1:1/down", supplier.pk)  # nothing listens on port 1
    delivery = Delivery.objects.get(event=_emit(supplier.pk))
    attempt = delivery_service.delivery_attempt(delivery_id=delivery.pk)
    assert not attempt.success and attempt.status_code is None and "Connect" in attempt.error
    delivery.refresh_from_db()
    assert delivery.state == "pending" and delivery.next_attempt_at is not None
