from django.contrib import admin

from hotsauce.api.models import IdempotencyRecord


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    """Stored first answers to Idempotency-Keys: read-only, for answering "was my retry replayed?"."""

    list_display = ("created_at", "client_key", "key", "method", "path", "state", "status_code", "completed_at")
    list_filter = ("state", "method", "status_code")
    search_fields = ("=client_key", "key", "path")
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
