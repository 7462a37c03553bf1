"""Every reserved unit gets an owner: order allocations become reservations (``RSV-…``).

Each order line's allocations become one reservation whose holds are those allocations;
units reserved on a lot beyond its allocations (round 1's ``reservation`` movements) become
one standalone hold per lot. Each hold is opened in the ledger by a pair of rows that move
its units from "no owner" to the reservation, so the lot balances do not change and
``reconcile_inventory`` can prove every hold from the ledger.
"""

import uuid
from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone


def _open_hold(apps, *, lot, reservation, quantity, now):
    Transaction = apps.get_model("inventory", "InventoryTransaction")
    ReservationLot = apps.get_model("inventory", "ReservationLot")
    ReservationLot.objects.create(reservation=reservation, lot=lot, quantity=quantity)
    movement = uuid.uuid4()
    common = dict(movement_id=movement, item_id=lot.item_id, lot=lot, type="reservation", quantity=quantity,
                  on_hand_after=lot.on_hand, reserved_after=lot.reserved, item_version=lot.item.version,
                  supplier_id=lot.item.supplier_id, product_id=lot.item.product_id, warehouse_id=lot.warehouse_id,
                  batch_id=lot.batch_id, retail_partner_id=reservation.retail_partner_id, created_at=now,
                  reference=reservation.order_ref, reason=f"opening hold of {reservation.code} (owned reservations)")
    Transaction.objects.create(reserved_delta=-quantity, **common)
    Transaction.objects.create(reserved_delta=quantity, reservation=reservation, **common)


def _reservation(apps, *, item_id, retail_partner_id, order_ref, quantity, reason, now):
    Reservation = apps.get_model("inventory", "Reservation")
    reservation = Reservation.objects.create(item_id=item_id, retail_partner_id=retail_partner_id,
                                             order_ref=order_ref, quantity=quantity, reason=reason,
                                             created_at=now, updated_at=now)
    reservation.code = f"RSV-{reservation.pk:06d}"
    reservation.save(update_fields=["code"])
    return reservation


def forwards(apps, schema_editor):
    Allocation = apps.get_model("orders", "Allocation")
    OrderLine = apps.get_model("orders", "OrderLine")
    StockLot = apps.get_model("inventory", "StockLot")
    now = timezone.now()
    allocated_on_lot = defaultdict(int)
    by_line = defaultdict(list)
    for allocation in Allocation.objects.select_related("lot__item").order_by("line_id", "id"):
        by_line[allocation.line_id].append(allocation)
        allocated_on_lot[allocation.lot_id] += allocation.quantity
    for line in OrderLine.objects.filter(pk__in=by_line).select_related("order").order_by("pk"):
        allocations = by_line[line.pk]
        reservation = _reservation(apps, item_id=allocations[0].lot.item_id,
                                   retail_partner_id=line.order.retail_partner_id, order_ref=line.order.code or "",
                                   quantity=sum(a.quantity for a in allocations),
                                   reason=f"order {line.order.code}", now=now)
        for allocation in allocations:
            _open_hold(apps, lot=allocation.lot, reservation=reservation, quantity=allocation.quantity, now=now)
        line.reservation = reservation
        line.save(update_fields=["reservation"])
    for lot in StockLot.objects.filter(reserved__gt=0).select_related("item").order_by("pk"):
        loose = lot.reserved - allocated_on_lot[lot.pk]
        if loose > 0:
            reservation = _reservation(apps, item_id=lot.item_id, retail_partner_id=None, order_ref="",
                                       quantity=loose, reason="units reserved before reservations had owners",
                                       now=now)
            _open_hold(apps, lot=lot, reservation=reservation, quantity=loose, now=now)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0003_reservations"),
        ("orders", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderline",
            name="reservation",
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                       related_name="order_line", to="inventory.reservation"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.DeleteModel(name="Allocation"),
    ]
