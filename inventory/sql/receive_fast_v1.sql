-- Receipt on the fast path (issue 19, docs/stock.md "The fast path"), as the reservation
-- (inventory/sql/reserve_fast.sql, helpers in fast_common.sql): the ordinary case in one call,
-- {"outcome": "fallback"} before any write for everything else. Installed by migration 0010,
-- which reads this versioned file: never edit it, add a _v2 file and a migration instead.

-- inventory.services.movements.stock_receive into an existing lot: the supplier's warehouse by
-- code, or its only active one (warehouse_resolve); the product's batch, this supplier's and not
-- expired (_batch_for_receipt); the item's lot of that batch in that warehouse (lot_ensure). Falls
-- back when the warehouse, the batch or the lot is missing or the batch is another supplier's or
-- expired (the Python path creates them, or words the 422). The FSMA 204 receiving record
-- (traceability.cte_receiving_record with no context) is written here too.
CREATE OR REPLACE FUNCTION inventory_receive_fast(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
  now_ timestamptz := (p->>'now')::timestamptz;
  quantity_ integer := (p->>'quantity')::integer;
  head_ jsonb;
  supplier_ record;
  warehouse_ record;
  batch_ record;
  product_ record;
  lot_id_ bigint;
  version_ bigint;
  rows_ jsonb;
  here_id_ text;
  here_ text;
  source_id_ text;
  source_ text;
BEGIN
  head_ := inventory_fast_lock(p);
  IF head_->>'outcome' <> 'locked' THEN
    RETURN head_;
  END IF;
  SELECT s.id, s.code, s.name, s.country INTO supplier_ FROM partners_supplier s
   WHERE s.id = (head_->>'supplier_id')::bigint;
  IF p->>'warehouse_code' IS NULL THEN
    SELECT w.* INTO warehouse_ FROM inventory_warehouse w WHERE w.supplier_id = supplier_.id AND w.active;
    IF NOT FOUND OR (SELECT count(*) FROM inventory_warehouse w WHERE w.supplier_id = supplier_.id AND w.active) <> 1 THEN
      RETURN jsonb_build_object('outcome', 'fallback', 'why', 'warehouse');
    END IF;
  ELSE
    SELECT w.* INTO warehouse_ FROM inventory_warehouse w
     WHERE w.supplier_id = supplier_.id AND w.code = p->>'warehouse_code' ORDER BY w.id LIMIT 1;
    IF NOT FOUND THEN
      RETURN jsonb_build_object('outcome', 'fallback', 'why', 'warehouse');
    END IF;
  END IF;
  SELECT b.* INTO batch_ FROM inventory_batch b
   WHERE b.product_id = (head_->>'product_id')::bigint AND b.batch_number = p->>'batch_number';
  IF NOT FOUND OR batch_.supplier_id <> supplier_.id OR batch_.expiration_date <= now_ THEN
    RETURN jsonb_build_object('outcome', 'fallback', 'why', 'batch');
  END IF;
  SELECT (l->>'id')::bigint INTO lot_id_ FROM jsonb_array_elements(head_->'lots') l
   WHERE (l->>'warehouse_id')::bigint = warehouse_.id AND (l->>'batch_id')::bigint = batch_.id;
  IF lot_id_ IS NULL THEN
    RETURN jsonb_build_object('outcome', 'fallback', 'why', 'lot');
  END IF;

  version_ := inventory_fast_version((head_->>'item_id')::bigint, now_);
  UPDATE inventory_stocklot l SET on_hand = l.on_hand + quantity_, updated_at = now_ WHERE l.id = lot_id_;
  rows_ := jsonb_build_array(inventory_fast_ledger(p, head_, 'receipt', lot_id_, quantity_, quantity_, 0, version_,
                                                   NULL, NULL, NULL, NULL));

  -- cte_receiving_record: warehouse_place, _origins, product_description, _record.
  here_id_ := supplier_.code || '/' || warehouse_.code;
  SELECT string_agg(x, ', ' ORDER BY n) INTO here_
    FROM unnest(ARRAY[supplier_.name, warehouse_.name, warehouse_.address,
                      COALESCE(NULLIF(warehouse_.country, ''), supplier_.country)]) WITH ORDINALITY t(x, n)
   WHERE COALESCE(x, '') <> '';
  SELECT c.tlc_source_id, c.tlc_source_description INTO source_id_, source_
    FROM traceability_criticaltrackingevent c
   WHERE c.batch_id = batch_.id AND c.cte_type IN ('receiving', 'transformation') ORDER BY c.id LIMIT 1;
  IF NOT FOUND THEN
    source_id_ := here_id_;
    source_ := COALESCE(here_, '');
  END IF;
  SELECT pr.sku, pr.name, pr.flavor, pr.bottle_size_ml INTO product_ FROM inventory_product pr
   WHERE pr.id = (head_->>'product_id')::bigint;
  INSERT INTO traceability_criticaltrackingevent (
    public_id, cte_type, supplier_id, product_id, batch_id, traceability_lot_code, product_description, quantity,
    unit_of_measure, event_date, occurred_at, warehouse_id, location_id, location_description, tlc_source_id,
    tlc_source_description, counterparty_id, counterparty_description, retail_partner_id, inputs,
    reference_document_type, reference_document_number, movement_id, created_at)
  VALUES (
    gen_random_uuid(), 'receiving', supplier_.id, (head_->>'product_id')::bigint, batch_.id, batch_.batch_number,
    product_.sku || ': ' || COALESCE((SELECT string_agg(x, ', ' ORDER BY n) FROM unnest(ARRAY[
      product_.name, product_.flavor,
      CASE WHEN COALESCE(product_.bottle_size_ml, 0) <> 0 THEN product_.bottle_size_ml || ' ml' ELSE '' END])
      WITH ORDINALITY t(x, n) WHERE COALESCE(x, '') <> ''), ''),
    quantity_, 'each', (now_ AT TIME ZONE 'UTC')::date, now_, warehouse_.id, here_id_, COALESCE(here_, ''),
    source_id_, source_, '', '', NULL, '[]'::jsonb, 'receipt',
    COALESCE(NULLIF(p->>'reference', ''), p->>'movement_id'), (p->>'movement_id')::uuid, now());

  RETURN head_ || jsonb_build_object(
    'outcome', 'done', 'version', version_, 'rows', rows_, 'reservation', NULL,
    'retailers', inventory_fast_retailers((head_->>'supplier_id')::bigint));
END
$fn$;
