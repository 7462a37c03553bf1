"""Server-Sent Events consumer that resumes where it left off.

A dropped connection (network, server restart, deploy) reconnects with ``Last-Event-ID``
set to the last event received, so no event is missed and none is seen twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    data: dict[str, Any]


def parse_frames(lines: Iterator[str]) -> Iterator[Event]:
    """Events from SSE lines (comments and keep-alives skipped; multi-line data joined)."""
    event_id, event_type, data = None, "message", []
    for line in lines:
        if line == "":
            if data:
                yield Event(id=event_id or "", type=event_type, data=json.loads("\n".join(data)))
            event_type, data = "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "id":
            event_id = value
        elif field == "event":
            event_type = value
        elif field == "data":
            data.append(value)


class EventStream:
    """Iterate to receive events for ever; ``last_event_id`` is where a reconnect resumes."""

    def __init__(self, http: httpx.Client, url: str, *, last_event_id: str | int | None = None,
                 types: list[str] | None = None, reconnect_delay: float = 1.0, max_reconnects: int | None = None):
        self.http, self.url, self.types = http, url, types
        self.last_event_id = None if last_event_id is None else str(last_event_id)
        self.reconnect_delay, self.max_reconnects = reconnect_delay, max_reconnects
        self.reconnects = 0

    def _connect(self) -> Iterator[Event]:
        headers = {"Accept": "text/event-stream"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        params = {"types": ",".join(self.types)} if self.types else None
        timeout = httpx.Timeout(30.0, read=None)
        with self.http.stream("GET", self.url, headers=headers, params=params, timeout=timeout) as response:
            if response.status_code >= 400:
                from hotsauce_sdk.errors import problem_from_response

                response.read()
                raise problem_from_response(response)
            for event in parse_frames(response.iter_lines()):
                self.last_event_id = event.id or self.last_event_id
                yield event

    def __iter__(self) -> Iterator[Event]:
        while True:
            try:
                yield from self._connect()
            except (httpx.TransportError, httpx.RemoteProtocolError):
                pass
            if self.max_reconnects is not None and self.reconnects >= self.max_reconnects:
                return
            self.reconnects += 1
            time.sleep(self.reconnect_delay)
