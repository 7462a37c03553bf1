"""OpenAPI for the SSE stream, which is a plain async Django view that drf-spectacular cannot see."""

from __future__ import annotations

import re

from webhooks.types import EVENT_TYPES

_TYPES = "|".join(re.escape(kind) for kind in EVENT_TYPES)

# What webhooks.api._sequence and _types accept: at most 18 digits, known types separated by commas.
SEQUENCE_SCHEMA = {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}
TYPES_SCHEMA = {"type": "string", "pattern": rf"^ *({_TYPES})? *(, *({_TYPES})? *)*$"}

# The envelope of API-CONTRACT.md 5.1, the same in the feed, the stream and webhook deliveries.
EVENT_ENVELOPE = {
    "type": "object",
    "description": "An event (API-CONTRACT.md 5.1): the same envelope in the feed, the stream and webhooks.",
    "required": ["id", "type", "sequence", "timestamp", "data"],
    "properties": {
        "id": {"type": "string", "example": "evt_01JD8Z5K3Q"},
        "type": {"type": "string", "enum": list(EVENT_TYPES)},
        "sequence": {"type": "integer", "minimum": 1},
        "timestamp": {"type": "string", "format": "date-time", "example": "2026-11-20T10:15:30.123Z"},
        "data": {"type": "object", "additionalProperties": True,
                 "description": "The resource after the change, and what changed."},
    },
}

# One event as a schema-aware SSE client reads it: the fields of its block, `data` being the
# envelope's JSON. OpenAPI 3.0 has no `contentSchema`/`itemSchema`, so the envelope's shape is
# pinned by a pattern over the exact JSON the stream writes (compact, keys in envelope order).
SSE_EVENT = {
    "type": "object",
    "description": "One event of the stream: `id: <sequence>`, `event: <type>`, `data: <EventEnvelope JSON>`. "
                   "Comment lines (`: keep-alive`) carry no event.",
    "required": ["id", "event", "data"],
    "properties": {
        "id": {"type": "string", "pattern": r"^[1-9][0-9]*$", "description": "The event's sequence."},
        "event": {"type": "string", "enum": list(EVENT_TYPES), "description": "The event's type."},
        "data": {
            "type": "string",
            "description": "The EventEnvelope (components/schemas/EventEnvelope) as JSON on one line.",
            "pattern": (r'^\{"id":"[^"]+","type":"(' + _TYPES + r')","sequence":[1-9][0-9]*,'
                        r'"timestamp":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z",'
                        r'"data":\{[\s\S]*\}\}$'),
        },
        "retry": {"type": "integer", "minimum": 0},
    },
}

SSE_EXAMPLE = (
    ": stream open\n\n"
    "id: 918273\nevent: inventory.updated\n"
    'data: {"id":"evt_01JD8Z5K3Q","type":"inventory.updated","sequence":918273,'
    '"timestamp":"2026-11-20T10:15:30.123Z","data":{"supplierId":"SUP123","productId":"HOTSAUCE789",'
    '"inventoryLevel":500,"reservedQuantity":50,"availableQuantity":450}}\n\n'
)


def add_event_stream_path(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["EventEnvelope"] = EVENT_ENVELOPE
    result.setdefault("paths", {})["/api/v1/events/stream"] = {"get": {
        "operationId": "events_stream",
        "summary": "Server-Sent Events: the changes feed, live",
        "description": (
            "`text/event-stream`; each event is `id: <sequence>`, `event: <type>`, `data: <envelope JSON>`. "
            "Resumes after `Last-Event-ID` (or `?after=`). A comment line is sent after 15 s of silence. "
            "Needs the `events:read` scope."),
        "tags": ["events"],
        "parameters": [
            {"name": "after", "in": "query", "schema": SEQUENCE_SCHEMA,
             "description": "Start after this sequence (0 or absent: the oldest kept event)."},
            {"name": "types", "in": "query", "schema": TYPES_SCHEMA,
             "description": "Comma-separated event types to include."},
            {"name": "Last-Event-ID", "in": "header", "schema": SEQUENCE_SCHEMA,
             "description": "Sent by a reconnecting EventSource; wins over `after`."},
        ],
        "security": [{"oauth2": ["events:read"]}, {"apiKey": []}],
        "responses": {
            "200": {"description": "An endless stream of events.",
                    "content": {"text/event-stream": {"schema": SSE_EVENT, "example": SSE_EXAMPLE}}},
            "503": {"description": "This server holds as many streams as it may (`unavailable`); see Retry-After.",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
        },
    }}
    return result
