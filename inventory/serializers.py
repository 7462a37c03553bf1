from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers
from rest_framework.fields import SkipField

from hotsauce.api.fields import DATETIME_INPUT_FORMATS, StrictIntegerField, StrictModelSerializer, StrictSerializer
from inventory.models import Batch, InventoryTransaction, Product, Warehouse
from inventory.selectors import receipt_missing_fields
from partners.attributes.fields import AttributesField
from partners.models import code_validator


class ProductSerializer(StrictModelSerializer):
    product_id = serializers.CharField(source="sku", max_length=64, validators=[code_validator])
    gtin = serializers.CharField(max_length=14, required=False, allow_blank=True, default="")
    heat_level_shu = StrictIntegerField(min_value=0, max_value=20_000_000, required=False, allow_null=True)
    bottle_size_ml = StrictIntegerField(min_value=1, max_value=1_000_000, required=False, allow_null=True)
    ingredients = serializers.ListField(child=serializers.CharField(max_length=200), required=False,
                                        max_length=100, default=list)
    expiry_warning_days = StrictIntegerField(min_value=0, max_value=3650, required=False)
    attributes = AttributesField(resource="product")

    class Meta:
        model = Product
        fields = ["product_id", "gtin", "name", "flavor", "heat_level_shu", "bottle_size_ml", "ingredients",
                  "kind", "expiry_warning_days", "attributes", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class ProductPutSerializer(ProductSerializer):
    product_id = serializers.CharField(source="sku", max_length=64, required=False)


class WarehouseSerializer(StrictModelSerializer):
    warehouse_location = serializers.CharField(source="code", max_length=64, validators=[code_validator])
    supplier_id = serializers.CharField(source="supplier.code", max_length=64, required=False)

    class Meta:
        model = Warehouse
        fields = ["warehouse_location", "name", "supplier_id", "address", "country", "active", "created_at"]
        read_only_fields = ["created_at"]


class LotSerializer(serializers.Serializer):
    warehouse_location = serializers.CharField()
    batch_number = serializers.CharField()
    expiration_date = serializers.CharField()
    status = serializers.ChoiceField(choices=["released", "quarantined", "recalled", "expired"])
    inventory_level = serializers.IntegerField()
    reserved_quantity = serializers.IntegerField()
    available_quantity = serializers.IntegerField()
    on_hold_quantity = serializers.IntegerField()


class InventoryItemSerializer(serializers.Serializer):
    """Documents the item view built by ``inventory.selectors.item_view``."""

    supplier_id = serializers.CharField()
    retail_partner_id = serializers.CharField(allow_null=True)
    product_id = serializers.CharField()
    inventory_level = serializers.IntegerField()
    reserved_quantity = serializers.IntegerField()
    available_quantity = serializers.IntegerField()
    on_hold_quantity = serializers.IntegerField()
    warehouse_location = serializers.CharField(allow_null=True)
    batch_number = serializers.CharField(allow_null=True)
    expiration_date = serializers.CharField(allow_null=True)
    last_updated = serializers.CharField()
    version = serializers.IntegerField()
    lots = LotSerializer(many=True)
    as_of = serializers.DateField(required=False, help_text="With ?asOf=: the date inboundQuantity is due by")
    inbound_quantity = serializers.IntegerField(
        required=False, help_text="With ?asOf=: units promised by purchase orders to arrive by asOf, not received "
                                  "yet (not part of inventoryLevel or availableQuantity)")


class TransactionSerializer(serializers.Serializer):
    """Documents ``inventory.services.transaction_view``."""

    id = serializers.IntegerField()
    movement_id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=InventoryTransaction.Type.values)
    supplier_id = serializers.CharField()
    product_id = serializers.CharField()
    warehouse_location = serializers.CharField()
    to_warehouse_location = serializers.CharField(allow_null=True)
    batch_number = serializers.CharField()
    expiration_date = serializers.CharField()
    quantity = serializers.IntegerField()
    on_hand_delta = serializers.IntegerField()
    reserved_delta = serializers.IntegerField()
    on_hold_delta = serializers.IntegerField()
    on_hand_after = serializers.IntegerField()
    reserved_after = serializers.IntegerField()
    retail_partner_id = serializers.CharField(allow_null=True)
    reservation_id = serializers.CharField(allow_null=True, help_text="The reservation whose held units this "
                                                                        "row changes (RSV-…)")
    reason = serializers.CharField()
    reference = serializers.CharField()
    actor = serializers.CharField(allow_null=True)
    version = serializers.IntegerField()
    created_at = serializers.CharField()


class MovementResultSerializer(serializers.Serializer):
    transaction = TransactionSerializer()
    transactions = TransactionSerializer(many=True)
    inventory = InventoryItemSerializer()


MOVEMENT_TYPE_CHOICES = ["receipt", "reservation", "release", "sale", "damage", "return", "writeOff",
                         "adjustment", "transfer"]


class MovementSerializer(StrictSerializer):
    type = serializers.ChoiceField(choices=MOVEMENT_TYPE_CHOICES)
    quantity = StrictIntegerField(min_value=-1_000_000_000, max_value=1_000_000_000, required=False,
                                  help_text="Units; positive except for an adjustment (signed). A reservation "
                                            "with orderId may leave it out: the order's remainder is allocated.")
    warehouse_location = serializers.CharField(max_length=64, required=False, allow_null=True)
    batch_number = serializers.CharField(max_length=64, required=False, allow_null=True)
    expiration_date = serializers.DateTimeField(required=False, allow_null=True, input_formats=DATETIME_INPUT_FORMATS)
    production_date = serializers.DateField(required=False, allow_null=True)
    to_warehouse_location = serializers.CharField(max_length=64, required=False, allow_null=True)
    retail_partner_id = serializers.CharField(max_length=64, required=False, allow_null=True)
    reservation_id = serializers.CharField(
        max_length=32, required=False, allow_null=True,
        help_text="release: the standalone reservation to release from (required); sale: sell its held units")
    order_id = serializers.CharField(
        max_length=32, required=False, allow_null=True,
        help_text="reservation: allocate this order's not-yet-allocated remainder of the product, never more")
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, input_formats=DATETIME_INPUT_FORMATS,
        help_text="reservation: when the hold is released automatically")
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict) or not isinstance(data, dict):
                raise
            # A bad field must not hide the rules the rest of the body breaks (a receipt's
            # missing batch, a transfer's missing destination): one round trip fixes it all.
            raise serializers.ValidationError({**self.rule_errors(self._valid_fields(data, exc.detail)),
                                               **exc.detail}) from None

    def _valid_fields(self, data: dict, errors: dict) -> dict:
        valid = {}
        for name, field in self.fields.items():
            if name in errors or field.read_only:
                continue
            try:
                valid[name] = field.run_validation(field.get_value(data))
            except (serializers.ValidationError, SkipField):
                continue
        return valid

    def movement_item(self, attrs: dict):
        """The (supplier, product) the movement is for, when known: the receipt rules depend on it."""
        return self.context.get("item")

    def validate(self, attrs):
        errors = self.rule_errors(attrs)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def rule_errors(self, attrs: dict) -> dict:
        # Every rule at once: a partner fixing a body should need one round trip, not one per field.
        if "type" not in attrs:
            return {}
        kind, quantity, errors = attrs["type"], attrs.get("quantity"), {}
        if quantity is None:
            if not (kind == "reservation" and attrs.get("order_id")):
                errors["quantity"] = ["This field is required."]
        elif kind == "adjustment" and quantity == 0:
            errors["quantity"] = ["An adjustment must not be zero."]
        elif kind != "adjustment" and quantity <= 0:
            errors["quantity"] = ["Must be a positive whole number."]
        if kind == "transfer" and not attrs.get("to_warehouse_location"):
            errors["to_warehouse_location"] = ["Required for a transfer."]
        if kind == "release" and not attrs.get("reservation_id"):
            errors["reservation_id"] = ["Name the reservation to release from (reservationId)."]
        item = self.movement_item(attrs) if kind == "receipt" else None
        if item is not None:
            supplier, product = item
            for error in receipt_missing_fields(
                    supplier_id=supplier.pk, product_id=product.pk, warehouse_code=attrs.get("warehouse_location"),
                    batch_number=attrs.get("batch_number"), expiration_date=attrs.get("expiration_date")):
                errors[error["field"]] = [error["message"]]
        return errors


class LedgerMovementSerializer(MovementSerializer):
    supplier_id = serializers.CharField(max_length=64)
    product_id = serializers.CharField(max_length=64)

    def movement_item(self, attrs: dict):
        # The item is named in the body: the view's resolver answers None for one the caller may
        # not see, so the receipt rules stay silent and the view's 404 decides (no existence leak).
        resolve = self.context.get("resolve_item")
        if resolve is None or not attrs.get("supplier_id") or not attrs.get("product_id"):
            return None
        return resolve(attrs["supplier_id"], attrs["product_id"])


class CountLotSerializer(StrictSerializer):
    warehouse_location = serializers.CharField(max_length=64)
    batch_number = serializers.CharField(max_length=64)
    inventory_level = StrictIntegerField(min_value=0, max_value=1_000_000_000)


class CountSerializer(StrictSerializer):
    version = StrictIntegerField(min_value=0, required=False)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    lots = CountLotSerializer(many=True, allow_empty=False, max_length=1000)


class BatchSerializer(StrictModelSerializer):
    product_id = serializers.CharField(source="product.sku")
    supplier_id = serializers.CharField(source="supplier.code")
    inventory_level = serializers.SerializerMethodField()
    reserved_quantity = serializers.SerializerMethodField()
    attributes = AttributesField(resource="batch")

    class Meta:
        model = Batch
        fields = ["product_id", "supplier_id", "batch_number", "production_date", "expiration_date", "status",
                  "status_reason", "inventory_level", "reserved_quantity", "attributes", "created_at"]

    def get_inventory_level(self, obj) -> int:
        return getattr(obj, "on_hand", None) or 0

    def get_reserved_quantity(self, obj) -> int:
        return getattr(obj, "reserved", None) or 0


class ReservationLotSerializer(serializers.Serializer):
    warehouse_location = serializers.CharField()
    batch_number = serializers.CharField()
    expiration_date = serializers.CharField()
    quantity = serializers.IntegerField(help_text="Units held on this lot now")


class ReservationSerializer(serializers.Serializer):
    """Documents ``inventory.selectors.reservation_view``."""

    reservation_id = serializers.CharField()
    supplier_id = serializers.CharField()
    product_id = serializers.CharField()
    retail_partner_id = serializers.CharField(allow_null=True)
    order_id = serializers.CharField(allow_null=True, help_text="Set when this is an order line's allocation: "
                                                                 "only cancelling or shipping the order frees it")
    status = serializers.ChoiceField(choices=["open", "released", "consumed", "expired"])
    quantity = serializers.IntegerField(help_text="Units ever placed on hold")
    remaining_quantity = serializers.IntegerField(help_text="Units held now")
    released_quantity = serializers.IntegerField()
    consumed_quantity = serializers.IntegerField(help_text="Units shipped or sold from the hold")
    expires_at = serializers.CharField(allow_null=True)
    reason = serializers.CharField()
    reference = serializers.CharField()
    lots = ReservationLotSerializer(many=True)
    created_at = serializers.CharField()
    updated_at = serializers.CharField()
    closed_at = serializers.CharField(allow_null=True)


class BatchPatchSerializer(StrictSerializer):
    attributes = AttributesField(resource="batch", check=False, required=True,
                                 help_text="Merged: the keys sent are set, null removes one")


# --- the movement body as the schema shows it: one shape per type (oneOf on ``type``) ---------

# type → (fields it requires besides ``type``, what the type does). The rules are
# MovementSerializer.validate's and the services'; the schema marks required only what is
# always required, and describes the conditional ones.
MOVEMENT_TYPES = {
    "receipt": (("quantity", "batch_number"),
                "Goods in: creates the batch and lot when new. `expirationDate` is required for a new batch "
                "(a past one is a 400); `warehouseLocation` unless the supplier has exactly one warehouse."),
    "reservation": ((), "Hold units (first expired, first out without `batchNumber`). With `orderId`: allocate that "
                        "order's remainder of the product (the brief's step 4), `quantity` may be left out."),
    "release": (("quantity", "reservation_id"), "Give back units held by a standalone reservation."),
    "sale": (("quantity",), "Units sold; with `reservationId` from that reservation's held units."),
    "damage": (("quantity",), "Units found damaged: they leave stock."),
    "return": (("quantity",), "Units returned outside a return request: back on hand."),
    "writeOff": (("quantity",), "Units written off (e.g. expired): they leave stock."),
    "adjustment": (("quantity",), "A signed correction (never zero)."),
    "transfer": (("quantity", "to_warehouse_location"), "Move units between the supplier's warehouses."),
}


def _movement_type_serializer(kind: str, base: type[serializers.Serializer]) -> type[serializers.Serializer]:
    required, description = MOVEMENT_TYPES[kind]
    fields = {}
    for name, field in base._declared_fields.items():
        kwargs = dict(field._kwargs)  # fields are rebuilt from their arguments when a serializer copies them
        if name in required:
            kwargs.pop("default", None)
            kwargs.update(required=True, allow_null=False)
        if name == "quantity" and kind != "adjustment":  # only an adjustment is signed
            kwargs["min_value"] = 1
        fields[name] = type(field)(*field._args, **kwargs)
        if name == "type":  # each branch admits its own type only: a body matches exactly one branch
            fields[name] = serializers.ChoiceField(choices=[kind])
    name = kind[0].upper() + kind[1:]
    return type(f"{name}{base.__name__.replace('Serializer', '')}", (serializers.Serializer,),
                {**fields, "__doc__": description})


def movement_body_schema(base: type[serializers.Serializer]) -> PolymorphicProxySerializer:
    """The movement request body as ``oneOf`` its types, discriminated by ``type``."""
    return PolymorphicProxySerializer(
        component_name=base.__name__.replace("Serializer", "Request"),
        serializers={kind: _movement_type_serializer(kind, base) for kind in MOVEMENT_TYPES},
        resource_type_field_name="type")
