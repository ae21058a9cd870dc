package dev.gingham.maps;

/**
 * The hash function of {@link HashMap} and {@link LruHashMap}, exposed word by word so a caller
 * that holds a key's fields in registers can hash it without first writing the key to memory:
 *
 * <pre>{@code
 * long h = KeyHash.start(map.seed(), 40);
 * h = KeyHash.mix(h, word0); ... h = KeyHash.mix(h, word4);
 * long hash = KeyHash.finish(h, 40);   // == map.hash(key, offset) for the same 40 bytes
 * }</pre>
 *
 * A word is 8 key bytes read as a long in <em>native</em> byte order, starting at key offset 0;
 * this word-by-word form covers keys whose length is a multiple of 8 (the map itself also hashes
 * other lengths, with a tail rule of its own). The rounds are murmur3-style over 64-bit chunks
 * with murmur3's fmix64 finaliser: fast, and every key bit reaches every hash bit.
 */
public final class KeyHash {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final long C1 = 0x87C37B91114253D5L;
    private static final long C2 = 0x4CF5AD432745937FL;

    private KeyHash() {
    }

    /** Returns: the state before the first word of a key of {@code keyLength} bytes. */
    public static long start(long seed, int keyLength) {
        return seed ^ (keyLength * GOLDEN);
    }

    /** Returns: the state after one more 8-byte word of the key. */
    public static long mix(long h, long word) {
        long k = word * C1;
        k = Long.rotateLeft(k, 31);
        k *= C2;
        h ^= k;
        h = Long.rotateLeft(h, 27);
        return h * 5 + 0x52DCE729L;
    }

    /** Returns: the key's hash from the state after its last word. */
    public static long finish(long h, int keyLength) {
        h ^= keyLength;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }
}
