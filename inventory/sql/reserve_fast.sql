-- The reservation fast path (issue 19, docs/stock.md "The fast path"): what
-- inventory.services.movements.stock_reserve does for an ordinary standalone reservation,
-- in one call. Same lock order as the Python path: the idempotency key's advisory lock, the
-- item (FOR UPDATE), its lots in primary-key order (FOR UPDATE), then the writes. Anything it
-- does not handle (unknown supplier, product or item, not enough units) returns
-- {"outcome": "fallback"} before writing anything, and the Python path answers.
-- The event, its audiences and deliveries and the idempotency record are written by the
-- second statement, inventory_write_finish, once Python has built the views.
CREATE OR REPLACE FUNCTION inventory_reserve_fast(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
  now_ timestamptz := (p->>'now')::timestamptz;
  quantity_ integer := (p->>'quantity')::integer;
  free_ boolean;
  record_ jsonb;
  supplier_ record;
  product_ record;
  item_id_ bigint;
  item_ record;
  lots_ jsonb;
  lot_ record;
  remaining_ integer := quantity_;
  available_ integer;
  take_ integer;
  plan_ jsonb := '[]'::jsonb;
  reservation_id_ bigint;
  code_ text;
  version_ bigint;
  changed_ record;
  rows_ jsonb := '[]'::jsonb;
  row_id_ bigint;
  step_ jsonb;
  retailers_ jsonb;
BEGIN
  -- 1. The idempotency key (hotsauce.api.idempotency._look): lock, then its stored record.
  free_ := pg_try_advisory_xact_lock((p->>'lock_class')::integer,
                                     hashtext((p->>'client_key') || E'\n' || (p->>'key')));
  SELECT to_jsonb(r) INTO record_ FROM api_idempotencyrecord r
   WHERE r.client_key = p->>'client_key' AND r.key = p->>'key';
  IF record_ IS NOT NULL THEN
    RETURN jsonb_build_object('outcome', 'record', 'record', record_);
  END IF;
  IF NOT free_ THEN
    RETURN jsonb_build_object('outcome', 'busy');
  END IF;

  -- 2. What the view resolves (visible_supplier, product_or_404, item_locked).
  SELECT s.id, s.code INTO supplier_ FROM partners_supplier s WHERE s.code = p->>'supplier_code';
  IF NOT FOUND OR (p->>'supplier_only' IS NOT NULL AND supplier_.id <> (p->>'supplier_only')::bigint) THEN
    RETURN jsonb_build_object('outcome', 'fallback', 'why', 'supplier');
  END IF;
  SELECT pr.id, pr.sku INTO product_ FROM inventory_product pr WHERE pr.sku = p->>'sku';
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'fallback', 'why', 'product');
  END IF;
  SELECT i.id INTO item_id_ FROM inventory_inventoryitem i
   WHERE i.supplier_id = supplier_.id AND i.product_id = product_.id;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'fallback', 'why', 'item');
  END IF;

  -- 3. Locks (inventory.locks.lock_stock): the item, then its lots in primary-key order.
  SELECT i.id, i.version INTO item_ FROM inventory_inventoryitem i WHERE i.id = item_id_ FOR UPDATE;
  SELECT COALESCE(jsonb_agg(jsonb_build_object(
           'id', l.id, 'on_hand', l.on_hand, 'reserved', l.reserved, 'quarantined', l.quarantined,
           'updated_at', l.updated_at, 'warehouse_id', w.id, 'warehouse_code', w.code, 'batch_id', b.id,
           'batch_number', b.batch_number, 'expiration_date', b.expiration_date, 'batch_status', b.status,
           'batch_supplier_id', b.supplier_id, 'batch_product_id', b.product_id) ORDER BY l.id), '[]'::jsonb)
    INTO lots_
    FROM (SELECT * FROM inventory_stocklot WHERE item_id = item_id_ ORDER BY id FOR UPDATE) l
    JOIN inventory_batch b ON b.id = l.batch_id
    JOIN inventory_warehouse w ON w.id = l.warehouse_id;

  -- 4. The plan (reservation_hold): first expired, first out; a lot gives its available units
  --    (selectors.lot_quantities: released and not expired, less reserved and held).
  FOR lot_ IN
    SELECT (l->>'id')::bigint AS id, (l->>'on_hand')::integer AS on_hand, (l->>'reserved')::integer AS reserved,
           (l->>'quarantined')::integer AS quarantined, l->>'batch_status' AS status,
           (l->>'expiration_date')::timestamptz AS expiration_date, l->>'batch_number' AS batch_number
      FROM jsonb_array_elements(lots_) l
     ORDER BY (l->>'expiration_date')::timestamptz, l->>'batch_number', (l->>'id')::bigint
  LOOP
    available_ := CASE WHEN lot_.status = 'released' AND lot_.expiration_date > now_
                       THEN lot_.on_hand - lot_.reserved - lot_.quarantined ELSE 0 END;
    take_ := LEAST(available_, remaining_);
    IF take_ > 0 THEN
      plan_ := plan_ || jsonb_build_object('lot_id', lot_.id, 'take', take_);
      remaining_ := remaining_ - take_;
    END IF;
    EXIT WHEN remaining_ = 0;
  END LOOP;
  IF remaining_ > 0 THEN  -- 409 insufficient_stock: the Python path words it
    RETURN jsonb_build_object('outcome', 'fallback', 'why', 'insufficient');
  END IF;

  -- 5. The writes (reservation_open, Movement.change, StockWork.flush).
  reservation_id_ := nextval(pg_get_serial_sequence('inventory_reservation', 'id'));
  code_ := 'RSV-' || lpad(reservation_id_::text, GREATEST(6, length(reservation_id_::text)), '0');
  INSERT INTO inventory_reservation (id, code, order_ref, status, quantity, released_quantity, consumed_quantity,
                                     expires_at, reason, reference, created_at, updated_at, closed_at,
                                     created_by_client_id, created_by_user_id, item_id, retail_partner_id)
  VALUES (reservation_id_, code_, '', 'open', quantity_, 0, 0, NULL, left(p->>'reason', 500),
          left(p->>'reference', 200), now_, now_, NULL, (p->>'actor_client_id')::bigint,
          (p->>'actor_user_id')::integer, item_id_, NULL);
  UPDATE inventory_inventoryitem SET version = version + 1, last_updated = now_ WHERE id = item_id_
  RETURNING version INTO version_;
  FOR step_ IN SELECT value FROM jsonb_array_elements(plan_) LOOP
    UPDATE inventory_stocklot l SET reserved = l.reserved + (step_->>'take')::integer, updated_at = now_
     WHERE l.id = (step_->>'lot_id')::bigint
    RETURNING l.id, l.on_hand, l.reserved, l.batch_id, l.warehouse_id INTO changed_;
    INSERT INTO inventory_reservationlot (reservation_id, lot_id, quantity)
    VALUES (reservation_id_, changed_.id, (step_->>'take')::integer);
    INSERT INTO inventory_inventorytransaction (
      movement_id, type, quantity, on_hand_delta, reserved_delta, quarantined_delta, on_hand_after, reserved_after,
      item_version, reason, reference, idempotency_key, created_at, actor_client_id, actor_user_id, batch_id,
      item_id, retail_partner_id, supplier_id, product_id, lot_id, counterpart_warehouse_id, warehouse_id,
      reservation_id, supplier_code, product_sku, warehouse_code, counterpart_warehouse_code, batch_number,
      expiration_date, retail_partner_code, reservation_code, actor_label)
    SELECT (p->>'movement_id')::uuid, 'reservation', (step_->>'take')::integer, 0, (step_->>'take')::integer, 0,
           changed_.on_hand, changed_.reserved, version_, left(p->>'reason', 500), left(p->>'reference', 200),
           left(p->>'idempotency_key', 255), now_, (p->>'actor_client_id')::bigint, (p->>'actor_user_id')::integer,
           b.id, item_id_, NULL, supplier_.id, product_.id, changed_.id, NULL, w.id, reservation_id_,
           supplier_.code, product_.sku, w.code, '', b.batch_number, b.expiration_date, '', code_,
           left(p->>'actor_label', 300)
      FROM inventory_batch b, inventory_warehouse w WHERE b.id = changed_.batch_id AND w.id = changed_.warehouse_id
    RETURNING id INTO row_id_;
    rows_ := rows_ || jsonb_build_object('id', row_id_, 'lot_id', changed_.id, 'take', (step_->>'take')::integer,
                                         'on_hand_after', changed_.on_hand, 'reserved_after', changed_.reserved);
  END LOOP;

  -- 6. Who hears of it (services.events.item_updated_emit): the retailers trading with the supplier.
  SELECT COALESCE(jsonb_agg(jsonb_build_object('id', rp.id, 'code', rp.code,
                                               'minimum_shelf_life_days', rp.minimum_shelf_life_days)
                            ORDER BY tr.retail_partner_id), '[]'::jsonb)
    INTO retailers_
    FROM partners_tradingrelationship tr JOIN partners_retailpartner rp ON rp.id = tr.retail_partner_id
   WHERE tr.supplier_id = supplier_.id AND tr.active;

  RETURN jsonb_build_object(
    'outcome', 'done', 'supplier', jsonb_build_object('id', supplier_.id, 'code', supplier_.code),
    'product', jsonb_build_object('id', product_.id, 'sku', product_.sku),
    'item', jsonb_build_object('id', item_id_, 'version', version_),
    'lots', lots_, 'rows', rows_, 'reservation', jsonb_build_object('id', reservation_id_, 'code', code_),
    'retailers', retailers_);
END
$fn$;
