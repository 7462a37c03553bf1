"""The staff dashboard: one admin page that reads across the apps.

It lives in the project package because it reads from every app (inventory, orders,
webhooks) and no domain app may import all of them. Every figure is one aggregate query,
so the page costs the same with 100 or 100,000 ledger rows; the charts are inline SVG
built here, with no script or CDN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.contrib import admin
from django.db.models import Count, F, Min, Q, Sum, Window
from django.db.models.functions import Coalesce, TruncDate, TruncHour
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from hotsauce.jobs import job_report
from inventory.forecast_selectors import alert_list
from inventory.forecasting import alert_view
from inventory.models import Batch, InventoryTransaction, RestockAlert, StockLot
from orders.feedback.scorecards import scorecards
from orders.models import Recall, Return
from partners.principal import Principal
from partners.scopes import BRAND
from webhooks.models import Delivery, DeliveryAttempt, Endpoint

admin.site.site_header = "Hot sauce operations"
admin.site.site_title = "Hot sauce staff portal"
admin.site.index_title = "Staff portal"

WEEKS_AHEAD = 12
LEDGER_DAYS = 14
SCORECARD_DAYS = 30
LIST_LIMIT = 15


# --- inline SVG -----------------------------------------------------------------------


@dataclass
class Bar:
    label: str
    value: int
    title: str = ""
    alert: int = 0  # the part of ``value`` drawn in the alert colour (e.g. failed attempts)


def bar_chart(bars: list[Bar], *, chart_id: str, colour: str = "#c0392b", width: int = 720,
              height: int = 220, alert_colour: str = "#ba2121") -> SafeString:
    """A bar chart as an inline SVG element (values labelled, one <rect class="bar"> per bar)."""
    top, bottom, left = 18, 34, 8
    plot_height = height - top - bottom
    peak = max((bar.value for bar in bars), default=0) or 1
    step = (width - left * 2) / max(len(bars), 1)
    bar_width = max(step * 0.7, 1)
    parts = []
    for index, bar in enumerate(bars):
        bar_height = round(plot_height * bar.value / peak, 1)
        x = round(left + index * step + (step - bar_width) / 2, 1)
        y = round(top + plot_height - bar_height, 1)
        centre = round(x + bar_width / 2, 1)
        parts.append(format_html(
            '<g><rect class="bar" x="{}" y="{}" width="{}" height="{}" fill="{}" data-value="{}">'
            "<title>{}</title></rect>"
            '<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="#333">{}</text>'
            '<text x="{}" y="{}" text-anchor="middle" font-size="10" fill="#666">{}</text></g>',
            x, y, round(bar_width, 1), bar_height, colour, bar.value, bar.title or f"{bar.label}: {bar.value}",
            centre, max(y - 4, 10), bar.value if bar.value else "",
            centre, height - bottom + 14, bar.label,
        ))
        if bar.alert:
            # The alert share sits on top of its bar, drawn after it so it stays visible.
            parts.append(format_html(
                '<rect class="bar-alert" x="{}" y="{}" width="{}" height="{}" fill="{}" data-value="{}"></rect>',
                x, y, round(bar_width, 1), round(plot_height * bar.alert / peak, 1), alert_colour, bar.alert))
    baseline = top + plot_height
    return format_html(
        '<svg id="{}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" '
        'height="{}" role="img" aria-label="{}">'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999" stroke-width="1"/>{}</svg>',
        chart_id, width, height, height, chart_id.replace("-", " "), left, baseline, width - left, baseline,
        format_html_join("", "{}", ((part,) for part in parts)),
    )


# --- figures (one query each) ---------------------------------------------------------


def expiring_units_per_week(*, now: datetime, weeks: int = WEEKS_AHEAD) -> list[Bar]:
    """On-hand units of unrecalled batches by the week (from today) in which they expire."""
    today = now.date()
    rows = (StockLot.objects.filter(on_hand__gt=0, batch__expiration_date__gt=now,
                                    batch__expiration_date__lt=now + timedelta(weeks=weeks))
            .exclude(batch__status=Batch.Status.RECALLED)
            .annotate(day=TruncDate("batch__expiration_date")).values("day").annotate(units=Sum("on_hand")))
    totals = [0] * weeks
    for row in rows:
        week = min(max((row["day"] - today).days // 7, 0), weeks - 1)
        totals[week] += row["units"]
    return [Bar(label=f"wk {index + 1}", value=units,
                title=f"{today + timedelta(weeks=index):%Y-%m-%d} – {today + timedelta(weeks=index, days=6):%Y-%m-%d}: "
                      f"{units} units")
            for index, units in enumerate(totals)]


def ledger_activity(*, now: datetime, days: int = LEDGER_DAYS) -> list[Bar]:
    """Ledger rows per day: the shape of recent stock work (indexed on created_at)."""
    start = (now - timedelta(days=days - 1)).date()
    # A range on created_at itself, not on its date, so the index on created_at is used.
    since = datetime.combine(start, time.min, tzinfo=UTC)
    rows = (InventoryTransaction.objects.filter(created_at__gte=since)
            .annotate(day=TruncDate("created_at")).values("day").annotate(rows=Count("id")))
    by_day = {row["day"]: row["rows"] for row in rows}
    return [Bar(label=f"{start + timedelta(days=i):%d}", value=by_day.get(start + timedelta(days=i), 0),
                title=f"{start + timedelta(days=i):%Y-%m-%d}: {by_day.get(start + timedelta(days=i), 0)} rows")
            for i in range(days)]


def stock_alerts(*, limit: int = LIST_LIMIT) -> list[dict]:
    """Active restock alerts (open or acknowledged), worst first: exactly what ``GET /api/v1/alerts`` lists.

    One source for the dashboard and the API: the alerts the forecast run opened, read through
    the API's own selector and rendered by its own view, so the two never disagree on what is
    below its reorder point (the dashboard once applied a threshold of its own).
    """
    alerts = (alert_list(principal=Principal(kind=BRAND, scopes=frozenset()))
              .filter(status__in=RestockAlert.ACTIVE)
              .order_by("available_quantity", "item__product__sku")[:limit])
    rows = []
    for alert in alerts:
        view = alert_view(alert)
        rows.append({**view, "product_name": alert.item.product.name,
                     "state": alert.get_severity_display().lower(), "out": alert.severity == "out_of_stock"})
    return rows


def batch_health(*, now: datetime) -> dict:
    return StockLot.objects.aggregate(
        expired_units=Coalesce(Sum("on_hand", filter=Q(batch__expiration_date__lte=now)), 0),
        quarantined_units=Coalesce(Sum("on_hand", filter=Q(batch__status=Batch.Status.QUARANTINED)), 0),
        recalled_units=Coalesce(Sum("on_hand", filter=Q(batch__status=Batch.Status.RECALLED)), 0),
        expiring_30_units=Coalesce(Sum("on_hand", filter=Q(batch__expiration_date__gt=now,
                                                           batch__expiration_date__lte=now + timedelta(days=30))), 0),
    )


def recent_recalls(*, limit: int = 10) -> list[Recall]:
    return list(Recall.objects.select_related("batch__product", "batch__supplier")
                .annotate(retailers=Count("notices"), units_out=Coalesce(Sum("notices__shipped_quantity"), 0))
                .order_by("-recalled_at", "-id")[:limit])


def open_returns(*, limit: int = LIST_LIMIT) -> dict:
    """The oldest returns waiting to be processed, and how many wait in all (one query)."""
    waiting = (Return.objects.filter(status__in=(Return.Status.REQUESTED, Return.Status.PARTIALLY_RECEIVED))
               .select_related("retail_partner", "supplier")
               .annotate(waiting=Window(Count("id")), units=Coalesce(Sum("lines__quantity"), 0))
               .order_by("created_at", "id")[:limit])
    rows = list(waiting)
    return {"rows": rows, "count": rows[0].waiting if rows else 0}


def webhook_health(*, now: datetime) -> dict:
    """Deliveries owed and failed, attempts per hour over the last day, endpoints in trouble."""
    since = now - timedelta(hours=24)
    deliveries = Delivery.objects.aggregate(
        pending=Count("id", filter=Q(state=Delivery.State.PENDING)),
        failed=Count("id", filter=Q(state=Delivery.State.FAILED)),
        delivered=Count("id", filter=Q(state=Delivery.State.SUCCEEDED, delivered_at__gte=since)),
        oldest_pending=Min("created_at", filter=Q(state=Delivery.State.PENDING)),
    )
    hours = {row["hour"]: row for row in (
        DeliveryAttempt.objects.filter(attempted_at__gte=since).annotate(hour=TruncHour("attempted_at"))
        .values("hour").annotate(total=Count("id"), failed=Count("id", filter=Q(success=False))))}
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    bars = []
    for index in range(24):
        hour = start + timedelta(hours=index)
        row = hours.get(hour, {"total": 0, "failed": 0})
        bars.append(Bar(label=f"{hour:%H}", value=row["total"], alert=row["failed"],
                        title=f"{hour:%Y-%m-%d %H}:00 — {row['total']} attempts, {row['failed']} failed"))
    attempts = sum(bar.value for bar in bars)
    failed_attempts = sum(bar.alert for bar in bars)
    troubled = list(Endpoint.objects.filter(Q(enabled=False) | Q(failing_since__isnull=False))
                    .order_by(F("failing_since").asc(nulls_last=True), "id")[:LIST_LIMIT])
    rate = (attempts - failed_attempts) / attempts if attempts else None
    return {
        **deliveries,
        "attempts": attempts,
        "failed_attempts": failed_attempts,
        "success_rate": f"{rate:.1%}" if rate is not None else "no attempts",
        "healthy": (rate is None or rate >= 0.95) and not deliveries["failed"],
        "chart": bar_chart(bars, chart_id="webhook-attempts", colour="#2b8a3e"),
        "endpoints": [{"endpoint": e, "state": "disabled" if not e.enabled else "failing",
                       "since": e.disabled_at if not e.enabled else e.failing_since,
                       "detail": e.disabled_reason} for e in troubled],
    }


def _percent(rate: float | None) -> int:
    return round(rate * 100) if rate is not None else 0


def partner_scorecards(*, now: datetime, days: int = SCORECARD_DAYS, limit: int = LIST_LIMIT) -> dict:
    """The API's scorecards (brand view, orders of the last ``days``) as charts, weakest suppliers first."""
    today = now.date()
    cards = scorecards(principal=Principal(kind=BRAND, scopes=frozenset()), date_from=today - timedelta(days=days - 1),
                       date_to=today, now=now)
    suppliers = sorted(cards["suppliers"], key=lambda c: (c["fill_rate"] is None, c["fill_rate"] or 0,
                                                          c["supplier_id"]))[:limit]
    retailers = sorted(cards["retail_partners"], key=lambda c: (-(c["discrepancy_rate_per_1000_units"] or 0),
                                                                c["retail_partner_id"]))[:limit]

    def chart(rows, key: str, value, chart_id: str, colour: str, unit: str) -> SafeString:
        return bar_chart([Bar(label=row[key], value=value(row), title=f"{row[key]}: {value(row)}{unit}")
                          for row in rows], chart_id=chart_id, colour=colour)

    for card in suppliers:
        card["display"] = {name: f"{_percent(card[name])} %" if card[name] is not None else "—"
                           for name in ("fill_rate", "on_time_delivery_rate", "return_rate")}
    return {
        "days": days,
        "suppliers": suppliers,
        "retailers": retailers,
        "fill_chart": chart(suppliers, "supplier_id", lambda c: _percent(c["fill_rate"]), "scorecard-fill-rate",
                            "#2b8a3e", " % filled"),
        "on_time_chart": chart(suppliers, "supplier_id", lambda c: _percent(c["on_time_delivery_rate"]),
                               "scorecard-on-time", "#1f6f8b", " % on time"),
        "ship_chart": chart(suppliers, "supplier_id", lambda c: round(c["order_to_ship_hours"]["median"] or 0),
                            "scorecard-order-to-ship", "#d9480f", " h median order to ship"),
        "discrepancy_chart": chart(retailers, "retail_partner_id",
                                   lambda c: round(c["discrepancy_rate_per_1000_units"] or 0),
                                   "scorecard-discrepancies", "#ba2121", " discrepancies per 1,000 units"),
    }


# --- the page -------------------------------------------------------------------------


def dashboard_context(*, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    expiring = expiring_units_per_week(now=now)
    activity = ledger_activity(now=now)
    return {
        "now": now,
        "expiring_chart": bar_chart(expiring, chart_id="expiring-per-week", colour="#d9480f"),
        "expiring_total": sum(bar.value for bar in expiring),
        "activity_chart": bar_chart(activity, chart_id="ledger-activity", colour="#1f6f8b"),
        "stock_alerts": stock_alerts(),
        "health": batch_health(now=now),
        "recalls": recent_recalls(),
        "returns": open_returns(),
        "webhooks": webhook_health(now=now),
        "scorecards": partner_scorecards(now=now),
        "jobs": job_report(now=now),
    }


def staff_dashboard(request):
    context = {**admin.site.each_context(request), "title": "Operations dashboard", **dashboard_context()}
    return TemplateResponse(request, "dashboard/staff_dashboard.html", context)


staff_dashboard_view = admin.site.admin_view(staff_dashboard)
