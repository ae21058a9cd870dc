package dev.gingham.dataplane.cluster;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Small integer ids for names (node ids, endpoint slots) that stay the same across reloads while
 * the name stays, and are handed to new names from a cursor that only moves forward (wrapping), so
 * a freed id is reused only after every other id was handed out since (a stale reference to it, in
 * a worker or a dump, rarely names a newcomer). Immutable:
 * {@link #assign} returns the next assignment, so a reload can compute it and keep it only once
 * everything else succeeded.
 */
final class StableIds {
    private final int min;
    private final int max;
    private final Map<String, Integer> ids;
    private final int cursor;

    private StableIds(int min, int max, Map<String, Integer> ids, int cursor) {
        this.min = min;
        this.max = max;
        this.ids = Map.copyOf(ids);
        this.cursor = cursor;
    }

    /** Returns: an empty assignment of ids {@code min..max}. */
    static StableIds range(int min, int max) {
        return new StableIds(min, max, Map.of(), min);
    }

    /**
     * Returns: an assignment that starts from ids found elsewhere (a restarted node's endpoint
     * slots, read from its pinned endpoint map), with the cursor after the highest of them.
     *
     * @throws IllegalArgumentException for an id outside {@code min..max} or given twice
     */
    static StableIds restored(int min, int max, Map<String, Integer> ids) {
        Set<Integer> seen = new HashSet<>();
        int highest = min - 1;
        for (Map.Entry<String, Integer> e : ids.entrySet()) {
            int id = e.getValue();
            if (id < min || id > max || !seen.add(id)) {
                throw new IllegalArgumentException("restored id " + id + " of " + e.getKey() + " is outside " + min + ".." + max
                        + " or given twice");
            }
            highest = Math.max(highest, id);
        }
        return new StableIds(min, max, ids, highest >= max || highest < min ? min : highest + 1);
    }

    /**
     * Returns: ids for exactly {@code names}: kept for names that had one, new for the others.
     *
     * @throws IllegalStateException when there are more names than ids
     */
    StableIds assign(Collection<String> names) {
        if (names.size() > max - min + 1) {
            throw new IllegalStateException(names.size() + " names for " + (max - min + 1) + " ids");
        }
        Map<String, Integer> next = new HashMap<>();
        Set<Integer> used = new HashSet<>();
        for (String name : names) {
            Integer id = ids.get(name);
            if (id != null) {
                next.put(name, id);
                used.add(id);
            }
        }
        int c = cursor;
        for (String name : names) {
            if (next.containsKey(name)) {
                continue;
            }
            while (used.contains(c)) {
                c = c == max ? min : c + 1;
            }
            next.put(name, c);
            used.add(c);
            c = c == max ? min : c + 1;
        }
        return new StableIds(min, max, next, c);
    }

    /** Returns: the id of {@code name}, or -1. */
    int id(String name) {
        return ids.getOrDefault(name, -1);
    }

    /** Returns: the assignment by name. */
    Map<String, Integer> all() {
        return ids;
    }
}
