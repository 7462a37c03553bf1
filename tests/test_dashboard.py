"""The staff dashboard: server-rendered SVG charts, aggregated in SQL, fixed query count."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.utils import timezone

from hotsauce.dashboard import expiring_units_per_week
from inventory.models import Batch, InventoryTransaction
from partners.staff_roles import AUDITOR

DASHBOARD = "/admin/dashboard/"
# Session + user, then one aggregate per figure: expiring per week, ledger per day, stock
# alerts, batch health, recalls.
QUERIES = 7


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


def test_the_dashboard_lists_recalls_and_stock_alerts(admin_client_):
    Batch.objects.filter(batch_number="B104-04").update(status="recalled", status_reason="glass shards",
                                                         status_changed_at=timezone.now())
    page = admin_client_.get(DASHBOARD).content.decode()
    recalls = page.split('id="card-recalls"')[1].split("</section>")[0]
    assert "B104-04" in recalls and "glass shards" in recalls
    alerts = page.split('id="card-stock"')[1].split("</section>")[0]
    assert "HOTSAUCE104" in alerts and "out of stock" in alerts


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
               reason, reference, idempotency_key, created_at)
            SELECT gen_random_uuid(), item_id, lot_id, 'adjustment', 1, 0, 0, 0, on_hand_after, reserved_after,
                   item_version, supplier_id, product_id, warehouse_id, batch_id, 'bulk', '', '',
                   now() - (g %% 30) * interval '1 day'
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

