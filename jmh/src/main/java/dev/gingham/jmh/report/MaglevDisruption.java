package dev.gingham.jmh.report;

import dev.gingham.jmh.nat.BenchServices;
import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.Maglev;

import java.util.Arrays;

/**
 * Maglev's disruption, the property that makes it worth its build time: when one backend leaves
 * or joins, how many table entries (and so how many flows hashed to them) move to another
 * backend. Ideally only the leaving backend's share moves (1/N). Computed with the real
 * {@link Maglev#build}; a count, not a time, so the report computes it rather than JMH.
 */
final class MaglevDisruption {
    /**
     * @param backends       backends before the change
     * @param m              table size
     * @param removedPercent entries that changed backend when the last backend was removed
     * @param addedPercent   entries that changed backend when one backend was added
     * @param idealPercent   100 / backends: the leaving backend's own share
     * @param othersMovedPercent of the entries the remaining backends held, those that changed
     *                       backend when the last one was removed (issue 3: at most 1% of the
     *                       other backends' flows may move)
     */
    record Figures(int backends, int m, double removedPercent, double addedPercent, double idealPercent,
                   double othersMovedPercent) {
    }

    /** Issue 3: removing one backend moves at most this share of the other backends' flows. */
    static final double OTHERS_MOVED_TARGET_PERCENT = 1.0;

    private MaglevDisruption() {
    }

    /** Returns: the disruption of removing and of adding one backend to {@code backends} (equal weights). */
    static Figures measure(int backends, int m) {
        int[] before = build(backends, m);
        int[] removed = build(backends - 1, m);
        int[] added = build(backends + 1, m);
        int removedId = backends; // build() numbers backends 1..count: the last one leaves
        int others = 0;
        int othersMoved = 0;
        for (int i = 0; i < m; i++) {
            if (before[i] != removedId) {
                others++;
                if (before[i] != removed[i]) {
                    othersMoved++;
                }
            }
        }
        return new Figures(backends, m, 100.0 * changed(before, removed) / m, 100.0 * changed(before, added) / m,
                100.0 / backends, 100.0 * othersMoved / others);
    }

    private static int[] build(int count, int m) {
        int[] ids = new int[count];
        long[] keys = new long[count];
        int[] weights = new int[count];
        for (int i = 0; i < count; i++) {
            ids[i] = i + 1;
            keys[i] = Maglev.backendKey(IpAddress.of4(BenchServices.BACKEND_BASE + i), BenchServices.TARGET_PORT);
        }
        Arrays.fill(weights, 1);
        int[] table = new int[m];
        Maglev.build(count, ids, keys, weights, m, table);
        return table;
    }

    private static int changed(int[] a, int[] b) {
        int changed = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                changed++;
            }
        }
        return changed;
    }
}
