package dev.gingham.dataplane.cni;

/**
 * A CNI error result: what the plugin prints on stdout, with a non-zero exit status, when a
 * command fails (CNI spec 1.0.0, "Section 5: Result Types", "Error"):
 * {@code {"cniVersion", "code", "msg", "details"}}.
 *
 * <p>Codes 0-99 are the spec's well-known ones ("Error" lists them; the ones used here are the
 * constants below); 100 and up are the plugin's own. A message says what failed for a person; the
 * details name the field, variable, file or object.
 */
public final class CniError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** 1: the network configuration's cniVersion is not one the plugin supports. */
    public static final int INCOMPATIBLE_VERSION = 1;
    /** 2: a field of the network configuration is not supported (the message names key and value). */
    public static final int UNSUPPORTED_FIELD = 2;
    /** 3: the container is unknown or does not exist (the runtime need not clean anything up). */
    public static final int UNKNOWN_CONTAINER = 3;
    /** 4: a required CNI_* environment variable is missing or invalid. */
    public static final int INVALID_ENVIRONMENT = 4;
    /** 5: an I/O failure (the daemon unreachable, a state file unwritable). */
    public static final int IO_FAILURE = 5;
    /** 6: the network configuration (or a reply) could not be decoded. */
    public static final int DECODE_FAILURE = 6;
    /** 7: the network configuration is invalid (a required field missing or wrong). */
    public static final int INVALID_NETWORK_CONFIG = 7;
    /** 11: a transient condition; the runtime should retry later (the daemon busy or starting). */
    public static final int TRY_AGAIN_LATER = 11;
    /** 100 (Gingham): the daemon could not attach the pod (device, addresses, cluster state refused it). */
    public static final int ATTACH_FAILED = 100;
    /** 101 (Gingham): CHECK found the pod's interface missing or different from what ADD made. */
    public static final int CHECK_FAILED = 101;
    /** 102 (Gingham): no address left in the node's pod CIDR. */
    public static final int NO_ADDRESS_LEFT = 102;
    /** 103 (Gingham): the launcher found no JDK 25 or no plugin jar (printed by the gingham-cni script itself). */
    public static final int NOT_INSTALLED = 103;

    private final int code;
    private final String details;

    /**
     * @param code    a well-known code or 100+
     * @param message what failed, for a person (the spec's "msg")
     * @param details the field, variable or object concerned, and the cause (the spec's "details"); may be ""
     */
    public CniError(int code, String message, String details) {
        super(message);
        this.code = code;
        this.details = details == null ? "" : details;
    }

    public int code() {
        return code;
    }

    public String details() {
        return details;
    }

    /** Returns: the error as the wire form the daemon answers and the plugin prints. */
    public CniWire.Failure failure() {
        return new CniWire.Failure(code, getMessage(), details);
    }
}
