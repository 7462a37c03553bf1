"""Production runs in the admin: read-only records (runs are recorded through the API's service)."""

from django.contrib import admin

from inventory.admin import ReadOnlyMixin
from inventory.production.models import ProductionInput, ProductionRun


class ProductionInputInline(ReadOnlyMixin, admin.TabularInline):
    model = ProductionInput
    fields = ("product", "batch", "lot", "quantity")
    extra = 0


@admin.register(ProductionRun)
class ProductionRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "supplier", "warehouse", "output_product", "output_batch", "output_quantity",
                    "produced_at")
    list_filter = ("supplier",)
    search_fields = ("code", "output_batch__batch_number", "inputs__batch__batch_number", "reference")
    list_select_related = ("supplier", "warehouse", "output_product", "output_batch")
    date_hierarchy = "produced_at"
    inlines = (ProductionInputInline,)
