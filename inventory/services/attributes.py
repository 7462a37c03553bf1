"""Custom attributes of batches (products carry theirs through the catalogue services)."""

from __future__ import annotations

from django.db import transaction

from inventory.models import Batch
from partners.attributes.services import attributes_merge
from partners.principal import Principal


@transaction.atomic
def batch_attributes_update(*, batch: Batch, changes: dict, principal: Principal | None) -> Batch:
    """Merge ``changes`` into a batch's attributes (``null`` removes a key), checked against the definitions.

    The row lock makes two concurrent merges of different keys both land.
    """
    locked = Batch.objects.select_for_update().get(pk=batch.pk)
    locked.attributes = attributes_merge(resource="batch", incoming=changes, principal=principal,
                                         current=locked.attributes, replace=False)
    Batch.objects.filter(pk=locked.pk).update(attributes=locked.attributes)
    return locked
