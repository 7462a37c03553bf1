"""OpenAPI for the SSE stream, which is a plain async Django view that drf-spectacular cannot see."""

from __future__ import annotations


def add_event_stream_path(result, generator, request, public):
    result.setdefault("paths", {})["/api/v1/events/stream"] = {"get": {
        "operationId": "events_stream",
        "summary": "Server-Sent Events: the changes feed, live",
        "description": (
            "`text/event-stream`; each event is `id: <sequence>`, `event: <type>`, `data: <envelope JSON>`. "
            "Resumes after `Last-Event-ID` (or `?after=`). A comment line is sent after 15 s of silence. "
            "Needs the `events:read` scope."),
        "tags": ["events"],
        "parameters": [
            {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0},
             "description": "Start after this sequence (0 or absent: the oldest kept event)."},
            {"name": "types", "in": "query", "schema": {"type": "string"},
             "description": "Comma-separated event types to include."},
            {"name": "Last-Event-ID", "in": "header", "schema": {"type": "integer", "minimum": 0},
             "description": "Sent by a reconnecting EventSource; wins over `after`."},
        ],
        "security": [{"oauth2": ["events:read"]}, {"apiKey": []}],
        "responses": {"200": {
            "description": "An endless stream of events.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }, "410": {"description": "cursor_expired"}},
    }}
    return result
