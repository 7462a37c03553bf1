"""``GET traceability/fsma204``: the FSMA 204 sortable spreadsheet, negotiated on Accept (CSV or XLSX)."""

from __future__ import annotations

from datetime import date

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response

from hotsauce.api.renderers import CamelCaseJSONRenderer
from hotsauce.api.views import ApiView
from hotsauce.errors import ValidationFailed
from inventory.traceability import export, selectors
from partners.scopes import BRAND, SUPPLIER


class _FileRenderer(BaseRenderer):
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class CsvRenderer(_FileRenderer):
    media_type = export.CSV
    format = "csv"


class XlsxRenderer(_FileRenderer):
    media_type = export.XLSX
    format = "xlsx"


def _date(params, name: str, errors: list[dict]) -> date | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append({"field": name, "message": "A date as YYYY-MM-DD is required."})
        return None


def fsma_query(params) -> dict:
    """The request's selection: ``lotCode`` (optionally ``productId``) and/or ``from`` and ``to``."""
    errors = [{"field": name, "message": "Unknown query parameter."}
              for name in sorted(set(params) - {"lotCode", "productId", "from", "to"})]
    start, end = _date(params, "from", errors), _date(params, "to", errors)
    lot_code = (params.get("lotCode") or "").strip() or None
    if lot_code is None and (start is None or end is None) and not errors:
        errors.append({"field": "lotCode", "message": "Name a traceability lot code, or a date range (from and to)."})
    if start and end and start > end:
        errors.append({"field": "to", "message": "Must not be before from."})
    if params.get("productId") and lot_code is None:
        errors.append({"field": "productId", "message": "Only with lotCode."})
    if errors:
        raise ValidationFailed(errors[0]["message"], errors=errors)
    return {"lot_code": lot_code, "product_sku": params.get("productId") or None, "start": start, "end": end}


def filename(query: dict, media_type: str) -> str:
    what = query["lot_code"] or f"{query['start']}_{query['end']}"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in what)
    return f"fsma204-{safe}.{export.EXTENSIONS[media_type]}"


class Fsma204Api(ApiView):
    renderer_classes = [CsvRenderer, XlsxRenderer]
    required_scopes = {"GET": "inventory:read"}
    allowed_kinds = {"GET": {SUPPLIER, BRAND}}

    @extend_schema(
        summary="FSMA 204 sortable spreadsheet (CSV or XLSX) for a traceability lot code or a date range",
        description=(
            "The critical tracking events (receiving, transformation, shipping) with their key data elements, one "
            "row per event, sorted by time. `lotCode` selects that lot and every lot made from it (the "
            "transformations that used it and what happened to their output), so one request answers a trace "
            "forward; `from`/`to` (inclusive dates) select by event date, alone or with `lotCode`. The format is "
            "negotiated on `Accept`: `text/csv` (the default for `*/*`) or "
            "`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`; anything else is a 406 "
            "problem. A supplier gets the records it keeps, the brand all."),
        parameters=[
            OpenApiParameter("lotCode", str, description="Traceability lot code (a batch number)",
                             examples=[OpenApiExample("pepper lot", value="PEP-2411-07")]),
            OpenApiParameter("productId", str, description="Narrows lotCode to one product"),
            OpenApiParameter("from", OpenApiTypes.DATE, description="First event date (inclusive)"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last event date (inclusive)"),
        ],
        responses={
            (200, export.CSV): OpenApiResponse(OpenApiTypes.STR, description="CSV, UTF-8 with BOM", examples=[
                OpenApiExample("csv", value=(
                    "Traceability Lot Code,Traceability Lot Code Source,Product ID,Product Description,Quantity,"
                    "Unit of Measure,Critical Tracking Event,Event Date,Location,...\r\nPEP-2411-07,SUP200/WH_FARM — "
                    "Pepper Valley Farms,ING-HABANERO-MASH,...,400,each,Receiving,2026-11-02,SUP123/Warehouse_A — "
                    "...\r\n"))]),
            (200, export.XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="Excel workbook, one sheet"),
        })
    def get(self, request):
        query = fsma_query(request.query_params)
        headings, rows = selectors.fsma_table(selectors.fsma_events(principal=self.principal, **query))
        media_type = request.accepted_renderer.media_type
        return Response(export.fsma_export(media_type, headings, rows), content_type=media_type, headers={
            "Content-Disposition": f'attachment; filename="{filename(query, media_type)}"'})

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400:
            # Problems are JSON whatever was negotiated for the spreadsheet.
            response.accepted_renderer = CamelCaseJSONRenderer()
            response.accepted_media_type = "application/problem+json"
        return response
