// A webhook receiver that accepts only deliveries signed with your endpoint's secret.
//   HOTSAUCE_WEBHOOK_SECRET=whsec_... PORT=8080 ./run.sh receiver
// Register it with POST /api/v1/webhooks {"url": "https://your-host/", "eventTypes": ["*"]}.
import com.fasterxml.jackson.databind.JsonNode;
import com.hotsauce.sdk.Webhooks;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

public class WebhookReceiver {
    static final String SECRET = System.getenv("HOTSAUCE_WEBHOOK_SECRET");
    static final Set<String> SEEN = ConcurrentHashMap.newKeySet(); // webhook-id: deliveries are at least once

    static void handle(HttpExchange exchange) throws java.io.IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8); // raw, as signed
        Map<String, String> headers = new HashMap<>();
        exchange.getRequestHeaders().forEach((name, values) -> headers.put(name, String.join(",", values)));
        int status;
        try {
            JsonNode event = Webhooks.verify(SECRET, body, headers);
            if (SEEN.add(event.get("id").asText())) {
                System.out.println("verified " + event.get("type").asText() + " #" + event.get("sequence") + " "
                    + event.get("id").asText());
            }
            status = 204; // answer fast; do slow work after acknowledging
        } catch (Webhooks.VerificationException e) {
            System.out.println("rejected: " + e.getMessage());
            status = 400;
        }
        exchange.sendResponseHeaders(status, -1);
        exchange.close();
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/", WebhookReceiver::handle);
        server.start();
        System.out.println("listening on " + server.getAddress().getPort());
    }
}
