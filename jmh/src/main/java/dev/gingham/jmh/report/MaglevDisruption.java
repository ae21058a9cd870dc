package dev.gingham.jmh.report;

import dev.gingham.jmh.nat.BenchServices;
import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.Maglev;

import java.util.Arrays;

/**
 * Maglev's disruption, the property that makes it worth its build time: when one backend leaves
 * or joins, how many table entries (and so how many flows hashed to them) move to another
 * backend. Ideally only the leaving backend's share moves (1/N). Computed with the real
 * {@link Maglev#build}; a count, not a time, so the report computes it rather than JMH. Every
 * backend leaves in turn (the figure depends on which one), so the report gives the mean and
 * the worst, and the target is judged on the worst.
 */
final class MaglevDisruption {
    /**
     * @param backends       backends before the change
     * @param m              table size
     * @param removedPercent entries that changed backend when one backend was removed (mean over each leaving)
     * @param addedPercent   entries that changed backend when one backend was added
     * @param idealPercent   100 / backends: the leaving backend's own share
     * @param othersMovedPercent of the entries the remaining backends held, those that changed
     *                       backend when one was removed (mean over each leaving; issue 3: at
     *                       most 1% of the other backends' flows may move)
     * @param othersMovedWorstPercent the same for the backend whose leaving moved the most
     */
    record Figures(int backends, int m, double removedPercent, double addedPercent, double idealPercent,
                   double othersMovedPercent, double othersMovedWorstPercent) {
    }

    /** Issue 3: removing one backend moves at most this share of the other backends' flows. */
    static final double OTHERS_MOVED_TARGET_PERCENT = 1.0;

    private MaglevDisruption() {
    }

    /** Returns: the disruption of removing (each in turn) and of adding one backend to {@code backends} (equal weights). */
    static Figures measure(int backends, int m) {
        int[] before = build(allBut(backends, -1), m);
        double removedSum = 0;
        double othersMovedSum = 0;
        double othersMovedWorst = 0;
        for (int leaving = 0; leaving < backends; leaving++) {
            int[] removed = build(allBut(backends, leaving), m);
            int removedId = leaving + 1; // build() numbers backend i as id i + 1
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
            double othersMovedPercent = 100.0 * othersMoved / others;
            removedSum += 100.0 * changed(before, removed) / m;
            othersMovedSum += othersMovedPercent;
            othersMovedWorst = Math.max(othersMovedWorst, othersMovedPercent);
        }
        int[] added = build(allBut(backends + 1, -1), m);
        return new Figures(backends, m, removedSum / backends, 100.0 * changed(before, added) / m, 100.0 / backends,
                othersMovedSum / backends, othersMovedWorst);
    }

    /** Returns: backend numbers 0..count-1 without {@code leaving} (-1: all of them). */
    private static int[] allBut(int count, int leaving) {
        int[] members = new int[leaving < 0 ? count : count - 1];
        for (int b = 0, k = 0; b < count; b++) {
            if (b != leaving) {
                members[k++] = b;
            }
        }
        return members;
    }

    /** Returns: the table of backends {@code members} (backend b: id b + 1, address BACKEND_BASE + b). */
    private static int[] build(int[] members, int m) {
        int count = members.length;
        int[] ids = new int[count];
        long[] keys = new long[count];
        int[] weights = new int[count];
        for (int i = 0; i < count; i++) {
            ids[i] = members[i] + 1;
            keys[i] = Maglev.backendKey(IpAddress.of4(BenchServices.BACKEND_BASE + members[i]), BenchServices.TARGET_PORT);
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
