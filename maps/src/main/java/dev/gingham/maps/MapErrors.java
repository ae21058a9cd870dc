package dev.gingham.maps;

/**
 * Return codes of map operations: 0 for success, a negative errno (the values the kernel's bpf()
 * syscall returns for the same cause) otherwise; and the sentinel lookups return for "no entry".
 *
 * <p>Integer codes instead of exceptions because maps are used on the per-packet path, where a
 * full table or a missing key is an ordinary outcome that becomes a counted drop reason.
 */
public final class MapErrors {
    /** The operation succeeded. */
    public static final int OK = 0;
    /** No such key (delete or EXIST-update of an absent key). */
    public static final int ENOENT = -2;
    /** The map is full (the kernel returns E2BIG for a full hash map). */
    public static final int E2BIG = -7;
    /** A writer could not get the entry right now; retry. */
    public static final int EBUSY = -16;
    /** The key exists (NOEXIST-update of a present key). */
    public static final int EEXIST = -17;
    /** Bad argument: unknown flags, index out of range, prefix longer than the key. */
    public static final int EINVAL = -22;
    /** No room for internal structure (LPM trie nodes) although entries remain. */
    public static final int ENOSPC = -28;
    /** The map was opened read-only. */
    public static final int EPERM = -1;

    /** What {@code lookup} returns when the key is absent; real slot offsets are never negative. */
    public static final long MISSING = -1L;

    private MapErrors() {
    }

    /** Returns: a short readable name for a code, for CLI output and test messages. */
    public static String name(int code) {
        return switch (code) {
            case OK -> "OK";
            case ENOENT -> "ENOENT (no such key)";
            case E2BIG -> "E2BIG (map full)";
            case EBUSY -> "EBUSY (entry busy)";
            case EEXIST -> "EEXIST (key exists)";
            case EINVAL -> "EINVAL (invalid argument)";
            case ENOSPC -> "ENOSPC (no room for structure)";
            case EPERM -> "EPERM (read-only map)";
            default -> "error " + code;
        };
    }
}
