package dev.gingham.maps;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * What a map is: its name, type, fixed key and value sizes, capacity and (for per-worker maps)
 * the number of workers. Memory is sized from the spec once, at creation; nothing grows later.
 *
 * <p>For {@link MapType#LPM_TRIE} the key size is the address size in bytes (4 for IPv4, 16 for
 * IPv6); the prefix length travels beside the key. For {@link MapType#ARRAY} and
 * {@link MapType#PER_WORKER_ARRAY} the key is the index, so the key size is 4.
 *
 * @param name       map name, as shown by dumps and stored in a pinned header (1..63 chars of
 *                   letters, digits, '_', '-', '.')
 * @param type       map type
 * @param keySize    key size in bytes
 * @param valueSize  value size in bytes
 * @param maxEntries capacity in entries
 * @param workers    number of workers for {@link MapType#PER_WORKER_ARRAY}, 1 otherwise
 */
public record MapSpec(String name, MapType type, int keySize, int valueSize, int maxEntries, int workers) {
    /** Longest name that fits a pinned header. */
    public static final int MAX_NAME_LENGTH = 63;
    /** Largest key a map accepts (the size of an IPv6 conntrack tuple with room to spare). */
    public static final int MAX_KEY_SIZE = 256;
    /** Largest value a map accepts. */
    public static final int MAX_VALUE_SIZE = 64 * 1024;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.\\-]{1," + MAX_NAME_LENGTH + "}");

    public MapSpec {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("map name '" + name + "': must be 1.." + MAX_NAME_LENGTH
                    + " characters of letters, digits, '_', '-' or '.'");
        }
        if (type == null) {
            throw new IllegalArgumentException("map " + name + ": type is required");
        }
        if (keySize <= 0 || keySize > MAX_KEY_SIZE) {
            throw new IllegalArgumentException("map " + name + ": keySize " + keySize + " must be 1.." + MAX_KEY_SIZE);
        }
        if (valueSize <= 0 || valueSize > MAX_VALUE_SIZE) {
            throw new IllegalArgumentException("map " + name + ": valueSize " + valueSize + " must be 1.." + MAX_VALUE_SIZE);
        }
        if (maxEntries <= 0) {
            throw new IllegalArgumentException("map " + name + ": maxEntries " + maxEntries + " must be positive");
        }
        switch (type) {
            case LPM_TRIE -> {
                if (keySize != 4 && keySize != 16) {
                    throw new IllegalArgumentException("map " + name + ": an LPM trie key is an IPv4 (4) or IPv6 (16) address, not " + keySize + " bytes");
                }
            }
            case ARRAY, PER_WORKER_ARRAY -> {
                if (keySize != 4) {
                    throw new IllegalArgumentException("map " + name + ": an array key is a 4-byte index, not " + keySize + " bytes");
                }
            }
            default -> { }
        }
        if (type == MapType.PER_WORKER_ARRAY ? workers <= 0 : workers != 1) {
            throw new IllegalArgumentException("map " + name + ": workers " + workers
                    + (type == MapType.PER_WORKER_ARRAY ? " must be positive" : " must be 1 for a " + type + " map"));
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("map name '" + name + "' is too long");
        }
    }

    /**
     * Checks that this spec is of the type a map class needs: a spec of another type is a
     * programming error, reported with the map's name and both types.
     *
     * @param need what the map class needs, as the message reads it ("an ArrayMap needs an ARRAY spec")
     * @throws IllegalArgumentException when the type differs
     */
    void requireType(MapType required, String need) {
        if (type != required) {
            throw new IllegalArgumentException("map " + name + ": " + need + ", not " + type);
        }
    }

    public static MapSpec hash(String name, int keySize, int valueSize, int maxEntries) {
        return new MapSpec(name, MapType.HASH, keySize, valueSize, maxEntries, 1);
    }

    public static MapSpec lruHash(String name, int keySize, int valueSize, int maxEntries) {
        return new MapSpec(name, MapType.LRU_HASH, keySize, valueSize, maxEntries, 1);
    }

    /** An LPM trie over addresses of {@code addressBytes} (4 or 16). */
    public static MapSpec lpmTrie(String name, int addressBytes, int valueSize, int maxEntries) {
        return new MapSpec(name, MapType.LPM_TRIE, addressBytes, valueSize, maxEntries, 1);
    }

    public static MapSpec array(String name, int valueSize, int maxEntries) {
        return new MapSpec(name, MapType.ARRAY, 4, valueSize, maxEntries, 1);
    }

    public static MapSpec perWorkerArray(String name, int valueSize, int maxEntries, int workers) {
        return new MapSpec(name, MapType.PER_WORKER_ARRAY, 4, valueSize, maxEntries, workers);
    }
}
