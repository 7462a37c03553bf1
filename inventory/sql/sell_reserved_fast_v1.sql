-- A sale naming a reservation on the fast path (issue 19), as the release
-- (inventory/sql/release_sell_fast.sql, helpers in fast_common.sql). Installed by migration 0011,
-- which reads this versioned file: never edit it, add a _v2 file and a migration instead.

-- inventory.services.movements.stock_sell for a named standalone reservation, without a
-- retailer, warehouse or batch: _plan_from_holds takes its held units first expired first out,
-- reservation_consume lowers on hand and reserved and closes it as consumed when it holds
-- nothing any more. Falls back when the reservation is not this item's, is an order's, is not
-- open, or holds fewer units than asked (the Python path words them).
CREATE OR REPLACE FUNCTION inventory_sell_reserved_fast(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
  now_ timestamptz := (p->>'now')::timestamptz;
  quantity_ integer := (p->>'quantity')::integer;
  head_ jsonb;
  reservation_ record;
  retail_code_ text;
  lot_ record;
  holding_ integer := 0;
  remaining_ integer := quantity_;
  take_ integer;
  plan_ jsonb := '[]'::jsonb;
  version_ bigint;
  rows_ jsonb := '[]'::jsonb;
  step_ jsonb;
BEGIN
  head_ := inventory_fast_lock(p);
  IF head_->>'outcome' <> 'locked' THEN
    RETURN head_;
  END IF;
  -- _standalone: this item's reservation, not an order's, open.
  SELECT r.* INTO reservation_ FROM inventory_reservation r
   WHERE r.item_id = (head_->>'item_id')::bigint AND r.code = p->>'reservation_code';
  IF NOT FOUND OR reservation_.order_ref <> '' OR reservation_.status <> 'open' THEN
    RETURN jsonb_build_object('outcome', 'fallback', 'why', 'reservation');
  END IF;
  SELECT rp.code INTO retail_code_ FROM partners_retailpartner rp WHERE rp.id = reservation_.retail_partner_id;

  -- reservation_release: its holds, first expired first out.
  FOR lot_ IN
    SELECT l.id, h.quantity AS held FROM inventory_fast_lots(head_->'lots', now_) WITH ORDINALITY l(id, on_hand, reserved, available, n)
      JOIN inventory_reservationlot h ON h.lot_id = l.id AND h.reservation_id = reservation_.id
     WHERE h.quantity <> 0 ORDER BY l.n
  LOOP
    holding_ := holding_ + lot_.held;
    take_ := LEAST(lot_.held, remaining_);
    IF take_ > 0 THEN
      plan_ := plan_ || jsonb_build_object('lot_id', lot_.id, 'take', take_, 'held', lot_.held);
      remaining_ := remaining_ - take_;
    END IF;
  END LOOP;
  IF quantity_ > holding_ THEN  -- 409 (_plan_from_holds): the Python path words it
    RETURN jsonb_build_object('outcome', 'fallback', 'why', 'insufficient');
  END IF;

  version_ := inventory_fast_version((head_->>'item_id')::bigint, now_);
  FOR step_ IN SELECT value FROM jsonb_array_elements(plan_) LOOP
    UPDATE inventory_stocklot l SET on_hand = l.on_hand - (step_->>'take')::integer,
           reserved = l.reserved - (step_->>'take')::integer, updated_at = now_
     WHERE l.id = (step_->>'lot_id')::bigint;
    IF (step_->>'take')::integer = (step_->>'held')::integer THEN
      DELETE FROM inventory_reservationlot WHERE reservation_id = reservation_.id AND lot_id = (step_->>'lot_id')::bigint;
    ELSE
      UPDATE inventory_reservationlot SET quantity = quantity - (step_->>'take')::integer
       WHERE reservation_id = reservation_.id AND lot_id = (step_->>'lot_id')::bigint;
    END IF;
    rows_ := rows_ || inventory_fast_ledger(p, head_, 'sale', (step_->>'lot_id')::bigint,
                                            (step_->>'take')::integer, -(step_->>'take')::integer,
                                            -(step_->>'take')::integer, version_,
                                            reservation_.id, reservation_.code, reservation_.retail_partner_id,
                                            retail_code_);
  END LOOP;
  -- reservation_consume: _counters, then reservation_close (consumed) when it holds nothing any more.
  UPDATE inventory_reservation r SET consumed_quantity = r.consumed_quantity + quantity_, updated_at = now_,
         status = CASE WHEN r.quantity - r.released_quantity - quantity_ - r.consumed_quantity = 0
                       THEN 'consumed' ELSE r.status END,
         closed_at = CASE WHEN r.quantity - r.released_quantity - quantity_ - r.consumed_quantity = 0
                          THEN now_ ELSE r.closed_at END
   WHERE r.id = reservation_.id;

  RETURN head_ || jsonb_build_object(
    'outcome', 'done', 'version', version_, 'rows', rows_,
    'reservation', jsonb_build_object('id', reservation_.id, 'code', reservation_.code,
                                      'retail_partner_id', reservation_.retail_partner_id,
                                      'retail_partner_code', retail_code_),
    'retailers', inventory_fast_retailers((head_->>'supplier_id')::bigint));
END
$fn$;

