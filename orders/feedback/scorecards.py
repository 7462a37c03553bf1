"""Partner scorecards: how well each supplier serves, and how each retailer is served, over a period.

The cohort is the orders created in [from, to] (UTC days), cancelled ones excluded. Every
figure is set-based: per side (suppliers, retailers) one query for the order figures, one
for the shipment times, one for discrepancies and one for returns, whatever the number of
orders (a partner's own card adds one to read its code). Definitions (docs/feedback.md):

- fill rate = shipped units / ordered units;
- on-time delivery rate = orders delivered complete with no shipment delivered after the
  requested date / orders due (a requested date, and delivered or that date already past);
- order-to-ship = shipment shipped − order created; ship-to-deliver = delivered − shipped
  (hours, per shipment; median and p90 as PostgreSQL's ``percentile_cont``, linear
  interpolation, computed in SQL there and by the same definition in Python elsewhere);
- discrepancy rate = discrepancies on the orders (rejected ones excluded) per 1,000
  shipped units; mean time to resolve = mean(closed − opened) of the resolved ones;
- return rate = units returned against the orders / shipped units;
- slowest step (suppliers): the largest of median order-to-ship, median ship-to-deliver
  and mean time to resolve.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.db.models import Aggregate, Avg, Count, Exists, F, FloatField, Func, OuterRef, Q, QuerySet, Sum

from orders.feedback.models import Discrepancy
from orders.models import Order, ReturnLine, Shipment
from partners.models import RetailPartner, Supplier
from partners.principal import Principal


class HoursBetween(Func):
    """(end − start) in hours as a float, on PostgreSQL and SQLite alike."""

    output_field = FloatField()
    template = "(EXTRACT(EPOCH FROM (%(expressions)s))::double precision / 3600.0)"
    arg_joiner = " - "

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="((julianday(%(expressions)s)) * 24.0)",
                           arg_joiner=") - julianday(", **extra)


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: the p-th percentile, interpolating linearly."""

    function = "percentile_cont"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, percentile: float, **extra):
        super().__init__(expression, percentile=repr(float(percentile)), **extra)


def percentile(sorted_values: list[float], p: float) -> float | None:
    """``percentile_cont`` in Python: position p·(n−1) between the sorted values, linearly."""
    if not sorted_values:
        return None
    position = p * (len(sorted_values) - 1)
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


@dataclass(frozen=True)
class Side:
    """Suppliers or retailers: the column grouped on and the key of each card."""

    field: str
    key: str
    model: type
    relation: str


SUPPLIERS = Side("supplier_id", "supplier_id", Supplier, "supplier")
RETAILERS = Side("retail_partner_id", "retail_partner_id", RetailPartner, "retail_partner")


def _cohort(*, start: datetime, end: datetime, prefix: str = "") -> Q:
    return (Q(**{f"{prefix}created_at__gte": start, f"{prefix}created_at__lt": end})
            & ~Q(**{f"{prefix}status": Order.Status.CANCELLED}))


def _order_figures(orders: QuerySet, side: Side, today: date) -> dict[int, dict]:
    late = Shipment.objects.filter(order=OuterRef("pk"), delivered_at__date__gt=OuterRef("requested_delivery_date"))
    due = Q(requested_delivery_date__isnull=False) & (Q(status=Order.Status.DELIVERED)
                                                      | Q(requested_delivery_date__lt=today))
    on_time = Q(requested_delivery_date__isnull=False, status=Order.Status.DELIVERED) & ~Q(Exists(late))
    rows = orders.values(side.field, party_code=F(f"{side.relation}__code")).annotate(
        orders=Count("pk", distinct=True), ordered_units=Sum("lines__quantity"),
        shipped_units=Sum("lines__shipped_quantity"), orders_due=Count("pk", distinct=True, filter=due),
        orders_on_time=Count("pk", distinct=True, filter=on_time)).order_by()
    return {row.pop(side.field): row for row in rows}


def _shipment_times(shipments: QuerySet, side: Side, *, in_sql: bool) -> dict[int, dict]:
    to_ship = HoursBetween("shipped_at", "order__created_at")
    to_deliver = HoursBetween("delivered_at", "shipped_at")
    if in_sql:
        rows = shipments.values(f"order__{side.field}").annotate(
            o2s_median=PercentileCont(to_ship, 0.5), o2s_p90=PercentileCont(to_ship, 0.9),
            o2s_count=Count("pk"), s2d_median=PercentileCont(to_deliver, 0.5),
            s2d_p90=PercentileCont(to_deliver, 0.9), s2d_count=Count("delivered_at")).order_by()
        return {row.pop(f"order__{side.field}"): row for row in rows}
    values: dict[int, tuple[list, list]] = defaultdict(lambda: ([], []))
    for party, ship_hours, deliver_hours in shipments.values_list(f"order__{side.field}", to_ship, to_deliver):
        values[party][0].append(ship_hours)
        if deliver_hours is not None:
            values[party][1].append(deliver_hours)
    figures = {}
    for party, (ship, deliver) in values.items():
        ship.sort()
        deliver.sort()
        figures[party] = {"o2s_median": percentile(ship, 0.5), "o2s_p90": percentile(ship, 0.9),
                          "o2s_count": len(ship), "s2d_median": percentile(deliver, 0.5),
                          "s2d_p90": percentile(deliver, 0.9), "s2d_count": len(deliver)}
    return figures


def _discrepancy_figures(discrepancies: QuerySet, side: Side) -> dict[int, dict]:
    resolved = Q(status=Discrepancy.Status.RESOLVED)
    rows = discrepancies.exclude(status=Discrepancy.Status.REJECTED).values(f"order__{side.field}").annotate(
        discrepancies=Count("pk"), resolved=Count("pk", filter=resolved),
        resolve_hours=Avg(HoursBetween("closed_at", "opened_at"), filter=resolved)).order_by()
    return {row.pop(f"order__{side.field}"): row for row in rows}


def _returned_units(return_lines: QuerySet, side: Side) -> dict[int, int]:
    rows = return_lines.values(f"ret__order__{side.field}").annotate(units=Sum("quantity")).order_by()
    return {row[f"ret__order__{side.field}"]: row["units"] for row in rows}


def _ratio(numerator, denominator, scale: float = 1.0, digits: int = 4) -> float | None:
    return round(numerator * scale / denominator, digits) if denominator else None


def _hours(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _card(side: Side, code: str, base: dict, times: dict, disc: dict, returned: int) -> dict:
    shipped = base.get("shipped_units") or 0
    card = {
        side.key: code,
        "orders": base.get("orders", 0),
        "ordered_units": base.get("ordered_units") or 0,
        "shipped_units": shipped,
        "fill_rate": _ratio(shipped, base.get("ordered_units") or 0),
        "orders_due": base.get("orders_due", 0),
        "orders_on_time": base.get("orders_on_time", 0),
        "on_time_delivery_rate": _ratio(base.get("orders_on_time", 0), base.get("orders_due", 0)),
        "order_to_ship_hours": {"median": _hours(times.get("o2s_median")), "p90": _hours(times.get("o2s_p90")),
                                "count": times.get("o2s_count", 0)},
        "ship_to_deliver_hours": {"median": _hours(times.get("s2d_median")), "p90": _hours(times.get("s2d_p90")),
                                  "count": times.get("s2d_count", 0)},
        "discrepancies": disc.get("discrepancies", 0),
        "discrepancy_rate_per_1000_units": _ratio(disc.get("discrepancies", 0), shipped, 1000, 2),
        "resolved_discrepancies": disc.get("resolved", 0),
        "mean_time_to_resolve_hours": _hours(disc.get("resolve_hours")),
        "returned_units": returned,
        "return_rate": _ratio(returned, shipped),
    }
    if side is SUPPLIERS:
        steps = [("orderToShip", card["order_to_ship_hours"]["median"]),
                 ("shipToDeliver", card["ship_to_deliver_hours"]["median"]),
                 ("resolve", card["mean_time_to_resolve_hours"])]
        known = [(hours, step) for step, hours in steps if hours is not None]
        card["slowest_step"] = {"step": max(known)[1], "hours": max(known)[0]} if known else None
    return card


def _side_cards(side: Side, *, start: datetime, end: datetime, today: date, only: int | None,
                in_sql: bool) -> list[dict]:
    party = {side.field: only} if only is not None else {}
    orders = Order.objects.filter(_cohort(start=start, end=end), **party)
    on_orders = {f"order__{k}": v for k, v in party.items()}
    base = _order_figures(orders, side, today)
    times = _shipment_times(Shipment.objects.filter(_cohort(start=start, end=end, prefix="order__"), **on_orders),
                            side, in_sql=in_sql)
    disc = _discrepancy_figures(
        Discrepancy.objects.filter(_cohort(start=start, end=end, prefix="order__"), **on_orders), side)
    returned = _returned_units(ReturnLine.objects.filter(
        _cohort(start=start, end=end, prefix="ret__order__"), **{f"ret__{k}": v for k, v in on_orders.items()}),
        side)
    codes = {pk: row.pop("party_code") for pk, row in base.items()}
    if only is not None:  # a partner always gets its own card, orders or none
        codes[only] = side.model.objects.values_list("code", flat=True).get(pk=only)
    cards = [_card(side, code, base.get(pk, {}), times.get(pk, {}), disc.get(pk, {}), returned.get(pk, 0))
             for pk, code in codes.items()]
    return sorted(cards, key=lambda card: card[side.key])


def scorecards(*, principal: Principal, date_from: date, date_to: date, now: datetime | None = None,
               in_sql: bool | None = None) -> dict:
    """Cards for the period: a supplier gets its own, a retailer its own, the brand every partner's.

    ``in_sql``: percentiles by ``percentile_cont`` (default on PostgreSQL) or the portable path."""
    if in_sql is None:
        in_sql = connection.vendor == "postgresql"
    today = (now or datetime.now(UTC)).date()
    start = datetime.combine(date_from, time.min, tzinfo=UTC)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC)
    window = {"start": start, "end": end, "today": today, "in_sql": in_sql}
    suppliers = retailers = []
    if not principal.is_retailer:
        suppliers = _side_cards(SUPPLIERS, only=principal.supplier_id if principal.is_supplier else None, **window)
    if not principal.is_supplier:
        retailers = _side_cards(RETAILERS, only=principal.retail_partner_id if principal.is_retailer else None,
                                **window)
    return {"from": date_from.isoformat(), "to": date_to.isoformat(), "suppliers": suppliers,
            "retail_partners": retailers}
