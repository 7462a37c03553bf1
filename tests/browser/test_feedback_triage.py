"""A staff member triages discrepancies in real headless Chromium: queue, filter, assign, thread, resolve, export."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import httpx
import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from inventory.services.reconcile import reconcile
from orders.feedback.models import Discrepancy
from orders.models import Order
from partners.services import api_client_create
from partners.staff_roles import INVENTORY_MANAGER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def api(live_server, kind: str, partner: str | None) -> httpx.Client:
    _, creds = api_client_create(kind=kind, partner_code=partner)
    token = httpx.post(f"{live_server.url}/oauth/token/", data={"grant_type": "client_credentials"},
                       auth=(creds["clientId"], creds["clientSecret"])).json()["access_token"]
    return httpx.Client(base_url=f"{live_server.url}/api/v1",
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})


def post(client: httpx.Client, path: str, body: dict) -> dict:
    response = client.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture
def triage(live_server):
    call_command("seed_demo", stdout=io.StringIO())
    user = User.objects.create_user("triage", password="hot-sauce-ops-1", is_staff=True)
    user.groups.add(Group.objects.get(name=INVENTORY_MANAGER))
    retailer, supplier = api(live_server, "retailer", "RETAIL456"), api(live_server, "supplier", "SUP123")
    order = post(retailer, "/orders", {"supplierId": "SUP123", "lines": [{"productId": "HOTSAUCE789",
                                                                         "quantity": 24}],
                                       "reference": "PO-TRIAGE"})
    shipment = post(supplier, "/shipments", {"orderId": order["orderId"], "carrier": "UPS", "trackingNumber": "1Z"})
    counted = post(retailer, f"/shipments/{shipment['shipmentId']}/receipt", {"lines": [
        {"productId": "HOTSAUCE789", "batchNumber": "BATCH202406", "receivedQuantity": 20, "damagedQuantity": 2}]})
    delay = post(retailer, "/discrepancies", {"kind": "delay", "orderId": order["orderId"],
                                              "description": "Two days after the requested date."})
    shortage = next(d for d in counted["discrepancies"] if d["kind"] == "shortage")
    Discrepancy.objects.filter(code=shortage["discrepancyId"]).update(
        due_at=timezone.now() - timedelta(hours=3), opened_at=timezone.now() - timedelta(days=3))
    return {"user": user, "retailer": retailer, "shortage": shortage["discrepancyId"],
            "delay": delay["discrepancyId"]}


def log_in(browser, live_server) -> None:
    browser.get(f"{live_server.url}/admin/login/?next=/admin/")
    browser.find_element(By.NAME, "username").send_keys("triage")
    browser.find_element(By.NAME, "password").send_keys("hot-sauce-ops-1")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    assert browser.find_element(By.ID, "staff-dashboard-link")


def queue_codes(browser) -> list[str]:
    return [row.find_element(By.CSS_SELECTOR, "th.field-code").text
            for row in browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")]


def test_staff_triage_journey_from_queue_to_replacement(browser, screenshot, live_server, triage):
    log_in(browser, live_server)
    browser.get(f"{live_server.url}/admin/feedback/discrepancy/")
    # The queue, most urgent first: the overdue shortage, then the damage and the delay.
    codes = queue_codes(browser)
    assert codes[0] == triage["shortage"] and len(codes) == 3 and triage["delay"] in codes
    assert browser.find_element(By.CSS_SELECTOR, "#result_list tbody tr td.field-overdue_flag").text == "overdue"
    screenshot("discrepancy-queue")

    browser.find_element(By.LINK_TEXT, "Overdue").click()
    WebDriverWait(browser, 15).until(lambda driver: "overdue=yes" in driver.current_url)
    assert queue_codes(browser) == [triage["shortage"]]
    export = browser.find_element(By.ID, "export-csv").get_attribute("href")
    assert "overdue=yes" in export
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    rows = list(csv.DictReader(io.StringIO(httpx.get(export, cookies=cookies).text)))
    assert [(r["discrepancyId"], r["kind"], r["overdue"], r["quantity"]) for r in rows] == [
        (triage["shortage"], "shortage", "yes", "4")]
    screenshot("discrepancy-queue-overdue")

    browser.find_element(By.CSS_SELECTOR, "#result_list tbody tr input.action-select").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("assign_to_me")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    assert "Assigned 1 to you." in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text
    assert Discrepancy.objects.get(code=triage["shortage"]).assigned_to == triage["user"]

    browser.find_element(By.LINK_TEXT, triage["shortage"]).click()
    assert browser.find_element(By.ID, "overdue-note")
    browser.find_element(By.ID, "action-message").click()
    browser.find_element(By.NAME, "body").send_keys("Our warehouse confirms four bottles stayed on the dock.")
    browser.find_element(By.CSS_SELECTOR, "#staff-form input[type=submit]").click()
    assert "message posted" in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text
    thread = browser.find_element(By.ID, "discrepancy-thread")
    assert "four bottles stayed on the dock" in thread.text and "Brand" in thread.text
    browser.execute_script("arguments[0].scrollIntoView();", thread)
    screenshot("discrepancy-thread")

    browser.find_element(By.ID, "action-resolve").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=resolution][value=replacement]").click()
    browser.find_element(By.NAME, "note").send_keys("Four bottles on tomorrow's truck.")
    screenshot("discrepancy-resolve")
    browser.find_element(By.CSS_SELECTOR, "#staff-form input[type=submit]").click()
    assert "resolved (replacement)" in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text
    screenshot("discrepancy-resolved")

    # The retailer sees it through the API: resolved, the thread, the replacement order allocated.
    seen = triage["retailer"].get(f"/discrepancies/{triage['shortage']}").json()
    assert (seen["status"], seen["resolution"], seen["resolutionQuantity"]) == ("resolved", "replacement", 4)
    assert seen["messages"][0]["author"] == {"kind": "brand", "partnerId": None}
    replacement = Order.objects.get(code=seen["replacementOrderId"])
    assert replacement.status == "allocated" and replacement.reference == f"replacement for {triage['shortage']}"

    browser.get(f"{live_server.url}/admin/feedback/discrepancy/")
    assert triage["shortage"] not in queue_codes(browser)
    browser.get(f"{live_server.url}/admin/dashboard/")
    card = browser.find_element(By.ID, "card-scorecards")
    bars = card.find_elements(By.CSS_SELECTOR, "svg#scorecard-fill-rate rect.bar")
    # SUP123 shipped 24 of the 24 + 4 (the replacement, just placed) ordered: 86 %.
    assert [bar.get_attribute("data-value") for bar in bars] == ["86"]
    browser.execute_script("arguments[0].scrollIntoView();", card)
    screenshot("dashboard-scorecards")
    assert reconcile() == []
