package com.hotsauce.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Standard Webhooks v1 verification: HMAC-SHA256 over "id.timestamp.body", 5 minutes of tolerance. */
public final class Webhooks {
    public static final long TOLERANCE_SECONDS = 300;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Webhooks() {}

    public static class VerificationException extends Exception {
        public VerificationException(String message) { super(message); }
    }

    /** The event envelope if a signature matches and the timestamp is fresh; pass the raw body as received. */
    public static JsonNode verify(String secret, String body, Map<String, String> headers) throws VerificationException {
        Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        h.putAll(headers);
        String id = h.get("webhook-id"), timestamp = h.get("webhook-timestamp"), signatures = h.get("webhook-signature");
        if (id == null || timestamp == null || signatures == null) throw new VerificationException("Missing required headers");
        long sent;
        try {
            sent = Long.parseLong(timestamp.trim());
        } catch (NumberFormatException e) {
            throw new VerificationException("Invalid Signature Headers");
        }
        long now = System.currentTimeMillis() / 1000;
        if (Math.abs(now - sent) > TOLERANCE_SECONDS) throw new VerificationException("Message timestamp outside tolerance");
        byte[] expected = sign(secret, id + "." + timestamp.trim() + "." + body);
        for (String candidate : signatures.split(" ")) {
            int comma = candidate.indexOf(',');
            if (comma < 0 || !candidate.substring(0, comma).equals("v1")) continue;
            byte[] given;
            try {
                given = Base64.getDecoder().decode(candidate.substring(comma + 1));
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (MessageDigest.isEqual(expected, given)) {
                try {
                    return MAPPER.readTree(body);
                } catch (java.io.IOException e) {
                    throw new VerificationException("Signed body is not JSON");
                }
            }
        }
        throw new VerificationException("No matching signature found");
    }

    private static byte[] sign(String secret, String content) {
        try {
            String key = secret.startsWith("whsec_") ? secret.substring(6) : secret;
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(key), "HmacSHA256"));
            return mac.doFinal(content.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
