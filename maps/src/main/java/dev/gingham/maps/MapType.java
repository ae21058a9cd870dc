package dev.gingham.maps;

/**
 * The kinds of map Gingham has, after the eBPF map types they mirror.
 *
 * <p>The numeric {@link #code()} is written into a pinned map's header and never changes, so a
 * pinned file written by one version is recognised (or rejected) by the next.
 */
public enum MapType {
    /** Fixed-size hash map; a full map refuses new keys (BPF_MAP_TYPE_HASH). */
    HASH(1),
    /** Hash map that evicts the least recently used entry when full (BPF_MAP_TYPE_LRU_HASH). */
    LRU_HASH(2),
    /** Longest-prefix-match trie over IPv4 or IPv6 prefixes (BPF_MAP_TYPE_LPM_TRIE). */
    LPM_TRIE(3),
    /** Dense array indexed 0..maxEntries-1 (BPF_MAP_TYPE_ARRAY). */
    ARRAY(4),
    /** An array with a private slot per worker, summed on read (BPF_MAP_TYPE_PERCPU_ARRAY). */
    PER_WORKER_ARRAY(5);

    private final int code;

    MapType(int code) {
        this.code = code;
    }

    /** Returns: the stable numeric code stored in pinned headers. */
    public int code() {
        return code;
    }

    /** Returns: the type with that code, or null when no type has it (a header from elsewhere). */
    public static MapType ofCode(int code) {
        for (MapType type : values()) {
            if (type.code == code) {
                return type;
            }
        }
        return null;
    }
}
