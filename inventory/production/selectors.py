"""Reads of production runs and the genealogy of batches (which lots went into which batch)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from inventory.models import Batch
from inventory.production.models import ProductionInput, ProductionRun
from inventory.selectors import ts
from partners.principal import Principal
from partners.selectors import supplier_ids_visible_to


def _runs() -> QuerySet[ProductionRun]:
    return ProductionRun.objects.select_related(
        "supplier", "warehouse", "output_batch", "output_product", "created_by").prefetch_related(
        Prefetch("inputs", queryset=ProductionInput.objects.select_related("product", "batch").order_by("pk")))


def run_list(*, principal: Principal) -> QuerySet[ProductionRun]:
    """Runs of the suppliers the caller may see (retailers are refused before this, by kind)."""
    ids = supplier_ids_visible_to(principal)
    return _runs() if ids is None else _runs().filter(supplier_id__in=ids)


def run_view(run: ProductionRun) -> dict:
    if not hasattr(run, "_prefetched_objects_cache"):
        run = _runs().get(pk=run.pk)
    batch = run.output_batch
    return {
        "production_run_id": run.code,
        "supplier_id": run.supplier.code,
        "warehouse_location": run.warehouse.code,
        "produced_at": ts(run.produced_at),
        "reference": run.reference,
        "inputs": [{"product_id": use.product.sku, "batch_number": use.batch.batch_number,
                    "expiration_date": ts(use.batch.expiration_date), "quantity": use.quantity}
                   for use in run.inputs.all()],
        "output": {"product_id": run.output_product.sku, "batch_number": batch.batch_number,
                   "quantity": run.output_quantity, "expiration_date": ts(batch.expiration_date),
                   "production_date": batch.production_date.isoformat() if batch.production_date else None},
    }


# --- genealogy ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Derivation:
    """One edge of the genealogy: ``use.batch`` (``use.quantity`` units) went into ``use.run.output_batch``."""

    use: ProductionInput
    depth: int  # 1: made directly from the starting lot (or directly of it, going back)


def _edges(**lookup) -> list[ProductionInput]:
    return list(ProductionInput.objects.filter(**lookup).select_related(
        "product", "batch__supplier", "batch__product", "run__output_batch__supplier", "run__output_batch__product",
        "run__output_product", "run__warehouse")
        .order_by("run_id", "pk"))


def batch_descendants(batch_ids: Iterable[int]) -> list[Derivation]:
    """Every use of these lots and of the batches made from them, level by level (one query a level)."""
    frontier, seen, found, depth = set(batch_ids), set(batch_ids), [], 1
    while frontier:
        made = set()
        for use in _edges(batch_id__in=frontier):
            found.append(Derivation(use, depth))
            made.add(use.run.output_batch_id)
        frontier = made - seen
        seen |= made
        depth += 1
    return found


def batch_ancestors(batch_ids: Iterable[int]) -> list[Derivation]:
    """Every lot these batches were made from, and what those were made from, nearest first."""
    frontier, seen, found, depth = set(batch_ids), set(batch_ids), [], 1
    while frontier:
        used = set()
        for use in _edges(run__output_batch_id__in=frontier):
            found.append(Derivation(use, depth))
            used.add(use.batch_id)
        frontier = used - seen
        seen |= used
        depth += 1
    return found


def derived_batches(batch: Batch) -> list[Batch]:
    """The batches made from ``batch``, directly or not (each once, nearest first)."""
    out: dict[int, Batch] = {}
    for derivation in batch_descendants([batch.pk]):
        out.setdefault(derivation.use.run.output_batch_id, derivation.use.run.output_batch)
    return list(out.values())
