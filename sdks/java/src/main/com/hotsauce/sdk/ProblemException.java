package com.hotsauce.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * An RFC 9457 problem (or any other 4xx/5xx answer). The subclass is chosen by the stable
 * {@code code} first and the HTTP status second, so an unknown code still lands in its family.
 */
public class ProblemException extends RuntimeException {
    public final int status;
    public final String code;
    public final List<JsonNode> errors;
    public final String requestId;
    public final JsonNode problem;

    public ProblemException(int status, JsonNode problem) {
        super(status + " " + text(problem, "code", "http_" + status) + ": " + text(problem, "detail", text(problem, "title", "")));
        this.status = status;
        this.problem = problem;
        this.code = text(problem, "code", "http_" + status);
        this.requestId = text(problem, "requestId", null);
        List<JsonNode> list = new ArrayList<>();
        problem.path("errors").forEach(list::add);
        this.errors = List.copyOf(list);
    }

    private static String text(JsonNode node, String field, String fallback) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? fallback : value.asText();
    }

    public static class ValidationError extends ProblemException { public ValidationError(int s, JsonNode p) { super(s, p); } }
    public static class AuthenticationError extends ProblemException { public AuthenticationError(int s, JsonNode p) { super(s, p); } }
    public static class PermissionDenied extends ProblemException { public PermissionDenied(int s, JsonNode p) { super(s, p); } }
    public static class NotFound extends ProblemException { public NotFound(int s, JsonNode p) { super(s, p); } }
    public static class Conflict extends ProblemException { public Conflict(int s, JsonNode p) { super(s, p); } }
    public static class InsufficientStock extends Conflict { public InsufficientStock(int s, JsonNode p) { super(s, p); } }
    public static class VersionConflict extends Conflict { public VersionConflict(int s, JsonNode p) { super(s, p); } }
    public static class InvalidState extends Conflict { public InvalidState(int s, JsonNode p) { super(s, p); } }
    public static class PreconditionFailed extends ProblemException { public PreconditionFailed(int s, JsonNode p) { super(s, p); } }
    public static class RateLimited extends ProblemException { public RateLimited(int s, JsonNode p) { super(s, p); } }
    public static class ServerError extends ProblemException { public ServerError(int s, JsonNode p) { super(s, p); } }

    /** The typed exception for an answer's status and parsed body (null or non-object bodies allowed). */
    public static ProblemException of(int status, JsonNode body) {
        JsonNode p = body != null && body.isObject() ? body : JsonNodeFactory.instance.objectNode();
        String code = text(p, "code", "");
        switch (code) {
            case "validation_error": return new ValidationError(status, p);
            case "not_authenticated": return new AuthenticationError(status, p);
            case "permission_denied": return new PermissionDenied(status, p);
            case "not_found": return new NotFound(status, p);
            case "insufficient_stock": return new InsufficientStock(status, p);
            case "version_conflict": return new VersionConflict(status, p);
            case "invalid_state": return new InvalidState(status, p);
            case "conflict": return new Conflict(status, p);
            case "precondition_failed": return new PreconditionFailed(status, p);
            case "rate_limited": return new RateLimited(status, p);
            default: break;
        }
        switch (status) {
            case 400: case 422: return new ValidationError(status, p);
            case 401: return new AuthenticationError(status, p);
            case 403: return new PermissionDenied(status, p);
            case 404: return new NotFound(status, p);
            case 409: return new Conflict(status, p);
            case 412: return new PreconditionFailed(status, p);
            case 429: return new RateLimited(status, p);
            default: return status >= 500 ? new ServerError(status, p) : new ProblemException(status, p);
        }
    }
}
