package dev.gingham.dataplane.policy;

/**
 * A compiled policy did not fit the maps (rows, port sets or table ids). Thrown before anything
 * was published: the previous policy stays in force, whole.
 */
public final class PolicyCapacityException extends RuntimeException {
    public PolicyCapacityException(String message) {
        super(message);
    }
}
