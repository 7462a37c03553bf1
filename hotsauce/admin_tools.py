"""Admin plumbing shared by every app: History entries, CSV exports, superuser-only pages.

No domain app is imported here; the apps' admins use these pieces.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.urls import path
from django.utils import timezone

# Developer internals: how the API and the event plumbing work inside. Staff roles never
# need them to do their job; only superusers see them in the admin (docs: README, "Staff roles").
DEVELOPER_INTERNALS = frozenset({
    "api.idempotencyrecord", "api.jobrun",
    "oauth2_provider.accesstoken", "oauth2_provider.refreshtoken", "oauth2_provider.grant",
    "oauth2_provider.idtoken", "partners.apiclient", "partners.apikey",
    "webhooks.eventaudience", "webhooks.eventcounter", "webhooks.deliveryattempt",
    "auth.user", "auth.group",
})

_GUARDED = ("has_view_permission", "has_add_permission", "has_change_permission", "has_delete_permission",
            "has_module_permission")


def history_record(request, obj, message: str) -> None:
    """One line in ``obj``'s admin History ("History" button), as the signed-in staff user."""
    LogEntry.objects.log_actions(user_id=request.user.pk, queryset=[obj], action_flag=CHANGE,
                                 change_message=message[:1000], single_object=True)


def _superuser_only(model_admin) -> None:
    for name in _GUARDED:
        original = getattr(model_admin, name)

        def guarded(request, *args, _original=original, **kwargs):
            user = request.user
            return bool(user.is_active and user.is_superuser and _original(request, *args, **kwargs))

        setattr(model_admin, name, guarded)


def developer_internals_restrict(site) -> list[str]:
    """Make the developer internals registered on ``site`` superuser-only; returns their labels."""
    done = []
    for model, model_admin in site._registry.items():
        if model._meta.label_lower in DEVELOPER_INTERNALS and not getattr(model_admin, "_superuser_only", False):
            _superuser_only(model_admin)
            model_admin._superuser_only = True
            done.append(model._meta.label_lower)
    return sorted(done)


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """A CSV file streamed row by row (a ledger export never sits in memory)."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(["" if value is None else value for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def iso(value) -> str:
    """Dates and times in CSV exports: ISO 8601, UTC."""
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


class CsvExportMixin:
    """``export/`` on a changelist: its rows as CSV, with the list's current filters and search applied.

    Subclasses set ``csv_columns``: (heading, function of a row) pairs, and ``csv_name``.
    """

    csv_columns: list[tuple[str, Callable]] = []
    csv_name = "export"

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_export"
        return [path("export/", self.admin_site.admin_view(self.csv_export_view), name=name)] + super().get_urls()

    def csv_queryset(self, request):
        changelist = self.get_changelist_instance(request)
        return changelist.queryset

    def csv_export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        rows = self.csv_queryset(request)
        stamp = timezone.now().strftime("%Y-%m-%dT%H%M%SZ")
        return csv_response(f"{self.csv_name}-{stamp}.csv", [h for h, _ in self.csv_columns],
                            ([get(row) for _, get in self.csv_columns] for row in rows.iterator(chunk_size=500)))

    def changelist_view(self, request, extra_context=None):
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_export"
        extra_context = {**(extra_context or {}), "csv_export_url": name}
        return super().changelist_view(request, extra_context)
