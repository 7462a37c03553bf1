-- The reservation fast path (issue 19, docs/stock.md "The fast path"): what
-- inventory.services.movements.stock_reserve does for an ordinary standalone reservation, in
-- one call (helpers in inventory/sql/fast_common.sql). Same lock order as the Python path: the
-- idempotency key's advisory lock, the item, its lots in primary-key order, then the writes.
-- Anything it does not handle (unknown supplier, product or item, not enough units) returns
-- {"outcome": "fallback"} before writing anything, and the Python path answers. The event, its
-- audiences and deliveries and the idempotency record are written by the second statement,
-- inventory_write_finish, once Python has built the views.
CREATE OR REPLACE FUNCTION inventory_reserve_fast(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
  now_ timestamptz := (p->>'now')::timestamptz;
  quantity_ integer := (p->>'quantity')::integer;
  head_ jsonb;
  lot_ record;
  remaining_ integer := quantity_;
  take_ integer;
  plan_ jsonb := '[]'::jsonb;
  reservation_id_ bigint;
  code_ text;
  version_ bigint;
  rows_ jsonb := '[]'::jsonb;
  step_ jsonb;
BEGIN
  -- 1. The key, the supplier, product and item, the locks.
  head_ := inventory_fast_lock(p);
  IF head_->>'outcome' <> 'locked' THEN
    RETURN head_;
  END IF;

  -- 2. The plan (reservation_hold): first expired, first out; a lot gives its available units
  --    (selectors.lot_quantities: released and not expired, less reserved and held).
  FOR lot_ IN SELECT * FROM inventory_fast_lots(head_->'lots', now_) LOOP
    take_ := LEAST(lot_.available, remaining_);
    IF take_ > 0 THEN
      plan_ := plan_ || jsonb_build_object('lot_id', lot_.id, 'take', take_);
      remaining_ := remaining_ - take_;
    END IF;
    EXIT WHEN remaining_ = 0;
  END LOOP;
  IF remaining_ > 0 THEN  -- 409 insufficient_stock: the Python path words it
    RETURN jsonb_build_object('outcome', 'fallback', 'why', 'insufficient');
  END IF;

  -- 3. The writes (reservation_open, Movement.change, StockWork.flush).
  reservation_id_ := nextval(pg_get_serial_sequence('inventory_reservation', 'id'));
  code_ := 'RSV-' || lpad(reservation_id_::text, GREATEST(6, length(reservation_id_::text)), '0');
  INSERT INTO inventory_reservation (id, code, order_ref, status, quantity, released_quantity, consumed_quantity,
                                     expires_at, reason, reference, created_at, updated_at, closed_at,
                                     created_by_client_id, created_by_user_id, item_id, retail_partner_id)
  VALUES (reservation_id_, code_, '', 'open', quantity_, 0, 0, NULL, left(p->>'reason', 500),
          left(p->>'reference', 200), now_, now_, NULL, (p->>'actor_client_id')::bigint,
          (p->>'actor_user_id')::integer, (head_->>'item_id')::bigint, NULL);
  version_ := inventory_fast_version((head_->>'item_id')::bigint, now_);
  FOR step_ IN SELECT value FROM jsonb_array_elements(plan_) LOOP
    UPDATE inventory_stocklot l SET reserved = l.reserved + (step_->>'take')::integer, updated_at = now_
     WHERE l.id = (step_->>'lot_id')::bigint;
    INSERT INTO inventory_reservationlot (reservation_id, lot_id, quantity)
    VALUES (reservation_id_, (step_->>'lot_id')::bigint, (step_->>'take')::integer);
    rows_ := rows_ || inventory_fast_ledger(p, head_, 'reservation', (step_->>'lot_id')::bigint,
                                            (step_->>'take')::integer, 0, (step_->>'take')::integer, version_,
                                            reservation_id_, code_, NULL, NULL);
  END LOOP;

  RETURN head_ || jsonb_build_object(
    'outcome', 'done', 'version', version_, 'rows', rows_,
    'reservation', jsonb_build_object('id', reservation_id_, 'code', code_),
    'retailers', inventory_fast_retailers((head_->>'supplier_id')::bigint));
END
$fn$;
