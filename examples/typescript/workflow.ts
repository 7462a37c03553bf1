// The brief's workflow with the TypeScript SDK: a retailer and its supplier, from token to delivery.
//   HOTSAUCE_BASE_URL=http://127.0.0.1:8000 HOTSAUCE_CREDENTIALS=var/sandbox-credentials.json ./run.sh
import { readFileSync } from "node:fs";

import { HotSauce, InvalidState } from "@hotsauce/sdk";

const BASE = process.env.HOTSAUCE_BASE_URL ?? "http://127.0.0.1:8000";
const CREDS = JSON.parse(readFileSync(process.env.HOTSAUCE_CREDENTIALS ?? "var/sandbox-credentials.json", "utf8"));
const [SUPPLIER, RETAILER, PRODUCT, QUANTITY] = ["SUP123", "RETAIL456", "HOTSAUCE789", 6] as const;

function check(ok: boolean, step: string, detail: string): void {
  console.log(`${ok ? "ok  " : "FAIL"} ${step}: ${detail}`);
  if (!ok) process.exit(1);
}

async function latestSequence(client: HotSauce): Promise<number> {
  for (let after = 0; ;) {
    const page = await client.get("events", { after, limit: 500 });
    after = page.nextAfter;
    if (!page.hasMore) return after;
  }
}

const retailer = HotSauce.fromCredentials(BASE, CREDS, RETAILER, "retailer");
const supplier = HotSauce.fromCredentials(BASE, CREDS, SUPPLIER, "supplier");

// 1. Tokens: client credentials, fetched (and later refreshed) by the SDK.
check(Boolean(await retailer.token()) && Boolean(await supplier.token()), "1 token", "retailer and supplier authenticated");

// 2. The retailer checks stock of the SKU at its supplier (typed by the generated schema).
const { data: item } = await retailer.api.GET("/api/v1/inventory/{supplierId}/{productId}",
  { params: { path: { supplierId: SUPPLIER, productId: PRODUCT } } });
check(item!.availableQuantity >= QUANTITY, "2 stock", `${PRODUCT} at ${SUPPLIER}: level ${item!.inventoryLevel}, `
  + `available ${item!.availableQuantity}, batch ${item!.batchNumber}, expires ${item!.expirationDate}`);
const since = await latestSequence(retailer);

// 3. The retailer places an order (the SDK adds an Idempotency-Key; a retry cannot order twice).
const order = await retailer.post("orders", {
  supplierId: SUPPLIER, lines: [{ productId: PRODUCT, quantity: QUANTITY }],
  requestedDeliveryDate: new Date(Date.now() + 7 * 86400e3).toISOString().slice(0, 10),
  deliveryAddress: "FreshMart DC, 1 Market St", reference: `PO-${Date.now()}`,
});
const orderId: string = order.orderId;
check(["allocated", "partially_allocated", "backordered"].includes(order.status), "3 order", `${orderId} ${order.status}`);

// 4. The supplier updates reserved stock: a `reservation` movement for the order.
let detail: string;
try {
  const movement = await supplier.post(`inventory/${SUPPLIER}/${PRODUCT}`, { type: "reservation", orderId });
  detail = `reserved ${movement.transaction.quantity} more (reservation ${movement.transaction.reservationId})`;
} catch (problem) {
  if (!(problem instanceof InvalidState)) throw problem;  // placed orders take their stock: nothing left, nothing changed
  detail = `already fully allocated at order time (${problem.code})`;
}
let held = 0;
for await (const r of supplier.paginate("reservations", { orderId, status: "open" })) held += r.quantity;
check(held === QUANTITY, "4 reserve", `${detail}; ${held} units held for ${orderId}`);

// 5. The retailer is notified: inventory.updated for the SKU in its changes feed.
const events = (await retailer.get("events", { after: since, types: "inventory.updated", limit: 500 })).results;
check(events.some((e: any) => e.data.productId === PRODUCT), "5 notified",
  `${events.length} inventory.updated event(s) since sequence ${since}`);

// 6. The supplier ships with tracking.
const shipment = await supplier.post("shipments", { orderId, carrier: "UPS", trackingNumber: "1Z999AA10123456784" });
check(shipment.trackingNumber === "1Z999AA10123456784", "6 shipment",
  `${shipment.shipmentId} via ${shipment.carrier} ${shipment.trackingNumber}`);

// 7. The retailer follows the order until it is delivered (the carrier's delivery is recorded by the supplier).
let seen = await retailer.get(`orders/${orderId}`);
check(seen.status === "shipped" && seen.shipments[0].trackingNumber === shipment.trackingNumber, "7 tracking",
  `${orderId} ${seen.status}, tracking ${seen.shipments[0].trackingNumber}`);
await supplier.post(`shipments/${shipment.shipmentId}/deliver`);
for (const deadline = Date.now() + 30_000; (seen = await retailer.get(`orders/${orderId}`)).status !== "delivered"
  && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 1000));
check(seen.status === "delivered", "7 delivered", `${orderId} ${seen.status}`);
console.log("workflow complete");
