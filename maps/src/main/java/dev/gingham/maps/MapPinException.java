package dev.gingham.maps;

/**
 * A pinned map file could not be created or opened: wrong magic, a header that does not match
 * the spec, a file owned by another writer, or an I/O error. The message names the file and
 * the field; the file is never modified when this is thrown.
 */
public final class MapPinException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MapPinException(String message) {
        super(message);
    }

    public MapPinException(String message, Throwable cause) {
        super(message, cause);
    }
}
