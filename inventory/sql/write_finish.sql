-- The fast path's second statement (issue 19): what webhooks.services.event_emit writes for the
-- event Python built from the first statement's answer, and the request's idempotency record.
-- 1. The sequence and horizon (webhooks.sequencing.sequence_next: this transaction's xid exists
--    before its sequence; the horizon is computed after the sequence was drawn; the SQL below is
--    webhooks.sequencing._HORIZON, kept equal by tests/test_fast_path.py).
-- 2. The event and its audience rows; 3. one delivery per enabled endpoint that wants the type
--    (webhooks.delivery.deliveries_create_for_event, endpoints kept with FOR KEY SHARE);
-- 4. pg_notify (webhooks.streaming.stream_notify); 5. the completed idempotency record.
CREATE OR REPLACE FUNCTION inventory_write_finish(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
  e jsonb := p->'event';
  sequence_ bigint;
  event_pk_ bigint;
  payload_ text;
  deliveries_ jsonb;
  r jsonb := p->'record';
BEGIN
  PERFORM pg_current_xact_id();
  sequence_ := nextval('webhooks_event_sequence_seq');
  PERFORM pg_stat_clear_snapshot();
  INSERT INTO webhooks_event (sequence, event_id, type, timestamp, data, horizon)
  VALUES (sequence_, e->>'event_id', e->>'type', (e->>'timestamp')::timestamptz, e->'data',
    (SELECT GREATEST(pg_current_xact_id()::text::bigint, MAX(r.x)) + 1 FROM (
      SELECT CASE WHEN w.x > w.xmax + 2147483648 THEN w.x - 4294967296 ELSE w.x END AS x FROM (
        SELECT (s.xmax - (s.xmax & 4294967295)) + a.backend_xid::text::bigint AS x, s.xmax
        FROM pg_stat_activity a, (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax) s
        WHERE a.datname = current_database() AND a.backend_xid IS NOT NULL) w) r))
  RETURNING id INTO event_pk_;
  INSERT INTO webhooks_eventaudience (event_id, partner_kind, partner_id, sequence, data)
  SELECT event_pk_, a->>'kind', (a->>'id')::bigint, sequence_, NULLIF(a->'data', 'null'::jsonb)
    FROM jsonb_array_elements(p->'audience') a;
  WITH wanted AS (
    SELECT en.id FROM webhooks_endpoint en
     WHERE en.enabled
       AND (en.owner_kind = 'brand'
            OR EXISTS (SELECT 1 FROM jsonb_array_elements(p->'audience') a
                        WHERE a->>'kind' = en.owner_kind AND (a->>'id')::bigint = en.owner_id))
       AND (en.event_types ? '*' OR en.event_types ? (e->>'type'))
     ORDER BY en.id FOR KEY SHARE OF en
  ), made AS (
    INSERT INTO webhooks_delivery (state, attempts, cycle_attempts, next_attempt_at, enqueued_at, last_attempt_at,
                                   last_status_code, last_error, delivered_at, created_at, event_id, endpoint_id)
    SELECT 'pending', 0, 0, (p->>'due')::timestamptz, (p->>'enqueued_at')::timestamptz, NULL, NULL, '', NULL,
           (p->>'now')::timestamptz, event_pk_, wanted.id
      FROM wanted ORDER BY wanted.id
    RETURNING id
  )
  SELECT COALESCE(jsonb_agg(id ORDER BY id), '[]'::jsonb) INTO deliveries_ FROM made;
  payload_ := sequence_ || '|' || (e->>'type') || '|' || (p->>'keys');
  IF length(payload_) > (p->>'payload_limit')::integer THEN
    payload_ := sequence_ || '|' || (e->>'type') || '|*';
  END IF;
  PERFORM pg_notify(p->>'channel', payload_);
  IF r IS NOT NULL THEN
    INSERT INTO api_idempotencyrecord (client_key, key, fingerprint, method, path, state, locked_until, status_code,
                                       response_body, response_headers, created_at, completed_at)
    VALUES (r->>'client_key', r->>'key', r->>'fingerprint', r->>'method', r->>'path', r->>'state',
            (r->>'locked_until')::timestamptz, (r->>'status_code')::smallint, r->>'response_body',
            r->'response_headers', (r->>'created_at')::timestamptz, (r->>'completed_at')::timestamptz);
  END IF;
  RETURN jsonb_build_object('event_id', event_pk_, 'sequence', sequence_, 'deliveries', deliveries_);
END
$fn$;
