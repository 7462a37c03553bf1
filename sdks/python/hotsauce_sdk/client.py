"""``HotSauce``: the entry point. Plain JSON calls by path, cursor pages, SSE, and the typed
generated operations (``client.api``) over the same connection and conveniences."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from hotsauce_sdk.errors import problem_from_response
from hotsauce_sdk.events import EventStream
from hotsauce_sdk.transport import NO_KEY, SdkTransport, TokenSource

API_PREFIX = "/api/v1/"
AUTO = object()  # an Idempotency-Key is generated for the write


class HotSauce:
    """A partner's client. Give client credentials (tokens fetched and refreshed) or an API key.

    Every write carries an ``Idempotency-Key`` (a fresh UUID unless you pass one; pass ``None``
    to send none, and the call is then never retried); 429 and 503 are retried honouring
    ``Retry-After``; 4xx/5xx answers raise ``ProblemError`` subclasses.
    """

    def __init__(self, base_url: str, *, client_id: str | None = None, client_secret: str | None = None,
                 api_key: str | None = None, scope: str | None = None, max_retries: int = 3,
                 timeout: float = 30.0, transport: httpx.BaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        inner = transport or httpx.HTTPTransport()
        tokens = None
        if client_id and client_secret:
            tokens = TokenSource(f"{self.base_url}/oauth/token/", client_id, client_secret, scope, transport=inner)
        elif not api_key:
            raise ValueError("give client_id and client_secret, or api_key")
        self._transport = SdkTransport(inner, tokens=tokens, api_key=api_key, max_retries=max_retries)
        self.http = httpx.Client(base_url=self.base_url, transport=self._transport, timeout=timeout,
                                 headers={"Accept": "application/json"})
        self._api = None

    @classmethod
    def from_credentials_file(cls, base_url: str, path: str | Path, partner_id: str | None = None,
                              kind: str | None = None, **kwargs: Any) -> HotSauce:
        """A client from the JSON that ``seed_demo --credentials-out`` writes."""
        clients = json.loads(Path(path).read_text())["clients"]
        for entry in clients:
            if (partner_id is None or entry.get("partnerId") == partner_id) and (kind is None or entry["kind"] == kind):
                return cls(base_url, client_id=entry["clientId"], client_secret=entry["clientSecret"], **kwargs)
        raise LookupError(f"no client for partner {partner_id!r} kind {kind!r} in {path}")

    @property
    def api(self):
        """The generated client (``hotsauce_sdk._generated``) sharing this connection and its conveniences."""
        if self._api is None:
            from hotsauce_sdk._generated.client import AuthenticatedClient

            self._api = AuthenticatedClient(base_url=self.base_url, token="").set_httpx_client(self.http)
        return self._api

    def token(self) -> str | None:
        """The current bearer token (fetched now if there is none or it is about to expire)."""
        return self._transport.tokens.token() if self._transport.tokens else None

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://", "/")):
            return path
        return API_PREFIX + path

    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
                headers: dict | None = None, idempotency_key: Any = AUTO) -> httpx.Response:
        """Any call; raises a ``ProblemError`` subclass unless the answer is 2xx or 3xx."""
        headers = dict(headers or {})
        extensions = {}
        if idempotency_key is None:
            extensions[NO_KEY] = True
        elif idempotency_key is not AUTO:
            headers["Idempotency-Key"] = str(idempotency_key)
        response = self.http.request(method, self._url(path), json=json, params=params, headers=headers,
                                     extensions=extensions)
        if response.status_code >= 400:
            raise problem_from_response(response)
        return response

    def _json(self, response: httpx.Response) -> Any:
        return response.json() if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self._json(self.request("GET", path, params=params or None))

    def post(self, path: str, body: Any = None, *, idempotency_key: Any = AUTO, headers: dict | None = None) -> Any:
        return self._json(self.request("POST", path, json=body, headers=headers, idempotency_key=idempotency_key))

    def patch(self, path: str, body: Any = None, *, idempotency_key: Any = AUTO, headers: dict | None = None) -> Any:
        return self._json(self.request("PATCH", path, json=body, headers=headers, idempotency_key=idempotency_key))

    def put(self, path: str, body: Any = None, *, headers: dict | None = None) -> Any:
        return self._json(self.request("PUT", path, json=body, headers=headers))

    def delete(self, path: str, *, headers: dict | None = None) -> Any:
        return self._json(self.request("DELETE", path, headers=headers))

    def paginate(self, path: str, **params: Any) -> Iterator[Any]:
        """Every item of a cursor-paginated list, following ``next`` until it is null."""
        page = self.get(path, **params)
        while True:
            yield from page["results"]
            if not page.get("next"):
                return
            page = self._json(self.request("GET", page["next"]))

    def events(self, last_event_id: str | int | None = None, **kwargs: Any) -> EventStream:
        """The Server-Sent Events stream, reconnecting from the last id it saw."""
        return EventStream(self.http, self._url("events/stream"), last_event_id=last_event_id, **kwargs)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> HotSauce:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
