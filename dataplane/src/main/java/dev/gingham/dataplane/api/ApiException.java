package dev.gingham.dataplane.api;

/**
 * A request the API refuses, with the HTTP status to answer and a message for a person (the
 * JSON error body). Thrown by views and query parsing, turned into a response by the router.
 */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    public ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** Returns: 400 Bad Request with this message. */
    public static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    /** Returns: 404 Not Found with this message. */
    public static ApiException notFound(String message) {
        return new ApiException(404, message);
    }

    public int status() {
        return status;
    }
}
