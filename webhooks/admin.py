from django.contrib import admin, messages

from webhooks.delivery import deliveries_resend
from webhooks.models import Delivery, DeliveryAttempt, Endpoint, Event, EventAudience


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
    exclude = ("secret", "previous_secret")  # staff never need to read partners' signing secrets
    readonly_fields = ("public_id", "owner_kind", "owner_id", "previous_secret_expires_at", "disabled_at",
                       "failing_since", "created_at", "updated_at")


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
