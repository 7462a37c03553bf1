"""Promotions in the staff portal: listed and searchable; written through the API (their checks live in services)."""

from django.contrib import admin

from inventory.promotions.models import Promotion


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = ("code", "retail_partner", "product", "name", "start_date", "end_date")
    list_filter = ("retail_partner",)
    search_fields = ("code", "name", "product__sku", "retail_partner__code")
    list_select_related = ("retail_partner", "product")
    date_hierarchy = "start_date"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
