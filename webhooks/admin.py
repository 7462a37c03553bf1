from django.contrib import admin, messages

from webhooks.delivery import deliveries_resend
from webhooks.models import Delivery, DeliveryAttempt, Endpoint, Event, EventAudience, EventCounter
from webhooks.services import endpoint_update


class EventAudienceInline(admin.TabularInline):
    model = EventAudience
    extra = 0
    can_delete = False
    readonly_fields = ("partner_kind", "partner_id")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("sequence", "type", "event_id", "timestamp")
    list_filter = ("type",)
    search_fields = ("event_id",)
    readonly_fields = ("sequence", "event_id", "type", "timestamp", "data")
    inlines = [EventAudienceInline]

    def has_add_permission(self, request):
        return False  # events are written only with the change they describe


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ("public_id", "owner_kind", "owner_id", "url", "enabled", "failing_since", "disabled_reason")
    list_filter = ("enabled", "owner_kind")
    search_fields = ("public_id", "url")
    # Read-only: changes go through the services, which check URLs (SSRF) and reset the
    # failure clock; staff never need to read partners' signing secrets.
    fields = ("public_id", "owner_kind", "owner_id", "url", "description", "event_types", "enabled",
              "disabled_reason", "disabled_at", "failing_since", "previous_secret_expires_at", "created_at",
              "updated_at")
    readonly_fields = fields
    actions = ["enable", "disable"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Enable selected endpoints (restarts the 5-day failure clock)")
    def enable(self, request, queryset):
        for endpoint in queryset:
            endpoint_update(endpoint=endpoint, enabled=True)
        self.message_user(request, f"{queryset.count()} endpoints enabled.", messages.SUCCESS)

    @admin.action(description="Disable selected endpoints (pending deliveries become failed)")
    def disable(self, request, queryset):
        for endpoint in queryset:
            endpoint_update(endpoint=endpoint, enabled=False)
        self.message_user(request, f"{queryset.count()} endpoints disabled.", messages.SUCCESS)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("number", "attempted_at", "status_code", "latency_ms", "success", "error", "response_body")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "endpoint", "state", "attempts", "last_status_code", "next_attempt_at",
                    "delivered_at")
    list_filter = ("state",)
    search_fields = ("event__event_id", "endpoint__public_id", "endpoint__url")
    list_select_related = ("event", "endpoint")
    readonly_fields = ("event", "endpoint", "state", "attempts", "cycle_attempts", "next_attempt_at", "enqueued_at",
                       "last_attempt_at", "last_status_code", "last_error", "delivered_at", "created_at")
    inlines = [DeliveryAttemptInline]
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Re-send selected deliveries (same webhook-id, fresh retry cycle)")
    def resend(self, request, queryset):
        count = deliveries_resend(deliveries=queryset)
        self.message_user(request, f"{count} deliveries queued again.", messages.SUCCESS)


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin):
    """Every HTTP attempt, for answering a partner's "did you call us?" (read-only)."""

    list_display = ("delivery", "number", "attempted_at", "status_code", "latency_ms", "success", "error")
    list_filter = ("success", "status_code")
    search_fields = ("delivery__endpoint__public_id", "delivery__event__event_id", "error")
    list_select_related = ("delivery",)
    date_hierarchy = "attempted_at"
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EventAudience)
class EventAudienceAdmin(admin.ModelAdmin):
    """Who may see each event (decided when it was written); read-only."""

    list_display = ("event", "partner_kind", "partner_id")
    list_filter = ("partner_kind",)
    search_fields = ("event__event_id", "=partner_id")
    list_select_related = ("event",)
    readonly_fields = ("event", "partner_kind", "partner_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EventCounter)
class EventCounterAdmin(admin.ModelAdmin):
    """The event sequence: the last number handed out. Read-only; the event service owns it."""

    list_display = ("id", "value")
    readonly_fields = ("value",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
