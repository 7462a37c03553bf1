"""Staff roles as Django groups: what each kind of staff member may do in the admin.

The groups are created by a migration (partners 0002) and topped up after every
``migrate`` (see ``PartnersConfig.ready``), because apps added later bring models whose
view permissions the auditor must get too. Topping up only adds: permissions an
operator removed from a group by hand stay removed until that model's permission is
recreated.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

from hotsauce.admin_tools import DEVELOPER_INTERNALS

INVENTORY_MANAGER = "inventory manager"
RETURNS_CLERK = "returns clerk"
AUDITOR = "auditor"
ROLES = (INVENTORY_MANAGER, RETURNS_CLERK, AUDITOR)

# The one permission that guards every admin stock change (receive, adjust, damage,
# transfer, count, quarantine, release, recall). A permission of its own, not
# ``change_batch``: batches are never edited as records, only moved through services.
CHANGE_STOCK_CODENAME = "can_change_stock"
CHANGE_STOCK = f"inventory.{CHANGE_STOCK_CODENAME}"
# Returns are processed (dispositions) by whoever may change them.
PROCESS_RETURNS = "orders.change_return"

# Models a returns clerk may read to do the job, beyond the orders app.
_CLERK_READS = {("inventory", "product"), ("inventory", "batch"), ("inventory", "warehouse"),
                ("partners", "supplier"), ("partners", "retailpartner")}
# Inventory records that staff never edit as records (quantities are moved by services).
_NEVER_EDITED = {"stocklot", "inventorytransaction", "inventoryitem"}


# A staff member signed in to the admin may call the API with the session (as the brand).
# The write scopes follow the Django permissions, so a role cannot do through the API what
# the admin refuses it (a returns clerk cannot move stock by POSTing a movement).
READ_SCOPES = frozenset({"catalog:read", "inventory:read", "orders:read", "shipments:read", "returns:read",
                         "events:read", "forecasts:read"})
WRITE_SCOPE_PERMISSIONS = {
    "catalog:write": "inventory.change_product",
    "inventory:write": CHANGE_STOCK,
    "orders:write": "orders.change_order",
    "shipments:write": "orders.change_shipment",
    "returns:write": PROCESS_RETURNS,
    "webhooks:manage": "webhooks.change_endpoint",
}


def staff_scopes(user) -> frozenset[str]:
    """The API scopes a staff user's session carries: reads, plus the writes its roles allow."""
    if user is None or not user.is_active:
        return frozenset()
    return READ_SCOPES | {scope for scope, perm in WRITE_SCOPE_PERMISSIONS.items() if user.has_perm(perm)}


def _ensure_permissions(apps, using: str) -> None:
    from django.contrib.auth.management import create_permissions

    # During ``migrate`` from scratch the default permissions are only created by the
    # post_migrate signal, after this runs; create them now for the models in this state.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
    content_type = apps.get_model("contenttypes", "ContentType")
    permission = apps.get_model("auth", "Permission")
    batch_type, _ = content_type.objects.db_manager(using).get_or_create(app_label="inventory", model="batch")
    permission.objects.db_manager(using).get_or_create(
        content_type=batch_type, codename=CHANGE_STOCK_CODENAME,
        defaults={"name": "Can change stock (receive, adjust, damage, transfer, count, quarantine, recall)"})


def role_permissions(apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> dict[str, list]:
    """Each role's permissions among those that exist now."""
    permission = apps.get_model("auth", "Permission")
    perms = list(permission.objects.db_manager(using).select_related("content_type"))
    views = [p for p in perms if p.codename.startswith("view_")]

    def of(app_label: str):
        return [p for p in perms if p.content_type.app_label == app_label]

    # Developer internals (idempotency records, OAuth tokens, event plumbing) are for superusers.
    views = [p for p in views if f"{p.content_type.app_label}.{p.content_type.model}" not in DEVELOPER_INTERNALS]
    manager = list(views)
    for p in of("inventory"):
        action = p.codename.split("_", 1)[0]
        if p.codename == CHANGE_STOCK_CODENAME or (action in ("add", "change")
                                                    and p.content_type.model not in _NEVER_EDITED):
            manager.append(p)
    # Orders, and the triage of discrepancies between partners (orders.feedback).
    manager += [p for p in of("orders") + of("feedback") if p.codename.startswith("change_")]
    clerk = [p for p in views if p.content_type.app_label == "orders"
             or (p.content_type.app_label, p.content_type.model) in _CLERK_READS]
    clerk += [p for p in of("orders") if p.codename.startswith("change_") and "return" in p.content_type.model]
    return {INVENTORY_MANAGER: manager, RETURNS_CLERK: clerk, AUDITOR: views}


def staff_groups_sync(apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create the three staff groups and give them their permissions (adds only)."""
    _ensure_permissions(apps, using)
    group = apps.get_model("auth", "Group")
    for name, perms in role_permissions(apps, using).items():
        role, _ = group.objects.db_manager(using).get_or_create(name=name)
        role.permissions.add(*perms)


def sync_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    # post_migrate fires once per app; once is enough, since the sync creates every
    # app's default permissions itself.
    if sender.label != "partners":
        return
    staff_groups_sync(using=using)
