"""The ledger row carries the codes its list shows (issue 19): filled for the rows already written."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import CharField, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Concat, NullIf


def _first(model, field: str, fk: str):
    return Subquery(model.objects.filter(pk=OuterRef(fk)).values(field)[:1])


def backfill(apps, schema_editor):
    Row = apps.get_model("inventory", "InventoryTransaction")
    Supplier = apps.get_model("partners", "Supplier")
    RetailPartner = apps.get_model("partners", "RetailPartner")
    ApiClient = apps.get_model("partners", "ApiClient")
    Product = apps.get_model("inventory", "Product")
    Warehouse = apps.get_model("inventory", "Warehouse")
    Batch = apps.get_model("inventory", "Batch")
    Reservation = apps.get_model("inventory", "Reservation")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    rows = Row.objects.all()
    # One statement per column (correlated subqueries), so any number of rows stays in the database.
    rows.update(supplier_code=_first(Supplier, "code", "supplier_id"), product_sku=_first(Product, "sku", "product_id"),
                warehouse_code=_first(Warehouse, "code", "warehouse_id"),
                batch_number=_first(Batch, "batch_number", "batch_id"),
                expiration_date=_first(Batch, "expiration_date", "batch_id"))
    rows.filter(counterpart_warehouse__isnull=False).update(
        counterpart_warehouse_code=_first(Warehouse, "code", "counterpart_warehouse_id"))
    rows.filter(retail_partner__isnull=False).update(
        retail_partner_code=_first(RetailPartner, "code", "retail_partner_id"))
    rows.filter(reservation__isnull=False).update(
        reservation_code=Coalesce(_first(Reservation, "code", "reservation_id"), Value("")))
    client = ApiClient.objects.filter(pk=OuterRef("actor_client_id"))
    rows.filter(actor_client__isnull=False).update(actor_label=Coalesce(
        Subquery(client.annotate(label=Coalesce(NullIf(F("name"), Value("")), Concat(
            F("kind"), Value(" "), Coalesce(F("supplier__code"), F("retail_partner__code"), Value("brand"))),
            output_field=CharField())).values("label")[:1]), Value("")))
    rows.filter(actor_client__isnull=True, actor_user__isnull=False).update(actor_label=Concat(
        Value("staff:"), _first(User, "username", "actor_user_id"), output_field=CharField()))

class Migration(migrations.Migration):

    dependencies = [
        ("inventory", "0005_product_batch_attributes"),
        ("partners", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField("inventorytransaction", "supplier_code",
                            models.CharField(blank=True, default="", max_length=64)),
        migrations.AddField("inventorytransaction", "product_sku",
                            models.CharField(blank=True, default="", max_length=64)),
        migrations.AddField("inventorytransaction", "warehouse_code",
                            models.CharField(blank=True, default="", max_length=64)),
        migrations.AddField("inventorytransaction", "counterpart_warehouse_code",
                            models.CharField(blank=True, default="", max_length=64)),
        migrations.AddField("inventorytransaction", "batch_number",
                            models.CharField(blank=True, default="", max_length=64)),
        migrations.AddField("inventorytransaction", "expiration_date", models.DateTimeField(blank=True, null=True)),
        migrations.AddField("inventorytransaction", "retail_partner_code",
                            models.CharField(blank=True, default="", max_length=64)),
        migrations.AddField("inventorytransaction", "reservation_code",
                            models.CharField(blank=True, default="", max_length=32)),
        migrations.AddField("inventorytransaction", "actor_label",
                            models.CharField(blank=True, default="", max_length=300)),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
