"""A staff member's day in the admin, in real headless Chromium against a live server."""

from __future__ import annotations

import httpx
import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from inventory.models import InventoryTransaction, Product, StockLot
from inventory.services.reconcile import reconcile
from orders.services import LineRequest, ReturnLineRequest, order_create, return_create, shipment_create
from partners.models import RetailPartner, Supplier
from partners.services import api_client_create
from partners.staff_roles import INVENTORY_MANAGER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff_portal(live_server):
    import io

    call_command("seed_demo", stdout=io.StringIO())
    user = User.objects.create_user("ops", password="hot-sauce-ops-1", is_staff=True)
    user.groups.add(Group.objects.get(name=INVENTORY_MANAGER))
    _, creds = api_client_create(kind="brand", name="erp")
    product = Product.objects.get(sku="HOTSAUCE789")
    order = order_create(supplier=Supplier.objects.get(code="SUP123"),
                         retail_partner=RetailPartner.objects.get(code="RETAIL456"), lines=[LineRequest(product, 30)])
    shipment_create(order=order, carrier="UPS", tracking_number="1Z999AA10123456784")
    ret = return_create(supplier=order.supplier, retail_partner=order.retail_partner, order=order, lines=[
        ReturnLineRequest(product, "BATCH202406", 4, "customer_return"),
        ReturnLineRequest(product, "BATCH202406", 3, "quality"),
        ReturnLineRequest(product, "BATCH202406", 2, "damaged")])
    return user, creds, ret


def brand_api(live_server, creds) -> httpx.Client:
    token = httpx.post(f"{live_server.url}/oauth/token/", data={"grant_type": "client_credentials"},
                       auth=(creds["clientId"], creds["clientSecret"])).json()["access_token"]
    return httpx.Client(base_url=f"{live_server.url}/api/v1", headers={"Authorization": f"Bearer {token}"})


def log_in(browser, live_server, username: str, password: str) -> None:
    browser.get(f"{live_server.url}/admin/login/?next=/admin/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    assert browser.find_element(By.ID, "staff-dashboard-link")


def test_staff_quarantine_a_batch_process_a_return_and_read_the_dashboard(browser, screenshot, live_server,
                                                                     staff_portal):
    user, creds, ret = staff_portal
    api = brand_api(live_server, creds)
    assert api.get("/inventory/SUP123/HOTSAUCE102").json()["availableQuantity"] == 240

    log_in(browser, live_server, "ops", "hot-sauce-ops-1")
    browser.get(f"{live_server.url}/admin/inventory/batch/")
    browser.find_element(By.LINK_TEXT, "Expiring within 30 days").click()
    WebDriverWait(browser, 15).until(lambda driver: "expiry=30" in driver.current_url)
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert [row.find_element(By.CSS_SELECTOR, "th, td.field-batch_number").text for row in rows] == ["B102-02"]
    assert rows[0].find_element(By.CSS_SELECTOR, ".days-left").value_of_css_property("color") != ""
    screenshot("batch-list")

    rows[0].find_element(By.CSS_SELECTOR, "input.action-select").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("quarantine")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    # Quarantine asks for a reason on a confirmation page first.
    browser.find_element(By.NAME, "reason").send_keys("seal check")
    browser.find_element(By.CSS_SELECTOR, "#staff-form input[type=submit]").click()
    assert "Quarantined: B102-02" in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text
    row = browser.find_element(By.CSS_SELECTOR, "#result_list tbody tr")
    assert row.find_element(By.CSS_SELECTOR, "td.field-status_badge").text == "quarantined"
    assert row.find_element(By.CSS_SELECTOR, "td.field-available").text == "0"

    body = api.get("/inventory/SUP123/HOTSAUCE102").json()
    assert (body["availableQuantity"], body["onHoldQuantity"]) == (0, 240)

    # The returns queue: process one return with a different disposition per line.
    lot = StockLot.objects.get(batch__batch_number="BATCH202406", warehouse__code="Warehouse_A")
    browser.get(f"{live_server.url}/admin/orders/return/")
    queue = browser.find_element(By.ID, "result_list")
    assert ret.code in queue.text
    screenshot("returns-queue")
    queue.find_element(By.CSS_SELECTOR, "a.process-return").click()
    WebDriverWait(browser, 15).until(lambda driver: "/process/" in driver.current_url)
    lines = list(ret.lines.order_by("id"))
    for line, disposition in zip(lines, ["restock", "quarantine", "writeOff"], strict=True):
        Select(browser.find_element(By.NAME, f"disposition_{line.pk}")).select_by_value(disposition)
    screenshot("return-process")
    browser.find_element(By.CSS_SELECTOR, "#staff-form input[type=submit]").click()
    assert f"Processed return {ret.code}" in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text
    after = StockLot.objects.get(pk=lot.pk)
    assert (after.on_hand - lot.on_hand, after.quarantined - lot.quarantined) == (4 + 3, 3)
    ret.refresh_from_db()
    assert ret.status == "received"
    assert sorted(line.disposition for line in ret.lines.all()) == ["quarantine", "restock", "writeOff"]
    assert InventoryTransaction.objects.filter(type="return", reference=ret.code, actor_user=user).count() == 3

    browser.get(f"{live_server.url}/admin/")
    browser.find_element(By.LINK_TEXT, "Staff dashboard").click()
    chart = browser.find_element(By.CSS_SELECTOR, "svg#expiring-per-week")
    bars = chart.find_elements(By.CSS_SELECTOR, "rect.bar")
    assert len(bars) == 12
    assert sum(int(bar.get_attribute("data-value")) for bar in bars) > 0
    assert any(float(bar.get_attribute("height")) > 0 for bar in bars)
    assert chart.size["width"] > 100 and chart.size["height"] > 100
    assert browser.find_elements(By.CSS_SELECTOR, "svg#ledger-activity rect.bar")
    screenshot("dashboard")

    assert browser.find_elements(By.CSS_SELECTOR, "svg#webhook-attempts")
    assert reconcile() == []
