"""EDI under concurrency, with real threads on PostgreSQL: one order per 850, unique control numbers and SSCCs."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from orders.edi import services
from orders.edi.models import EdiDocument
from orders.models import Order
from partners.models import RetailPartner, Supplier
from tests.edi_support import po_850
from tests.test_orders_concurrency import run_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sandbox_committed():
    call_command("seed_demo", stdout=io.StringIO())


def test_the_same_850_delivered_twice_at_once_places_one_order(sandbox_committed):
    content = po_850(isa13=7001, lines=[("5", "VN", "HOTSAUCE789")], po="PO-RACE")
    results = run_threads([lambda: services.edi_inbound_receive(content=content)] * 4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Order.objects.filter(reference="PO-RACE").count() == 1
    assert sorted(len(r.created_order_ids) for r in results) == [0, 0, 0, 1]


def test_documents_issued_at_once_to_one_partner_get_distinct_increasing_control_numbers(sandbox_committed):
    supplier, retailer = Supplier.objects.get(code="SUP123"), RetailPartner.objects.get(code="RETAIL456")
    results = run_threads([lambda: services.inventory_advice_issue(supplier=supplier, retail_partner=retailer)] * 6)
    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = list(EdiDocument.objects.filter(retail_partner=retailer).order_by("created_at", "pk")
                   .values_list("interchange_control_number", flat=True))
    assert sorted(numbers) == [f"{n:09d}" for n in range(1, 7)]


def test_ssccs_drawn_at_once_never_repeat(sandbox_committed):
    results = run_threads([lambda: [services.sscc_next() for _ in range(25)]] * 4)
    codes = [code for batch in results for code in batch]
    assert len(codes) == len(set(codes)) == 100
