package dev.gingham.nat.lb;

import java.util.BitSet;

/**
 * Hands out indices (backend ids, rev-NAT indices, service ids, Maglev tables) from a fixed range
 * and takes them back, first freed first reused: an index just freed is the last to come back,
 * which keeps a worker that still holds a stale index (an old conntrack entry, a preempted read)
 * from meeting its new owner for as long as the range allows. Control thread only.
 *
 * <p>A ring of candidates with a used bit per index: {@link #reserve} (restoring from pinned
 * maps) only sets the bit, and {@link #allocate} skips candidates whose bit is set, so the ring
 * (twice the range) never needs a search.
 */
final class IndexAllocator {
    private final String name;
    private final int first;
    private final int size;
    private final int[] ring;
    private final BitSet used;
    private int head;
    private int length;
    private int usedCount;

    IndexAllocator(String name, int first, int size) {
        this.name = name;
        this.first = first;
        this.size = size;
        this.ring = new int[2 * size];
        this.used = new BitSet(size);
        for (int i = 0; i < size; i++) {
            ring[i] = first + i;
        }
        this.length = size;
    }

    /** Returns: how many indices are free. */
    int available() {
        return size - usedCount;
    }

    /** Returns: a free index. @throws IllegalStateException when none is free (callers check {@link #available} first) */
    int allocate() {
        while (length > 0) {
            int index = ring[head];
            head = (head + 1) % ring.length;
            length--;
            if (!used.get(index - first)) {
                used.set(index - first);
                usedCount++;
                return index;
            }
        }
        throw new IllegalStateException(name + ": no free index");
    }

    /** Marks an index in use without taking it from the ring; returns false when out of range or already used. */
    boolean reserve(int index) {
        if (index < first || index >= first + size || used.get(index - first)) {
            return false;
        }
        used.set(index - first);
        usedCount++;
        return true;
    }

    boolean inUse(int index) {
        return index >= first && index < first + size && used.get(index - first);
    }

    /** Returns an index to the back of the ring. @throws IllegalStateException on a double free */
    void free(int index) {
        if (!inUse(index)) {
            throw new IllegalStateException(name + ": index " + index + " freed but not in use");
        }
        used.clear(index - first);
        usedCount--;
        ring[(head + length) % ring.length] = index;
        length++;
    }
}
