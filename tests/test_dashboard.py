"""The staff dashboard: server-rendered SVG charts, aggregated in SQL, fixed query count."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.utils import timezone

from hotsauce.dashboard import expiring_units_per_week
from inventory.forecasting import forecasts_recompute
from inventory.models import Batch, InventoryTransaction, Product
from orders.services import LineRequest, ReturnLineRequest, batch_recall, order_create, return_create, shipment_create
from partners.models import RetailPartner, Supplier
from partners.staff_roles import AUDITOR
from webhooks.models import Delivery, DeliveryAttempt, Endpoint, Event

DASHBOARD = "/admin/dashboard/"
# Session + user, then one query per figure: expiring per week, ledger per day, stock
# alerts, batch health, recalls, open returns, and for webhooks deliveries, attempts per
# hour and endpoints in trouble; and the partner scorecards (orders.feedback.scorecards: four
# per side, suppliers and retailers); and the periodic jobs' rows.
QUERIES = 11 + 8 + 1


@pytest.fixture
def admin_client_(sandbox):
    user = User.objects.create_superuser("boss", "boss@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def bars(page: str, chart_id: str) -> list[int]:
    svg = re.search(rf'<svg id="{chart_id}".*?</svg>', page, re.S)
    assert svg, f"no chart {chart_id}"
    return [int(v) for v in re.findall(r'<rect class="bar"[^>]*data-value="(-?\d+)"', svg.group(0))]


def test_the_admin_index_links_to_the_dashboard(admin_client_):
    page = admin_client_.get("/admin/").content.decode()
    assert 'href="/admin/dashboard/"' in page


def test_the_dashboard_draws_expiring_units_per_week_as_svg_bars(admin_client_):
    response = admin_client_.get(DASHBOARD)
    assert response.status_code == 200
    page = response.content.decode()
    weekly = bars(page, "expiring-per-week")
    assert len(weekly) == 12
    # Sandbox: B102-02 (240 units, 25 days) is in week 4; B101-00 (320, 45 days) in week 7.
    assert weekly[3] == 240 and weekly[6] == 320
    assert sum(weekly) == 240 + 320  # B103-03 expires in 90 days: after the 12 weeks
    assert "<script" not in page.split('id="content"')[1] and "cdn" not in page.lower()


def test_the_dashboard_lists_recalls_with_their_retailers_and_stock_alerts(admin_client_):
    order = order_create(supplier=Supplier.objects.get(code="SUP123"),
                         retail_partner=RetailPartner.objects.get(code="RETAIL456"),
                         lines=[LineRequest(Product.objects.get(sku="HOTSAUCE789"), 20)])
    shipment_create(order=order)
    batch_recall(batch=Batch.objects.get(batch_number="BATCH202406"), reason="glass shards")
    # Tomorrow's run: today's 20 shipped are then a complete day of demand; the recall left nothing available.
    forecasts_recompute(now=timezone.now() + timedelta(days=1))
    page = admin_client_.get(DASHBOARD).content.decode()
    recalls = page.split('id="card-recalls"')[1].split("</section>")[0]
    assert "BATCH202406" in recalls and "glass shards" in recalls and "<td>20</td>" in recalls
    alerts = page.split('id="card-stock"')[1].split("</section>")[0]
    # Only what the forecast run opened: HOTSAUCE104 (18 units, no demand) is not below any reorder point.
    assert "HOTSAUCE789" in alerts and "out of stock" in alerts and "HOTSAUCE104" not in alerts


def test_the_dashboard_shows_open_returns(admin_client_):
    product = Product.objects.get(sku="HOTSAUCE789")
    order = order_create(supplier=Supplier.objects.get(code="SUP123"),
                         retail_partner=RetailPartner.objects.get(code="RETAIL456"), lines=[LineRequest(product, 6)])
    shipment_create(order=order)
    ret = return_create(supplier=order.supplier, retail_partner=order.retail_partner, order=order,
                        lines=[ReturnLineRequest(product, "BATCH202406", 2, "damaged")])
    page = admin_client_.get(DASHBOARD).content.decode()
    card = page.split('id="card-returns"')[1].split("</section>")[0]
    assert ret.code in card and "(1 waiting)" in card


def test_webhook_health_counts_failures_and_names_troubled_endpoints(admin_client_):
    now = timezone.now()
    event = Event.objects.create(sequence=10_000, event_id="evt_dash", type="webhook.test", timestamp=now, data={})
    sick = Endpoint.objects.create(public_id="we_sick", owner_kind="brand", url="https://hooks.example/x",
                                   secret="s", failing_since=now - timedelta(hours=3))
    well = Endpoint.objects.create(public_id="we_well", owner_kind="brand", url="https://hooks.example/y", secret="s")
    failed = Delivery.objects.create(event=event, endpoint=sick, state="failed", attempts=3)
    ok = Delivery.objects.create(event=event, endpoint=well, state="succeeded", attempts=1, delivered_at=now)
    for number in (1, 2, 3):
        DeliveryAttempt.objects.create(delivery=failed, number=number, attempted_at=now - timedelta(minutes=number),
                                       status_code=500, success=False)
    DeliveryAttempt.objects.create(delivery=ok, number=1, attempted_at=now, status_code=200, success=True)
    page = admin_client_.get(DASHBOARD).content.decode()
    card = page.split('id="card-webhooks"')[1].split("</section>")[0]
    assert "we_sick" in card and "we_well" not in card and "failing" in card
    assert "4 attempts, 3 failed" in card
    assert sum(bars(page, "webhook-attempts")) == 4
    assert "25.0%" in page


def test_an_auditor_may_open_the_dashboard_and_anonymous_users_are_sent_to_log_in(sandbox):
    assert Client().get(DASHBOARD).status_code == 302
    user = User.objects.create_user("audit", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=AUDITOR))
    client = Client()
    client.force_login(user)
    assert client.get(DASHBOARD).status_code == 200


def test_expiring_units_skip_recalled_batches_and_empty_lots(sandbox):
    now = timezone.now()
    before = sum(bar.value for bar in expiring_units_per_week(now=now))
    Batch.objects.filter(batch_number="B102-02").update(status="recalled")
    after = sum(bar.value for bar in expiring_units_per_week(now=now))
    assert before - after == 240


def _bulk_ledger(rows: int) -> None:
    # 100k real ledger rows in one statement: copies of an existing row with zero deltas,
    # spread over the last 30 days, so the balances still reconcile.
    template = InventoryTransaction.objects.order_by("id").first()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO inventory_inventorytransaction
              (movement_id, item_id, lot_id, type, quantity, on_hand_delta, reserved_delta, quarantined_delta,
               on_hand_after, reserved_after, item_version, supplier_id, product_id, warehouse_id, batch_id,
               reason, reference, idempotency_key, created_at, supplier_code, product_sku, warehouse_code,
               counterpart_warehouse_code, batch_number, expiration_date, retail_partner_code, reservation_code,
               actor_label)
            SELECT gen_random_uuid(), item_id, lot_id, 'adjustment', 1, 0, 0, 0, on_hand_after, reserved_after,
                   item_version, supplier_id, product_id, warehouse_id, batch_id, 'bulk', '', '',
                   now() - (g %% 30) * interval '1 day', supplier_code, product_sku, warehouse_code,
                   counterpart_warehouse_code, batch_number, expiration_date, retail_partner_code,
                   reservation_code, actor_label
            FROM inventory_inventorytransaction, generate_series(1, %s) AS g WHERE id = %s
            """, [rows, template.pk])


@pytest.mark.postgres
def test_the_dashboard_query_count_is_fixed_with_100k_ledger_rows(admin_client_, django_assert_num_queries):
    admin_client_.get(DASHBOARD)  # warm the session
    with django_assert_num_queries(QUERIES) as small:
        admin_client_.get(DASHBOARD)
    _bulk_ledger(100_000)
    assert InventoryTransaction.objects.count() > 100_000
    with django_assert_num_queries(QUERIES):
        response = admin_client_.get(DASHBOARD)
    assert len(small.captured_queries) == QUERIES
    activity = bars(response.content.decode(), "ledger-activity")
    assert sum(activity) >= 100_000 * 14 // 30



def test_a_fresh_sandbox_shows_the_same_open_restock_alerts_on_the_dashboard_as_the_api(sandbox_with_history,
                                                                                       brand_caller):
    listed = brand_caller.get("/api/v1/alerts?status=open")
    assert listed.status_code == 200, listed.content
    api = {(a["alertId"], a["supplierId"], a["productId"]) for a in listed.json()["results"]}
    assert len(api) >= 1  # the seeded demand history puts at least one item below its reorder point
    user = User.objects.create_superuser("boss", "boss@example.com", "pw")
    client = Client()
    client.force_login(user)
    card = client.get(DASHBOARD).content.decode().split('id="card-stock"')[1].split("</section>")[0]
    shown = {(int(alert_id), supplier, sku) for alert_id, sku, supplier in re.findall(
        r'<tr data-alert-id="(\d+)"><td>\d+</td><td>(\S+) — [^<]*</td><td>(\S+)</td>', card)}
    assert shown == api
