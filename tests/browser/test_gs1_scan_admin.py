"""A warehouse worker receives stock with a keyboard-wedge scanner on the admin's scan page (real Chromium)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from inventory.models import InventoryTransaction, Product, StockLot
from partners.staff_roles import INVENTORY_MANAGER
from tests.browser.test_staff_portal import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(live_server):
    call_command("seed_demo", stdout=io.StringIO())
    user = User.objects.create_user("dock", password="hot-sauce-dock-1", is_staff=True)
    user.groups.add(Group.objects.get(name=INVENTORY_MANAGER))
    return user


def wedge(field, text: str) -> None:
    """Type like a wedge scanner: the characters, Ctrl+] for each FNC1 (GS), then Enter."""
    for index, part in enumerate(text.split("\x1d")):
        if index:
            field.send_keys(Keys.CONTROL, "]")
        field.send_keys(part)
    field.send_keys(Keys.ENTER)
    # The page reloads with the result: wait until the old field is gone.
    WebDriverWait(field.parent, 15).until(expected_conditions.staleness_of(field))


def test_a_wedge_scanner_receives_a_case_and_the_page_is_ready_for_the_next(browser, screenshot, live_server,
                                                                           worker):
    gtin = Product.objects.get(sku="HOTSAUCE789").gtin.zfill(14)
    expiry = timezone.now() + timedelta(days=200)
    log_in(browser, live_server, "dock", "hot-sauce-dock-1")
    browser.get(f"{live_server.url}/admin/inventory/inventoryitem/")
    browser.find_element(By.ID, "scan-to-receive-link").click()
    Select(browser.find_element(By.ID, "id_supplier")).select_by_visible_text(
        "SUP123 — Scoville Brothers Co-Packing")
    Select(browser.find_element(By.ID, "id_warehouse")).select_by_visible_text("Warehouse_B (SUP123)")
    field = browser.find_element(By.ID, "id_scan")
    field.click()  # the page focuses it on load; choosing the warehouse took the focus away
    # A GS1-128 case label: GTIN, expiry, batch (variable length, so FNC1 follows), count.
    wedge(field, f"]C101{gtin}17{expiry:%y%m%d}10WEDGE-01\x1d3712")
    result = browser.find_element(By.ID, "scan-result")
    assert "Received 12 × HOTSAUCE789 batch WEDGE-01" in result.text, result.text
    field = browser.find_element(By.ID, "id_scan")
    assert field.get_attribute("value") == ""
    assert browser.switch_to.active_element == field
    assert Select(browser.find_element(By.ID, "id_warehouse")).first_selected_option.text == "Warehouse_B (SUP123)"

    # The next label: the same batch again, then one with a wrong check digit.
    wedge(field, f"01{gtin}10WEDGE-01\x1d3712")
    assert "batch on hand now 24 (all batches 524)" in browser.find_element(By.ID, "scan-result").text
    screenshot("gs1-scan-to-receive")
    field = browser.find_element(By.ID, "id_scan")
    wedge(field, f"01{gtin[:-1]}{(int(gtin[-1]) + 1) % 10}10WEDGE-01")
    error = browser.find_element(By.CSS_SELECTOR, "#scan-result.scan-error")
    assert error.text.startswith("(01):"), error.text
    assert browser.find_element(By.ID, "id_scan").get_attribute("value") == ""
    screenshot("gs1-scan-refused")

    lot = StockLot.objects.get(batch__batch_number="WEDGE-01", warehouse__code="Warehouse_B")
    assert lot.on_hand == 24
    rows = InventoryTransaction.objects.filter(batch__batch_number="WEDGE-01").order_by("pk")
    assert [(row.type, row.quantity, row.actor_user.username) for row in rows] == [
        ("receipt", 12, "dock"), ("receipt", 12, "dock")]
