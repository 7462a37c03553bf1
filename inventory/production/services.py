"""Production runs: consume input lots and produce a new batch in one stock transaction.

validate (no lock held) → lock every item of the run in one call (inputs and output) → check
each input lot has the units available → create the batch and the run → ``consume`` rows for
the inputs, a ``produce`` row for the output (one ``stock_work``: one version bump and one
``inventory.updated`` per item) → genealogy rows → the FSMA 204 transformation record → event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from hotsauce.errors import InsufficientStock, ValidationFailed
from inventory import services as stock
from inventory.models import Batch, InventoryTransaction, Product, StockLot, Warehouse
from inventory.production.models import ProductionInput, ProductionRun
from inventory.production.selectors import run_view
from inventory.selectors import lot_quantities
from inventory.traceability import services as trace
from partners.models import Supplier
from partners.principal import Principal
from webhooks.services import event_emit

T = InventoryTransaction.Type


@dataclass
class InputRequest:
    product: Product
    batch_number: str
    quantity: int


@dataclass
class OutputRequest:
    product: Product
    batch_number: str
    quantity: int
    expiration_date: datetime
    production_date: date | None = None


def _validate_inputs(supplier: Supplier, inputs: list[InputRequest], output: OutputRequest,
                     errors: list[dict]) -> list[Batch | None]:
    numbers = {(request.product.pk, request.batch_number) for request in inputs}
    found = {(b.product_id, b.batch_number): b for b in Batch.objects.filter(
        supplier=supplier, product_id__in={p for p, _ in numbers}, batch_number__in={n for _, n in numbers})}
    batches, seen = [], set()
    if not inputs:
        errors.append({"field": "inputs", "message": "A production run consumes at least one lot."})
    for index, request in enumerate(inputs):
        key = (request.product.pk, request.batch_number)
        batch = found.get(key)
        batches.append(batch)
        if batch is None:
            errors.append({"field": f"inputs[{index}].batchNumber",
                           "message": f"{supplier.code} has no batch {request.batch_number!r} of "
                                      f"{request.product.sku}."})
        elif key in seen:
            errors.append({"field": f"inputs[{index}]", "message": "The same lot is listed twice."})
        if request.product.pk == output.product.pk:
            errors.append({"field": f"inputs[{index}].productId",
                           "message": "A run cannot consume the product it makes."})
        seen.add(key)
    return batches


def _validate_output(output: OutputRequest, errors: list[dict]) -> None:
    if Batch.objects.filter(product=output.product, batch_number=output.batch_number).exists():
        errors.append({"field": "output.batchNumber",
                       "message": f"Batch {output.batch_number} of {output.product.sku} already exists; a run makes "
                                  "a new batch."})
    if output.expiration_date <= timezone.now():
        errors.append({"field": "output.expirationDate", "message": "Must be in the future."})


def _validate(supplier: Supplier, warehouse_code: str | None, inputs: list[InputRequest],
              output: OutputRequest) -> tuple[Warehouse, list[Batch]]:
    errors: list[dict] = []
    warehouse = None
    try:
        warehouse = stock.warehouse_resolve(supplier, warehouse_code)
    except ValidationFailed as exc:
        errors += exc.errors
    batches = _validate_inputs(supplier, inputs, output, errors)
    _validate_output(output, errors)
    if errors:
        raise ValidationFailed(errors[0]["message"], errors=errors)
    return warehouse, batches


def _input_lots(locked, item_ids: dict[int, int], warehouse: Warehouse, inputs: list[InputRequest],
                batches: list[Batch], now: datetime) -> list[StockLot]:
    """The lot each input consumes, all checked before any unit moves (409 naming every short input)."""
    lots, errors = [], []
    for index, (request, batch) in enumerate(zip(inputs, batches, strict=True)):
        lot = next(iter(stock.lots_select(locked.lots_of(item_ids[request.product.pk]), warehouse, batch)), None)
        available = lot_quantities(lot, now)[0] if lot is not None else 0
        if available < request.quantity:
            errors.append({"field": f"inputs[{index}].quantity",
                           "message": f"{available} units of {batch.batch_number} ({request.product.sku}) are "
                                      f"available in {warehouse.code}; {request.quantity} requested."})
        lots.append(lot)
    if errors:
        raise InsufficientStock(errors[0]["message"], errors=errors)
    return lots


def _output_batch(supplier: Supplier, output: OutputRequest, today: date) -> Batch:
    try:
        with transaction.atomic():
            return Batch.objects.create(product=output.product, supplier=supplier, batch_number=output.batch_number,
                                        expiration_date=output.expiration_date,
                                        production_date=output.production_date or today)
    except IntegrityError:  # made concurrently by another run
        raise ValidationFailed.for_field("output.batchNumber",
                                         f"Batch {output.batch_number} of {output.product.sku} already exists.") \
            from None


def production_run_create(*, supplier: Supplier, warehouse_code: str | None, inputs: list[InputRequest],
                          output: OutputRequest, actor: Principal | None, reference: str = "") -> ProductionRun:
    """Consume the input lots (by lot, ledgered) and produce a new batch of the output product."""
    warehouse, batches = _validate(supplier, warehouse_code, inputs, output)
    item_ids = stock.item_ids_ensure(supplier=supplier, products=[r.product for r in inputs] + [output.product])
    with stock.stock_work(actor=actor) as work:
        # Every item of the run in one call: the lock order holds whatever the primary keys.
        locked = work.lock(item_ids.values())
        lots = _input_lots(locked, item_ids, warehouse, inputs, batches, work.now)
        batch = _output_batch(supplier, output, work.now.date())
        run = ProductionRun.objects.create(
            supplier=supplier, warehouse=warehouse, output_batch=batch, output_product=output.product,
            output_quantity=output.quantity, reference=reference[:200], produced_at=work.now,
            created_by=getattr(actor, "client", None))
        run.code = f"PRD-{run.pk:06d}"
        ProductionRun.objects.filter(pk=run.pk).update(code=run.code)
        why = f"production run {run.code}"
        for request, lot in zip(inputs, lots, strict=True):
            item = locked.item(item_ids[request.product.pk])
            work.movement(item=item, lots=locked.lots_of(item.pk), type=T.CONSUME, reason=why,
                          reference=run.code).change(lot, quantity=request.quantity, on_hand=-request.quantity)
        out_item = locked.item(item_ids[output.product.pk])
        out_lots = locked.lots_of(out_item.pk)
        produce = work.movement(item=out_item, lots=out_lots, type=T.PRODUCE, reason=why, reference=run.code)
        produce.change(stock.lot_ensure(item=out_item, lots=out_lots, warehouse=warehouse, batch=batch),
                       quantity=output.quantity, on_hand=output.quantity)
        ProductionInput.objects.bulk_create([
            ProductionInput(run=run, product=request.product, batch=lot.batch, lot=lot, quantity=request.quantity)
            for request, lot in zip(inputs, lots, strict=True)])
        trace.cte_transformation_record(
            supplier=supplier, warehouse=warehouse, batch=batch, product=output.product, quantity=output.quantity,
            occurred_at=work.now, document_number=run.code, movement_id=produce.id,
            inputs=[{"tlc": lot.batch.batch_number, "product_id": request.product.sku,
                     "description": trace.product_description(request.product), "quantity": request.quantity,
                     "unit": "each"} for request, lot in zip(inputs, lots, strict=True)])
        view = run_view(run)
        event_emit(type="productionRun.completed", data=view, supplier_ids=[supplier.pk])
    run.view = view
    return run
