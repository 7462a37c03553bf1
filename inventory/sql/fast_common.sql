-- What every fast-path function (inventory/sql/*_fast.sql, issue 19) does first and last.

-- The idempotency key, then what the view resolves, then the locks, in the Python path's order:
-- 1. hotsauce.api.idempotency._look: the key's transaction-scoped advisory lock and its stored
--    record ({"outcome": "record"}; {"outcome": "busy"} when another request holds the key);
-- 2. visible_supplier (a supplier caller names itself), product_or_404, item_locked: anything
--    missing is {"outcome": "fallback"} (the Python path words the 404);
-- 3. inventory.locks.lock_stock: the item FOR UPDATE, then its lots FOR UPDATE in primary-key order.
-- {"outcome": "locked"} carries the ids and codes and the lots as they are before any change.
CREATE OR REPLACE FUNCTION inventory_fast_lock(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
  free_ boolean;
  record_ jsonb;
  supplier_ record;
  product_ record;
  item_id_ bigint;
  lots_ jsonb;
BEGIN
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

  PERFORM 1 FROM inventory_inventoryitem i WHERE i.id = item_id_ FOR UPDATE;
  SELECT COALESCE(jsonb_agg(jsonb_build_object(
           'id', l.id, 'on_hand', l.on_hand, 'reserved', l.reserved, 'quarantined', l.quarantined,
           'warehouse_id', w.id, 'warehouse_code', w.code, 'batch_id', b.id,
           'batch_number', b.batch_number, 'expiration_date', b.expiration_date, 'batch_status', b.status,
           'batch_supplier_id', b.supplier_id, 'batch_product_id', b.product_id) ORDER BY l.id), '[]'::jsonb)
    INTO lots_
    FROM (SELECT * FROM inventory_stocklot WHERE item_id = item_id_ ORDER BY id FOR UPDATE) l
    JOIN inventory_batch b ON b.id = l.batch_id
    JOIN inventory_warehouse w ON w.id = l.warehouse_id;
  RETURN jsonb_build_object('outcome', 'locked', 'supplier_id', supplier_.id, 'supplier_code', supplier_.code,
                            'product_id', product_.id, 'product_sku', product_.sku, 'item_id', item_id_,
                            'lots', lots_);
END
$fn$;

-- Who hears of a change (services.events.item_updated_emit): the retailers trading with the
-- supplier, by id.
CREATE OR REPLACE FUNCTION inventory_fast_retailers(supplier_id_ bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $fn$
  SELECT COALESCE(jsonb_agg(jsonb_build_object('id', rp.id, 'code', rp.code,
                                               'minimum_shelf_life_days', rp.minimum_shelf_life_days)
                            ORDER BY tr.retail_partner_id), '[]'::jsonb)
    FROM partners_tradingrelationship tr JOIN partners_retailpartner rp ON rp.id = tr.retail_partner_id
   WHERE tr.supplier_id = supplier_id_ AND tr.active;
$fn$;

-- The item's one version bump of the transaction (StockWork.flush).
CREATE OR REPLACE FUNCTION inventory_fast_version(item_id_ bigint, now_ timestamptz) RETURNS bigint
LANGUAGE sql AS $fn$
  UPDATE inventory_inventoryitem SET version = version + 1, last_updated = now_ WHERE id = item_id_
  RETURNING version;
$fn$;

-- One ledger row (Movement.change with work.ledger_codes): the codes copied as Python copies them.
CREATE OR REPLACE FUNCTION inventory_fast_ledger(p jsonb, head jsonb, type_ text, lot_id_ bigint, quantity_ integer,
                                                 on_hand_delta_ integer, reserved_delta_ integer, version_ bigint,
                                                 reservation_id_ bigint, reservation_code_ text,
                                                 retail_partner_id_ bigint, retail_partner_code_ text)
RETURNS jsonb LANGUAGE sql AS $fn$
  INSERT INTO inventory_inventorytransaction (
    movement_id, type, quantity, on_hand_delta, reserved_delta, quarantined_delta, on_hand_after, reserved_after,
    item_version, reason, reference, idempotency_key, created_at, actor_client_id, actor_user_id, batch_id,
    item_id, retail_partner_id, supplier_id, product_id, lot_id, counterpart_warehouse_id, warehouse_id,
    reservation_id, supplier_code, product_sku, warehouse_code, counterpart_warehouse_code, batch_number,
    expiration_date, retail_partner_code, reservation_code, actor_label)
  SELECT (p->>'movement_id')::uuid, type_, quantity_, on_hand_delta_, reserved_delta_, 0, l.on_hand, l.reserved,
         version_, left(p->>'reason', 500), left(p->>'reference', 200), left(p->>'idempotency_key', 255),
         (p->>'now')::timestamptz, (p->>'actor_client_id')::bigint, (p->>'actor_user_id')::integer, b.id,
         l.item_id, retail_partner_id_, (head->>'supplier_id')::bigint, (head->>'product_id')::bigint, l.id, NULL,
         w.id, reservation_id_, head->>'supplier_code', head->>'product_sku', w.code, '', b.batch_number,
         b.expiration_date, COALESCE(retail_partner_code_, ''), COALESCE(reservation_code_, ''),
         left(p->>'actor_label', 300)
    FROM inventory_stocklot l JOIN inventory_batch b ON b.id = l.batch_id JOIN inventory_warehouse w ON w.id = l.warehouse_id
   WHERE l.id = lot_id_
  RETURNING jsonb_build_object('id', id, 'lot_id', lot_id, 'type', type, 'take', quantity,
                               'on_hand_delta', on_hand_delta, 'reserved_delta', reserved_delta,
                               'on_hand_after', on_hand_after, 'reserved_after', reserved_after);
$fn$;

-- The locked lots first expired, first out (selectors.fefo), each with its available units
-- (selectors.lot_quantities without a retailer: released and not expired, less reserved and held).
CREATE OR REPLACE FUNCTION inventory_fast_lots(lots jsonb, now_ timestamptz)
RETURNS TABLE (id bigint, on_hand integer, reserved integer, available integer)
LANGUAGE sql IMMUTABLE AS $fn$
  SELECT (l->>'id')::bigint, (l->>'on_hand')::integer, (l->>'reserved')::integer,
         CASE WHEN l->>'batch_status' = 'released' AND (l->>'expiration_date')::timestamptz > now_
              THEN (l->>'on_hand')::integer - (l->>'reserved')::integer - (l->>'quarantined')::integer
              ELSE 0 END
    FROM jsonb_array_elements(lots) l
   ORDER BY (l->>'expiration_date')::timestamptz, l->>'batch_number', (l->>'id')::bigint;
$fn$;
