package com.hotsauce.sdk;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A partner's client: client-credentials tokens fetched and refreshed, an Idempotency-Key on
 * every write (yours or a fresh UUID; {@link #NO_KEY} sends none, and the call is then never
 * retried), 429/503 retried honouring Retry-After, problems thrown as {@link ProblemException}s.
 * Answers are Jackson trees; {@link #as} maps them onto the generated records in
 * {@code com.hotsauce.sdk.model}.
 */
public final class HotSauce {
    public static final String NO_KEY = "";
    private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE");
    public static final ObjectMapper MAPPER = new ObjectMapper()
        .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final String baseUrl, clientId, clientSecret, apiKey;
    private final HttpClient http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build(); // no h2c upgrade: servers refuse it
    private int maxRetries = 3;
    private long maxDelaySeconds = 30;
    private String token;
    private long tokenExpiresAtMillis;

    public HotSauce(String baseUrl, String clientId, String clientSecret, String apiKey) {
        if (apiKey == null && (clientId == null || clientSecret == null)) {
            throw new IllegalArgumentException("give clientId and clientSecret, or apiKey");
        }
        this.baseUrl = baseUrl.replaceAll("/+$", "");
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        this.apiKey = apiKey;
    }

    /** A client from the JSON that {@code seed_demo --credentials-out} writes. */
    public static HotSauce fromCredentialsFile(String baseUrl, Path file, String partnerId, String kind) throws IOException {
        for (JsonNode c : MAPPER.readTree(Files.readString(file)).path("clients")) {
            if ((partnerId == null || partnerId.equals(c.path("partnerId").asText()))
                    && (kind == null || kind.equals(c.path("kind").asText()))) {
                return new HotSauce(baseUrl, c.get("clientId").asText(), c.get("clientSecret").asText(), null);
            }
        }
        throw new IllegalArgumentException("no client for partner " + partnerId + " kind " + kind + " in " + file);
    }

    public HotSauce maxRetries(int value) { this.maxRetries = value; return this; }

    /** The current bearer token, fetched when there is none or it is about to expire. */
    public synchronized String token() { return token(false); }

    private synchronized String token(boolean refresh) {
        if (!refresh && token != null && System.currentTimeMillis() < tokenExpiresAtMillis) return token;
        String basic = Base64.getEncoder().encodeToString((clientId + ":" + clientSecret).getBytes(StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/oauth/token/"))
            .header("Authorization", "Basic " + basic).header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")).build();
        HttpResponse<String> response = send(request);
        JsonNode body = parse(response.body());
        if (response.statusCode() != 200) throw ProblemException.of(response.statusCode(), body);
        long lifetime = body.path("expires_in").asLong(3600);
        token = body.get("access_token").asText();
        tokenExpiresAtMillis = System.currentTimeMillis() + Math.max(lifetime - 60, lifetime / 2) * 1000;
        return token;
    }

    public String url(String path) {
        if (path.startsWith("http://") || path.startsWith("https://")) return path;
        return baseUrl + (path.startsWith("/") ? path : "/api/v1/" + path);
    }

    public static String query(Map<String, ?> params) {
        StringBuilder q = new StringBuilder();
        params.forEach((k, v) -> q.append(q.length() == 0 ? "?" : "&").append(k).append('=')
            .append(URLEncoder.encode(String.valueOf(v), StandardCharsets.UTF_8)));
        return q.toString();
    }

    /** Any call. {@code idempotencyKey}: null for a fresh UUID on writes, {@link #NO_KEY} for none. */
    public HttpResponse<String> request(String method, String path, Object body, String idempotencyKey,
                                        Map<String, String> headers) {
        String key = idempotencyKey;
        boolean write = !method.equals("GET") && !method.equals("HEAD");
        if (write && key == null) key = UUID.randomUUID().toString();
        String json = body == null ? null : write(body);
        // A write without its key may have been applied already: sending it again could do it twice.
        boolean retryable = SAFE.contains(method) || (key != null && !key.isEmpty());
        boolean refreshed = false;
        for (int attempt = 0; ; ) {
            HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(30))
                .header("Accept", "application/json")
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
            if (json != null) builder.header("Content-Type", "application/json");
            if (write && !key.isEmpty()) builder.header("Idempotency-Key", key);
            builder.header("Authorization", apiKey != null ? "ApiKey " + apiKey : "Bearer " + token(false));
            if (headers != null) headers.forEach(builder::header);
            HttpResponse<String> response = send(builder.build());
            int status = response.statusCode();
            if (status == 401 && apiKey == null && !refreshed) {
                refreshed = true;
                token(true);
                continue;
            }
            Long wait = (status == 429 || status == 503) ? delayMillis(attempt, response) : null;
            if (wait != null && retryable && attempt < maxRetries) {
                sleep(wait);
                attempt++;
                continue;
            }
            if (status >= 400) throw ProblemException.of(status, parse(response.body()));
            return response;
        }
    }

    private Long delayMillis(int attempt, HttpResponse<?> response) {
        String told = response.headers().firstValue("Retry-After").orElse(null);
        if (told != null) {
            long seconds;
            if (told.trim().matches("\\d+")) seconds = Long.parseLong(told.trim());
            else {
                try {
                    seconds = Math.max(0, ZonedDateTime.parse(told.trim(), DateTimeFormatter.RFC_1123_DATE_TIME)
                        .toEpochSecond() - System.currentTimeMillis() / 1000);
                } catch (RuntimeException e) {
                    seconds = 1;
                }
            }
            return seconds <= maxDelaySeconds ? seconds * 1000 : null;
        }
        return (long) (Math.min(30_000, 500L << attempt) * (0.5 + Math.random() / 2));
    }

    public JsonNode get(String path) { return parse(request("GET", path, null, null, null).body()); }

    public JsonNode get(String path, Map<String, ?> params) { return get(path + query(params)); }

    public JsonNode post(String path, Object body) { return post(path, body, null); }

    public JsonNode post(String path, Object body, String idempotencyKey) {
        return parse(request("POST", path, body == null ? Map.of() : body, idempotencyKey, null).body());
    }

    public JsonNode patch(String path, Object body, Map<String, String> headers) {
        return parse(request("PATCH", path, body, null, headers).body());
    }

    /** Every item of a cursor-paginated list, following {@code next} until it is null. */
    public Stream<JsonNode> paginate(String path, Map<String, ?> params) {
        List<JsonNode> items = new ArrayList<>();
        JsonNode page = get(path, params);
        while (true) {
            page.path("results").forEach(items::add);
            String next = page.path("next").asText(null);
            if (next == null || page.path("next").isNull()) return items.stream();
            page = get(next);
        }
    }

    /** Events from the SSE stream until {@code handler} returns false; reconnects from the last id seen. */
    public String events(String lastEventId, java.util.function.Predicate<JsonNode> handler) {
        String last = lastEventId;
        while (true) {
            HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url("events/stream")))
                .header("Accept", "text/event-stream")
                .header("Authorization", apiKey != null ? "ApiKey " + apiKey : "Bearer " + token(false));
            if (last != null) builder.header("Last-Event-ID", last);
            try {
                HttpResponse<Stream<String>> response = http.send(builder.build(), HttpResponse.BodyHandlers.ofLines());
                if (response.statusCode() >= 400) {
                    throw ProblemException.of(response.statusCode(), parse(String.join("\n", response.body().toList())));
                }
                Iterator<String> lines = response.body().iterator();
                String id = null;
                StringBuilder data = new StringBuilder();
                while (lines.hasNext()) {
                    String line = lines.next();
                    if (line.isEmpty() && data.length() > 0) {
                        last = id != null ? id : last;
                        JsonNode event = parse(data.toString());
                        data.setLength(0);
                        if (!handler.test(event)) { response.body().close(); return last; }
                    } else if (line.startsWith("id:")) id = line.substring(3).trim();
                    else if (line.startsWith("data:")) data.append(data.length() > 0 ? "\n" : "").append(line.substring(5).trim());
                }
            } catch (IOException e) {
                sleep(1000); // dropped: reconnect from Last-Event-ID
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return last;
            }
        }
    }

    /** Map a tree onto a generated record, e.g. {@code client.as(node, Order.class)}. */
    public static <T> T as(JsonNode node, Class<T> type) { return MAPPER.convertValue(node, type); }

    private HttpResponse<String> send(HttpRequest request) {
        for (int attempt = 0; ; attempt++) {
            try {
                return http.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                if (attempt >= maxRetries || !SAFE.contains(request.method())
                        && request.headers().firstValue("Idempotency-Key").isEmpty()) {
                    throw new UncheckedIOException(e);
                }
                sleep(500L << attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String write(Object body) {
        try {
            return MAPPER.writeValueAsString(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode parse(String text) {
        try {
            return text == null || text.isEmpty() ? MAPPER.nullNode() : MAPPER.readTree(text);
        } catch (IOException e) {
            return MAPPER.getNodeFactory().objectNode().put("detail", text.substring(0, Math.min(500, text.length())));
        }
    }
}
