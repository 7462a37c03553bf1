from django.contrib import admin

from hotsauce.api.models import IdempotencyRecord, JobRun


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


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """When each periodic job last succeeded or failed (written by the workers, read by /readyz)."""

    list_display = ("name", "last_success_at", "last_failure_at", "last_error", "tracked_since")
    search_fields = ("name",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
