"""OAuth scopes and which kind of client may hold which (API-CONTRACT.md section 3)."""

SCOPES: dict[str, str] = {
    "catalog:read": "Read suppliers, retail partners, products and warehouses",
    "catalog:write": "Brand: create and change the catalogue; supplier: its own warehouses",
    "inventory:read": "Read inventory items, lots, batches and the stock ledger",
    "inventory:write": "Record stock movements and counts",
    "orders:read": "Read orders",
    "orders:write": "Place and cancel orders",
    "shipments:read": "Read shipments",
    "shipments:write": "Create and deliver shipments",
    "returns:read": "Read returns",
    "returns:write": "Request and receive returns",
    "events:read": "Read the changes feed and the event stream",
    "webhooks:manage": "Manage webhook subscriptions",
    "forecasts:read": "Read forecasts, restock alerts and report sell-through",
}

SUPPLIER, RETAILER, BRAND = "supplier", "retailer", "brand"
KINDS = (SUPPLIER, RETAILER, BRAND)

KIND_SCOPES: dict[str, frozenset[str]] = {
    BRAND: frozenset(SCOPES),
    SUPPLIER: frozenset(SCOPES),
    # A retailer never moves a supplier's stock, edits the catalogue or ships.
    RETAILER: frozenset(SCOPES) - {"catalog:write", "inventory:write", "shipments:write"},
}


def parse_scopes(raw: str | None) -> list[str]:
    return [s for s in (raw or "").split() if s]


def invalid_scopes_for(kind: str, scopes: list[str]) -> list[str]:
    allowed = KIND_SCOPES.get(kind, frozenset())
    return sorted(s for s in scopes if s not in allowed)
