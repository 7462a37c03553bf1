"""A warehouse manager's admin in real headless Chromium (issue 13): numbers, reasons, splits, recalls, exports.

Each journey runs against a live server loaded with ``seed_demo`` and saves screenshots
under artifacts/screenshots/ (warehouse-*.png).
"""

from __future__ import annotations

import base64
import csv
import io
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from inventory.models import Batch, StockLot
from inventory.services.reconcile import reconcile
from orders.models import Recall, ReturnLine
from partners.services import api_client_create
from partners.staff_roles import INVENTORY_MANAGER
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_staff_portal import brand_api, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NUMBERS = ("on_hand", "reserved", "on_hold", "available")


@pytest.fixture
def warehouse(live_server):
    from orders.services import LineRequest, ReturnLineRequest, order_create, return_create, shipment_create
    from partners.models import RetailPartner, Supplier

    call_command("seed_demo", stdout=io.StringIO())
    user = User.objects.create_user("ops", password="hot-sauce-ops-1", is_staff=True)
    user.groups.add(Group.objects.get(name=INVENTORY_MANAGER))
    _, creds = api_client_create(kind="brand", name="erp")
    from inventory.models import Product

    product = Product.objects.get(sku="HOTSAUCE789")
    order = order_create(supplier=Supplier.objects.get(code="SUP123"),
                         retail_partner=RetailPartner.objects.get(code="RETAIL456"), lines=[LineRequest(product, 30)])
    shipment_create(order=order, carrier="UPS", tracking_number="1Z999AA10123456784")
    ret = return_create(supplier=order.supplier, retail_partner=order.retail_partner, order=order, lines=[
        ReturnLineRequest(product, "BATCH202406", 10, "customer_return")])
    return {"user": user, "creds": creds, "return": ret}


def row_of(browser, batch_number: str):
    for row in browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr"):
        if row.find_element(By.CSS_SELECTOR, "th.field-batch_number").text == batch_number:
            return row
    raise AssertionError(f"{batch_number} not listed")


def numbers(row) -> dict[str, int]:
    return {name: int(row.find_element(By.CSS_SELECTOR, f"td.field-{name}").text) for name in NUMBERS}


def test_quarantine_asks_for_a_reason_and_the_numbers_add_up_before_and_after(browser, screenshot, live_server,
                                                                             warehouse):
    api = brand_api(live_server, warehouse["creds"])
    log_in(browser, live_server, "ops", "hot-sauce-ops-1")
    browser.get(f"{live_server.url}/admin/inventory/batch/?q=BATCH202406")
    before = numbers(row_of(browser, "BATCH202406"))
    assert before["on_hand"] == before["reserved"] + before["on_hold"] + before["available"]
    lot = StockLot.objects.get(batch__batch_number="BATCH202406", warehouse__code="Warehouse_A")
    assert (before["on_hand"], before["reserved"]) == (lot.on_hand, lot.reserved)
    screenshot("warehouse-quarantine-1-before")

    row_of(browser, "BATCH202406").find_element(By.CSS_SELECTOR, "input.action-select").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("quarantine")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    assert "Quarantine — confirm" in browser.find_element(By.TAG_NAME, "h1").text
    table = browser.find_element(By.CSS_SELECTOR, "table.staff-form-table tbody tr").text.split()
    # batch, product, on hand, reserved, on hold now, available now, on hold after, available after
    unreserved = before["on_hand"] - before["reserved"]
    assert table[2:] == [str(v) for v in (before["on_hand"], before["reserved"], before["on_hold"],
                                          before["available"], unreserved, 0)]
    browser.find_element(By.CSS_SELECTOR, "#staff-form input[type=submit]").click()  # no reason: refused
    WebDriverWait(browser, 15, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda driver: "This field is required." in driver.find_element(By.CSS_SELECTOR, ".field-reason").text)
    assert "This field is required." in browser.find_element(By.CSS_SELECTOR, ".field-reason").text
    assert Batch.objects.get(batch_number="BATCH202406").status == "released"
    browser.find_element(By.NAME, "reason").send_keys("Seal defect reported by QA, lab check")
    screenshot("warehouse-quarantine-2-confirm")
    browser.find_element(By.CSS_SELECTOR, "#staff-form input[type=submit]").click()
    assert "Quarantined: BATCH202406" in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text

    row = row_of(browser, "BATCH202406")
    after = numbers(row)
    assert after == {"on_hand": before["on_hand"], "reserved": before["reserved"], "on_hold": unreserved,
                     "available": 0}
    assert row.find_element(By.CSS_SELECTOR, "td.field-status_badge").text == "quarantined"
    badge = row.find_element(By.CSS_SELECTOR, "td.field-expires .days-left")
    assert badge.text == "not for sale" and "days-left-ok" not in badge.get_attribute("class")
    screenshot("warehouse-quarantine-3-after")
    body = api.get("/inventory/SUP123/HOTSAUCE789").json()
    lots = [lot for lot in body["lots"] if lot["batchNumber"] == "BATCH202406"]
    assert sum(lot["onHoldQuantity"] for lot in lots) == after["on_hold"]
    assert sum(lot["availableQuantity"] for lot in lots) == 0
    batch = Batch.objects.get(batch_number="BATCH202406")
    assert batch.status_reason == "Seal defect reported by QA, lab check"
    assert reconcile() == []


def test_a_return_line_is_split_across_restock_quarantine_and_write_off(browser, screenshot, live_server, warehouse):
    ret = warehouse["return"]
    line = ret.lines.get()
    lot = StockLot.objects.get(batch__batch_number="BATCH202406", warehouse__code="Warehouse_A")
    log_in(browser, live_server, "ops", "hot-sauce-ops-1")
    browser.get(f"{live_server.url}/admin/orders/return/")
    browser.find_element(By.CSS_SELECTOR, "a.process-return").click()
    WebDriverWait(browser, 15).until(lambda driver: "/process/" in driver.current_url)
    for name, units in (("restock", 6), ("quarantine", 3), ("writeoff", 2)):
        browser.find_element(By.NAME, f"{name}_{line.pk}").send_keys(str(units))
    browser.find_element(By.CSS_SELECTOR, "#staff-form input[type=submit]").click()
    # The answer is a new page: wait for it rather than read the form that was just submitted.
    refused = "The split adds up to 11; the line has 10 units."
    WebDriverWait(browser, 15, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda driver: refused in driver.find_element(By.ID, "staff-form").text)
    assert refused in browser.find_element(By.ID, "staff-form").text
    field = browser.find_element(By.NAME, f"writeoff_{line.pk}")
    field.clear()
    field.send_keys("1")
    screenshot("warehouse-return-split-1-form")
    browser.find_element(By.CSS_SELECTOR, "#staff-form input[type=submit]").click()
    assert f"Processed return {ret.code}" in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text

    browser.get(f"{live_server.url}/admin/orders/return/{ret.pk}/change/")
    lines_text = browser.find_element(By.ID, "lines-group").text.lower()
    for code, disposition in ((line.code, "restock"), (f"{ret.code}-2", "quarantine"), (f"{ret.code}-3", "write off")):
        assert code.lower() in lines_text and disposition in lines_text
    screenshot("warehouse-return-split-2-done")
    parts = sorted(ReturnLine.objects.filter(ret=ret).values_list("disposition", "quantity"))
    assert parts == [("quarantine", 3), ("restock", 6), ("writeOff", 1)]
    after = StockLot.objects.get(pk=lot.pk)
    assert (after.on_hand - lot.on_hand, after.quarantined - lot.quarantined) == (9, 3)
    browser.get(f"{live_server.url}/admin/orders/return/{ret.pk}/history/")
    assert "restock" in browser.find_element(By.ID, "change-history").text
    assert reconcile() == []


def test_a_recall_prints_its_notice_and_shows_in_the_batch_history(browser, screenshot, live_server, warehouse):
    log_in(browser, live_server, "ops", "hot-sauce-ops-1")
    browser.get(f"{live_server.url}/admin/inventory/batch/?q=BATCH202406")
    row_of(browser, "BATCH202406").find_element(By.CSS_SELECTOR, "input.action-select").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("recall")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    assert "RETAIL456" in browser.find_element(By.CSS_SELECTOR, "table.staff-form-table").text
    browser.find_element(By.NAME, "reason").send_keys("Listeria found on line 3")
    browser.find_element(By.CSS_SELECTOR, "#staff-form input[type=submit]").click()
    assert "Recalled: BATCH202406" in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text
    screenshot("warehouse-recall-1-done")

    notice_url = browser.find_element(By.CSS_SELECTOR, "a.recall-notice-print").get_attribute("href")
    browser.get(notice_url)
    assert browser.find_element(By.ID, "notice-retailer").text.endswith("(RETAIL456)") or "RETAIL456" in \
        browser.find_element(By.ID, "notice-retailer").text
    assert browser.find_element(By.ID, "notice-batch").text == "BATCH202406"
    assert browser.find_element(By.ID, "notice-reason").text == "Listeria found on line 3"
    # 30 shipped; the fixture's return of 10 is already counted as coming back, 20 are still out.
    assert browser.find_element(By.CSS_SELECTOR, "#notice-quantities tbody").text.split() == ["30", "10", "20"]
    assert "1Z999AA10123456784" in browser.find_element(By.ID, "notice-shipments").text
    screenshot("warehouse-recall-2-notice")
    # Printed by Chromium itself: the print stylesheet hides the button, the PDF holds the notice.
    pdf = base64.b64decode(browser.print_page())
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000
    (SCREENSHOTS / "warehouse-recall-notice.pdf").write_bytes(pdf)
    assert not browser.execute_script(
        "return matchMedia('print').matches")  # on screen the button shows; in print it is hidden by CSS
    hidden = browser.execute_script(
        "for (const s of document.styleSheets) for (const r of s.cssRules) "
        "if (r.media && r.media.mediaText === 'print') return r.cssText; return ''")
    assert ".no-print { display: none; }" in hidden

    batch = Batch.objects.get(batch_number="BATCH202406")
    recall = Recall.objects.get(batch=batch)
    assert recall.created_by_user == warehouse["user"]
    browser.get(f"{live_server.url}/admin/inventory/batch/{batch.pk}/change/")
    assert "by staff ops — Listeria found on line 3" in browser.find_element(By.CSS_SELECTOR, ".field-recalls").text
    assert browser.find_element(By.CSS_SELECTOR, ".field-days_left").text.endswith("not for sale")
    browser.find_element(By.LINK_TEXT, "HISTORY").click()
    history = browser.find_element(By.ID, "change-history").text
    assert "Recalled by ops: Listeria found on line 3" in history and "ops" in history
    screenshot("warehouse-recall-3-history")


def _wait_for_download(folder: Path, timeout: float = 20) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.glob("*.csv")]
        if done and not list(folder.glob("*.crdownload")):
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no CSV downloaded into {folder}")


def test_export_batches_expiring_within_30_days_as_csv(browser, screenshot, live_server, warehouse, tmp_path):
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    log_in(browser, live_server, "ops", "hot-sauce-ops-1")
    browser.get(f"{live_server.url}/admin/inventory/batch/")
    browser.find_element(By.LINK_TEXT, "Expiring within 30 days").click()
    WebDriverWait(browser, 15).until(lambda driver: "expiry=30" in driver.current_url)
    listed = [row.find_element(By.CSS_SELECTOR, "th.field-batch_number").text
              for row in browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")]
    link = browser.find_element(By.CSS_SELECTOR, "a.csv-export")
    assert link.get_attribute("href").endswith("/admin/inventory/batch/export/?expiry=30")
    screenshot("warehouse-export-1-filtered")
    link.click()
    rows = list(csv.DictReader(io.StringIO(_wait_for_download(tmp_path).read_text())))
    assert [row["batchNumber"] for row in rows] == listed == ["B102-02"]
    row = rows[0]
    assert row["productId"] == "HOTSAUCE102" and row["status"] == "released"
    assert 0 <= int(row["daysLeft"]) < 30
    assert int(row["onHand"]) == int(row["reserved"]) + int(row["onHold"]) + int(row["available"])
    api = brand_api(live_server, warehouse["creds"])
    assert int(row["available"]) == api.get("/inventory/SUP123/HOTSAUCE102").json()["availableQuantity"]


def test_an_inventory_manager_does_not_see_idempotency_records_or_tokens(browser, screenshot, live_server,
                                                                       warehouse):
    log_in(browser, live_server, "ops", "hot-sauce-ops-1")
    browser.get(f"{live_server.url}/admin/")
    links = {a.get_attribute("href").removeprefix(live_server.url)
             for a in browser.find_elements(By.CSS_SELECTOR, "#content-main a")}
    assert "/admin/inventory/batch/" in links and "/admin/orders/return/" in links
    for internal in ("/admin/api/idempotencyrecord/", "/admin/oauth2_provider/accesstoken/",
                     "/admin/oauth2_provider/refreshtoken/", "/admin/partners/apiclient/",
                     "/admin/webhooks/eventaudience/", "/admin/webhooks/eventcounter/"):
        assert internal not in links, internal
    text = browser.find_element(By.ID, "content-main").text
    assert "Idempotency records" not in text and "Access tokens" not in text
    screenshot("warehouse-roles-1-manager-index")
    browser.get(f"{live_server.url}/admin/api/idempotencyrecord/")
    assert "403" in browser.title or "Forbidden" in browser.page_source
    browser.get(f"{live_server.url}/admin/oauth2_provider/accesstoken/")
    assert "403" in browser.title or "Forbidden" in browser.page_source


def _overlaps(browser, selector: str) -> list[str]:
    """Cards whose area another card paints over (sampled with elementFromPoint after scrolling each into view)."""
    return browser.execute_script("""
        const cards = [...document.querySelectorAll(arguments[0])];
        const bad = [];
        for (const card of cards) {
          card.scrollIntoView({block: 'center'});
          const r = card.getBoundingClientRect();
          for (let fx = 0.05; fx < 1; fx += 0.15) for (let fy = 0.05; fy < 1; fy += 0.15) {
            const x = r.left + r.width * fx, y = r.top + r.height * fy;
            if (y < 0 || y > innerHeight || x < 0 || x > innerWidth) continue;
            const hit = document.elementFromPoint(x, y);
            const owner = hit && hit.closest(arguments[0]);
            if (owner && owner !== card) bad.push(card.id + ' covered by ' + owner.id);
          }
        }
        return [...new Set(bad)];""", selector)


def test_key_batch_columns_are_visible_at_1280_and_the_dashboard_never_overlaps(browser, screenshot, live_server,
                                                                                warehouse):
    log_in(browser, live_server, "ops", "hot-sauce-ops-1")
    browser.set_window_size(1280, 900)
    browser.get(f"{live_server.url}/admin/inventory/batch/")
    screenshot("warehouse-batch-list-1280")
    width = browser.execute_script("return document.documentElement.clientWidth")
    results = browser.find_element(By.CSS_SELECTOR, "#changelist .results").rect
    visible_right = min(width, results["x"] + results["width"])
    for column in ("on_hand", "reserved", "on_hold", "available", "expires", "status_badge"):
        header = browser.find_element(By.CSS_SELECTOR, f"#result_list thead th.column-{column}").rect
        assert header["x"] >= 0 and header["x"] + header["width"] <= visible_right + 1, column

    for size in (1280, 1440, 1600, 1920):
        browser.set_window_size(size, 1400)
        browser.get(f"{live_server.url}/admin/dashboard/")
        assert _overlaps(browser, "section.dash-card") == [], size
        cards = browser.execute_script(
            "return [...document.querySelectorAll('section.dash-card')].map(c => c.getBoundingClientRect())"
            ".map(r => [r.left, r.top, r.right, r.bottom])")
        for i, a in enumerate(cards):
            for b in cards[i + 1:]:
                apart = a[2] <= b[0] + 1 or b[2] <= a[0] + 1 or a[3] <= b[1] + 1 or b[3] <= a[1] + 1
                assert apart, (size, a, b)
        if size in (1280, 1920):
            browser.execute_script("window.scrollTo(0, 0)")
            screenshot(f"warehouse-dashboard-{size}")
