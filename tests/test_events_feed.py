"""The changes feed (5.3) and the SSE stream (5.4): order, paging, resume, retention, tenancy."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.db import connection, transaction
from django.test import AsyncClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners.models import RetailPartner, Supplier
from tests.conftest import problem
from webhooks.models import Event, EventCounter
from webhooks.services import event_emit, events_purge


def move(caller, quantity=1, key=None, type="reservation"):
    response = caller.post("/api/v1/inventory/SUP123/HOTSAUCE789", {"type": type, "quantity": quantity},
                           key=key or f"k-{timezone.now().timestamp()}-{quantity}")
    assert response.status_code in (200, 201), response.content
    return response


def feed(caller, query=""):
    response = caller.get(f"/api/v1/events{query}")
    assert response.status_code == 200, response.content
    return response.json()


def emit(type, *, suppliers=(), retailers=(), **data):
    with transaction.atomic():
        return event_emit(type=type, data=data, supplier_ids=list(suppliers), retail_partner_ids=list(retailers))


def test_feed_returns_envelopes_in_sequence_order_with_next_after(supplier_caller):
    move(supplier_caller, 2, key="a")
    move(supplier_caller, 3, key="b")
    body = feed(supplier_caller, "?after=0&types=inventory.updated")
    assert set(body) == {"results", "nextAfter", "hasMore"}
    results = body["results"]
    assert len(results) >= 2
    sequences = [e["sequence"] for e in results]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    last = results[-1]
    assert set(last) == {"id", "type", "sequence", "timestamp", "data"}
    assert last["id"].startswith("evt_") and last["type"] == "inventory.updated"
    assert last["timestamp"].endswith("Z")
    assert last["data"]["supplierId"] == "SUP123" and last["data"]["productId"] == "HOTSAUCE789"
    assert last["data"]["change"]["type"] == "reservation"
    assert body["nextAfter"] == last["sequence"] and body["hasMore"] is False
    # Caught up: nothing new, the cursor stays.
    assert feed(supplier_caller, f"?after={body['nextAfter']}") == {
        "results": [], "nextAfter": body["nextAfter"], "hasMore": False}


def test_feed_pages_with_limit_and_has_more(supplier_caller):
    for i in range(5):
        move(supplier_caller, 1, key=f"p{i}")
    seen, after = [], 0
    while True:
        body = feed(supplier_caller, f"?after={after}&limit=2&types=inventory.updated")
        assert len(body["results"]) <= 2
        seen += [e["sequence"] for e in body["results"]]
        after = body["nextAfter"]
        if not body["hasMore"]:
            break
    expected = list(Event.objects.filter(type="inventory.updated", audience__partner_kind="supplier",
                                         audience__partner_id=Supplier.objects.get(code="SUP123").pk)
                    .values_list("sequence", flat=True))
    assert seen == expected and len(seen) >= 5


def test_feed_rejects_bad_parameters_naming_them(supplier_caller):
    for query, field in [("?after=-1", "after"), ("?after=abc", "after"), ("?limit=0", "limit"),
                         ("?limit=501", "limit"), ("?types=inventory.nope", "types"), ("?colour=red", "colour")]:
        body = problem(supplier_caller.get(f"/api/v1/events{query}"))
        assert body["status"] == 400 and body["errors"][0]["field"] == field, query


def test_feed_needs_events_read(sandbox, make_caller):
    caller = make_caller("supplier", "SUP123", scopes=["inventory:read"])
    assert problem(caller.get("/api/v1/events"))["code"] == "insufficient_scope"


def test_cursor_older_than_retention_is_410_and_after_zero_starts_at_oldest_kept(supplier_caller, settings):
    sup = Supplier.objects.get(code="SUP123")
    old = [emit("inventory.updated", suppliers=[sup.pk], n=i) for i in range(3)]
    Event.objects.filter(pk__in=[e.pk for e in old]).update(timestamp=timezone.now() - timedelta(days=400))
    Event.objects.filter(sequence__lt=old[0].sequence).update(timestamp=timezone.now() - timedelta(days=400))
    kept = emit("inventory.updated", suppliers=[sup.pk], n=99)
    settings.EVENT_RETENTION_DAYS = 30
    assert events_purge() >= 3
    assert EventCounter.objects.get(pk=1).purged_through == old[-1].sequence

    body = problem(supplier_caller.get(f"/api/v1/events?after={old[0].sequence}"))
    assert (body["status"], body["code"]) == (410, "cursor_expired")
    assert feed(supplier_caller, "?after=0")["results"][0]["sequence"] == kept.sequence
    assert feed(supplier_caller, f"?after={old[-1].sequence}")["results"][0]["sequence"] == kept.sequence


def test_cursor_before_events_deleted_by_any_means_is_410(supplier_caller):
    sup = Supplier.objects.get(code="SUP123")
    first, second, third = (emit("inventory.updated", suppliers=[sup.pk], n=i) for i in range(3))
    Event.objects.filter(sequence__lte=second.sequence).delete()
    assert problem(supplier_caller.get(f"/api/v1/events?after={first.sequence}"))["code"] == "cursor_expired"
    assert feed(supplier_caller, f"?after={second.sequence}")["results"][0]["sequence"] == third.sequence
    Event.objects.all().delete()
    assert problem(supplier_caller.get(f"/api/v1/events?after={second.sequence}"))["code"] == "cursor_expired"
    assert feed(supplier_caller, f"?after={third.sequence}")["results"] == []


def test_a_retailers_feed_holds_only_its_own_and_its_suppliers_events(
        supplier_caller, retailer_caller, unrelated_retailer_caller, brand_caller):
    sup123 = Supplier.objects.get(code="SUP123")
    sup400 = Supplier.objects.get(code="SUP400")
    r456 = RetailPartner.objects.get(code="RETAIL456")
    r500 = RetailPartner.objects.get(code="RETAIL500")
    mine = emit("order.created", suppliers=[sup123.pk], retailers=[r456.pk], order_id="ORD-MINE")
    theirs = emit("order.created", suppliers=[sup123.pk], retailers=[r500.pk], order_id="ORD-THEIRS")
    unrelated_stock = emit("inventory.updated", suppliers=[sup400.pk], supplier_id="SUP400")
    move(supplier_caller, 1, key="tenancy")
    stock = Event.objects.filter(type="inventory.updated").latest("sequence")

    seen = {e["sequence"] for e in feed(retailer_caller, "?limit=500")["results"]}
    assert mine.sequence in seen and stock.sequence in seen
    assert theirs.sequence not in seen and unrelated_stock.sequence not in seen
    unrelated = {e["sequence"] for e in feed(unrelated_retailer_caller, "?limit=500")["results"]}
    assert not unrelated & {mine.sequence, theirs.sequence, stock.sequence}
    everything = {e["sequence"] for e in feed(brand_caller, "?limit=500")["results"]}
    assert {mine.sequence, theirs.sequence, unrelated_stock.sequence, stock.sequence} <= everything


# --- SSE ----------------------------------------------------------------------------------


def read_stream(token, *, events, headers=None, query="", scheme="Bearer"):
    """Open the stream through the ASGI request path and read ``events`` frames, then hang up."""

    async def run():
        client = AsyncClient()
        response = await client.get(f"/api/v1/events/stream{query}",
                                    headers={"Authorization": f"{scheme} {token}", **(headers or {})})
        if not response.streaming:
            return response, []
        frames, buffer = [], ""
        iterator = response.streaming_content.__aiter__()
        try:
            while len(frames) < events:
                chunk = await iterator.__anext__()
                buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
                *complete, buffer = buffer.split("\n\n")
                frames += [f for f in complete if not f.startswith(":")]
        finally:
            await iterator.aclose()
        return response, frames

    return async_to_sync(run)()


def parse(frame: str) -> dict:
    fields = dict(line.split(": ", 1) for line in frame.split("\n"))
    return {"id": int(fields["id"]), "event": fields["event"], "data": json.loads(fields["data"])}


def test_stream_sends_id_event_and_envelope_and_resumes_after_last_event_id(supplier_caller):
    for i in range(4):
        move(supplier_caller, 1, key=f"s{i}")
    expected = feed(supplier_caller, "?after=0&limit=500")["results"]
    response, frames = read_stream(supplier_caller.token, events=len(expected))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    assert response["X-Request-Id"]
    got = [parse(f) for f in frames]
    assert [g["data"] for g in got] == expected
    assert all(g["id"] == g["data"]["sequence"] and g["event"] == g["data"]["type"] for g in got)

    resume_from = expected[-3]["sequence"]
    _, frames = read_stream(supplier_caller.token, events=2, headers={"Last-Event-ID": str(resume_from)})
    assert [parse(f)["id"] for f in frames] == [e["sequence"] for e in expected[-2:]]
    _, frames = read_stream(supplier_caller.token, events=2, query=f"?after={resume_from}")
    assert [parse(f)["id"] for f in frames] == [e["sequence"] for e in expected[-2:]]


def test_stream_refuses_without_credentials_or_scope_with_problems(sandbox, make_caller):
    async def anonymous():
        return await AsyncClient().get("/api/v1/events/stream")

    response = async_to_sync(anonymous)()
    assert response.status_code == 401 and response["WWW-Authenticate"]
    assert problem(response)["code"] == "not_authenticated"
    caller = make_caller("supplier", "SUP123", scopes=["inventory:read"])
    response, _ = read_stream(caller.token, events=0)
    assert problem(response)["code"] == "insufficient_scope"
    response, _ = read_stream(caller.token, events=0, query="?after=x")
    assert response.status_code == 403  # scope is checked before parameters


def test_stream_bad_cursor_is_a_400_problem(supplier_caller):
    response, _ = read_stream(supplier_caller.token, events=0, headers={"Last-Event-ID": "abc"})
    assert problem(response)["errors"][0]["field"] == "Last-Event-ID"


def test_stream_of_a_retailer_skips_other_retailers_orders(retailer_caller):
    sup123 = Supplier.objects.get(code="SUP123")
    r456 = RetailPartner.objects.get(code="RETAIL456")
    r500 = RetailPartner.objects.get(code="RETAIL500")
    start = Event.objects.latest("sequence").sequence
    emit("order.created", suppliers=[sup123.pk], retailers=[r500.pk], order_id="THEIRS")
    mine = emit("order.created", suppliers=[sup123.pk], retailers=[r456.pk], order_id="MINE")
    _, frames = read_stream(retailer_caller.token, events=1, query=f"?after={start}")
    assert [parse(f)["id"] for f in frames] == [mine.sequence]


@pytest.mark.parametrize("bad", ["?after=1&colour=red"])
def test_stream_rejects_unknown_parameters(supplier_caller, bad):
    response, _ = read_stream(supplier_caller.token, events=0, query=bad)
    assert problem(response)["errors"][0]["field"] == "colour"


def test_feed_query_count_does_not_grow_with_page_size(supplier_caller):
    sup = Supplier.objects.get(code="SUP123")
    for i in range(12):
        emit("inventory.updated", suppliers=[sup.pk], n=i)
    supplier_caller.get("/api/v1/events?limit=1")  # warm the token and relationship lookups
    counts = []
    for limit in (1, 10):
        with CaptureQueriesContext(connection) as queries:
            assert len(feed(supplier_caller, f"?limit={limit}")["results"]) == limit
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_stream_sends_a_comment_while_idle(supplier_caller, monkeypatch):
    from webhooks import api

    monkeypatch.setattr(api, "STREAM_KEEPALIVE_SECONDS", 0.2)
    monkeypatch.setattr(api, "STREAM_POLL_SECONDS", 0.05)
    latest = Event.objects.latest("sequence").sequence

    async def run():
        response = await AsyncClient().get(f"/api/v1/events/stream?after={latest}",
                                           headers={"Authorization": f"Bearer {supplier_caller.token}"})
        iterator = response.streaming_content.__aiter__()
        seen = ""
        try:
            while ": keep-alive" not in seen:
                chunk = await iterator.__anext__()
                seen += chunk.decode() if isinstance(chunk, bytes) else chunk
        finally:
            await iterator.aclose()
        return seen

    seen = async_to_sync(run)()
    assert seen.startswith(": stream open\n\n") and "id:" not in seen


def test_stream_also_works_through_the_sync_client(supplier_caller):
    from django.test import Client

    move(supplier_caller, 1, key="wsgi")
    latest = Event.objects.filter(type="inventory.updated").latest("sequence")
    response = Client().get(f"/api/v1/events/stream?after={latest.sequence - 1}",
                            headers={"Authorization": f"Bearer {supplier_caller.token}"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/event-stream")
    frames, buffer = [], ""
    chunks = iter(response.streaming_content)
    while not frames:
        buffer += next(chunks).decode()
        *complete, buffer = buffer.split("\n\n")
        frames += [f for f in complete if not f.startswith(":")]
    response.close()
    assert parse(frames[0])["id"] == latest.sequence


def test_stream_accepts_an_api_key(sandbox):
    from partners.services import api_client_create

    _, creds = api_client_create(kind="supplier", partner_code="SUP123", scopes=["events:read"], with_api_key=True)
    newest = emit("inventory.updated", suppliers=[Supplier.objects.get(code="SUP123").pk], n=1)
    response, frames = read_stream(creds["apiKey"], events=1, scheme="ApiKey", query=f"?after={newest.sequence - 1}")
    assert response.status_code == 200
    assert parse(frames[0])["id"] == newest.sequence
    response, _ = read_stream("not-a-key", events=0, scheme="ApiKey")
    assert problem(response)["code"] == "not_authenticated"


def test_the_stream_answers_other_methods_405_with_allow(supplier_caller):
    response = supplier_caller.http.post("/api/v1/events/stream",
                                         headers={"Authorization": f"Bearer {supplier_caller.token}"})
    assert response.status_code == 405 and response["Allow"] == "GET"
    assert problem(response)["code"] == "method_not_allowed"


def test_every_streamed_event_matches_the_served_schema_of_one_event(supplier_caller):
    # What a schema-aware SSE client (Schemathesis' SSE validation) does: parse each block,
    # validate it against the text/event-stream schema; `data` is the envelope of the feed.
    import jsonschema
    from rest_framework.test import APIClient
    from schemathesis.core.deserialization import _parse_sse_events

    from webhooks.api import _frame

    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    stream = schema["paths"]["/api/v1/events/stream"]["get"]["responses"]["200"]["content"]["text/event-stream"]
    event_schema = stream["schema"]
    envelope_schema = schema["components"]["schemas"]["EventEnvelope"]
    move(supplier_caller, 2, key="sse-schema")
    emit("webhook.test", suppliers=[Supplier.objects.get(code="SUP123").pk], note="line\u2028separator")
    events = list(Event.objects.order_by("sequence"))
    parsed = _parse_sse_events(("".join(_frame(event) for event in events)).encode())
    assert len(parsed) == len(events) >= 2
    for block in parsed:
        jsonschema.validate(block, event_schema)
        jsonschema.validate(json.loads(block["data"]), envelope_schema)
    for example in _parse_sse_events(stream["example"].encode()):
        jsonschema.validate(example, event_schema)
    broken = {**parsed[0], "data": json.dumps({"type": "inventory.updated"})}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, event_schema)


def test_the_feed_writes_each_event_as_its_envelope_for_that_reader(supplier_caller, retailer_caller, brand_caller):
    """The feed splices stored event data in as text (issue 19); what each reader gets is still exactly
    ``Event.envelope()`` as that reader sees it (the stream's and webhooks' body): its audience's own data
    where it has one, the event's otherwise, non-ASCII text and nested values intact."""
    from webhooks.models import EventAudience

    sup123 = Supplier.objects.get(code="SUP123")
    r456 = RetailPartner.objects.get(code="RETAIL456")
    shared = emit("order.created", suppliers=[sup123.pk], retailers=[r456.pk], orderId="ORD-É", note="Scoville 🌶",
                  lines=[{"quantity": 2, "price": "4.50"}], empty={}, nothing=None)
    own = emit("inventory.updated", suppliers=[sup123.pk], retailers=[r456.pk], supplierId="SUP123", seen="all")
    EventAudience.objects.filter(event=own, partner_kind="retailer").update(data={"supplierId": "SUP123",
                                                                                   "seen": "mine"})
    for caller, kind, partner in ((brand_caller, None, None), (supplier_caller, "supplier", sup123.pk),
                                  (retailer_caller, "retailer", r456.pk)):
        body = feed(caller, f"?after={shared.sequence - 1}&limit=500")
        got = {e["sequence"]: e for e in body["results"]}
        for event in (Event.objects.get(pk=shared.pk), Event.objects.get(pk=own.pk)):
            data = None
            if kind is not None:
                data = EventAudience.objects.get(event=event, partner_kind=kind, partner_id=partner).data
            expected = json.loads(json.dumps(event.for_audience(data).envelope(), ensure_ascii=False))
            assert got[event.sequence] == expected, (kind, event.type)
        assert body["nextAfter"] == body["results"][-1]["sequence"]
    assert feed(retailer_caller, f"?after={own.sequence - 1}")["results"][0]["data"]["seen"] == "mine"
    assert feed(supplier_caller, f"?after={own.sequence - 1}")["results"][0]["data"]["seen"] == "all"
