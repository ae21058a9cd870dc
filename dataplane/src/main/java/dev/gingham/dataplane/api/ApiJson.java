package dev.gingham.dataplane.api;

import tools.jackson.databind.json.JsonMapper;

/**
 * The one JSON mapper of the admin API and its CLI client (Jackson 3): the server writes the view
 * records, the CLI reads them back into the same records, so both sides agree on every field.
 */
public final class ApiJson {
    /** Thread-safe once built. */
    public static final JsonMapper MAPPER = JsonMapper.builder().build();

    private ApiJson() {
    }

    /**
     * The body of every error response (400, 404, 405, 503...).
     *
     * @param status the HTTP status code
     * @param error  what went wrong, for a person
     */
    public record Error(int status, String error) {
    }
}
