// The brief's workflow with the Java SDK: a retailer and its supplier, from token to delivery.
//   HOTSAUCE_BASE_URL=http://127.0.0.1:8000 HOTSAUCE_CREDENTIALS=var/sandbox-credentials.json ./run.sh
import com.fasterxml.jackson.databind.JsonNode;
import com.hotsauce.sdk.HotSauce;
import com.hotsauce.sdk.ProblemException;
import com.hotsauce.sdk.model.InventoryItem;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

public class Workflow {
    static final String SUPPLIER = "SUP123", RETAILER = "RETAIL456", PRODUCT = "HOTSAUCE789", TRACKING = "1Z999AA10123456784";
    static final int QUANTITY = 6;

    static void check(boolean ok, String step, String detail) {
        System.out.println((ok ? "ok   " : "FAIL ") + step + ": " + detail);
        if (!ok) System.exit(1);
    }

    static long latestSequence(HotSauce client) {
        for (long after = 0; ; ) {
            JsonNode page = client.get("events", Map.of("after", after, "limit", 500));
            after = page.get("nextAfter").asLong();
            if (!page.get("hasMore").asBoolean()) return after;
        }
    }

    public static void main(String[] args) throws Exception {
        String base = System.getenv().getOrDefault("HOTSAUCE_BASE_URL", "http://127.0.0.1:8000");
        Path creds = Path.of(System.getenv().getOrDefault("HOTSAUCE_CREDENTIALS", "var/sandbox-credentials.json"));
        HotSauce retailer = HotSauce.fromCredentialsFile(base, creds, RETAILER, "retailer");
        HotSauce supplier = HotSauce.fromCredentialsFile(base, creds, SUPPLIER, "supplier");

        // 1. Tokens: client credentials, fetched (and later refreshed) by the SDK.
        check(!retailer.token().isEmpty() && !supplier.token().isEmpty(), "1 token", "retailer and supplier authenticated");

        // 2. The retailer checks stock of the SKU at its supplier (mapped onto a generated record).
        InventoryItem item = HotSauce.as(retailer.get("inventory/" + SUPPLIER + "/" + PRODUCT), InventoryItem.class);
        check(item.availableQuantity() >= QUANTITY, "2 stock", PRODUCT + " at " + SUPPLIER + ": level " + item.inventoryLevel()
            + ", available " + item.availableQuantity() + ", batch " + item.batchNumber() + ", expires " + item.expirationDate());
        long since = latestSequence(retailer);

        // 3. The retailer places an order (the SDK adds an Idempotency-Key; a retry cannot order twice).
        JsonNode order = retailer.post("orders", Map.of("supplierId", SUPPLIER,
            "lines", List.of(Map.of("productId", PRODUCT, "quantity", QUANTITY)),
            "requestedDeliveryDate", LocalDate.now().plusDays(7).toString(),
            "deliveryAddress", "FreshMart DC, 1 Market St", "reference", "PO-" + System.currentTimeMillis()));
        String orderId = order.get("orderId").asText(), status = order.get("status").asText();
        check(List.of("allocated", "partially_allocated", "backordered").contains(status), "3 order", orderId + " " + status);

        // 4. The supplier updates reserved stock: a `reservation` movement for the order.
        String detail;
        try {
            JsonNode txn = supplier.post("inventory/" + SUPPLIER + "/" + PRODUCT,
                Map.of("type", "reservation", "orderId", orderId)).get("transaction");
            detail = "reserved " + txn.get("quantity") + " more (reservation " + txn.get("reservationId").asText() + ")";
        } catch (ProblemException.InvalidState problem) { // placed orders take their stock: nothing left, nothing changed
            detail = "already fully allocated at order time (" + problem.code + ")";
        }
        int held = supplier.paginate("reservations", Map.of("orderId", orderId, "status", "open"))
            .mapToInt(r -> r.get("quantity").asInt()).sum();
        check(held == QUANTITY, "4 reserve", detail + "; " + held + " units held for " + orderId);

        // 5. The retailer is notified: inventory.updated for the SKU in its changes feed.
        JsonNode events = retailer.get("events", Map.of("after", since, "types", "inventory.updated", "limit", 500)).get("results");
        boolean notified = false;
        for (JsonNode e : events) notified |= PRODUCT.equals(e.path("data").path("productId").asText());
        check(notified, "5 notified", events.size() + " inventory.updated event(s) since sequence " + since);

        // 6. The supplier ships with tracking.
        JsonNode shipment = supplier.post("shipments", Map.of("orderId", orderId, "carrier", "UPS", "trackingNumber", TRACKING));
        check(TRACKING.equals(shipment.get("trackingNumber").asText()), "6 shipment",
            shipment.get("shipmentId").asText() + " via " + shipment.get("carrier").asText() + " " + TRACKING);

        // 7. The retailer follows the order until it is delivered (the carrier's delivery is recorded by the supplier).
        JsonNode seen = retailer.get("orders/" + orderId);
        String tracking = seen.path("shipments").path(0).path("trackingNumber").asText();
        check("shipped".equals(seen.get("status").asText()) && TRACKING.equals(tracking), "7 tracking",
            orderId + " " + seen.get("status").asText() + ", tracking " + tracking);
        supplier.post("shipments/" + shipment.get("shipmentId").asText() + "/deliver", null);
        long deadline = System.currentTimeMillis() + 30_000;
        while (!"delivered".equals((seen = retailer.get("orders/" + orderId)).get("status").asText())
                && System.currentTimeMillis() < deadline) Thread.sleep(1000);
        check("delivered".equals(seen.get("status").asText()), "7 delivered", orderId + " " + seen.get("status").asText());
        System.out.println("workflow complete");
    }
}
