package dev.gingham.dataplane.nodebench;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * What the garbage collector did during a window, and who allocated: each collector's
 * collections and accumulated collection time (GarbageCollectorMXBeans, read before and after),
 * the bytes the watched threads (the daemon's workers) allocated, and the bytes the whole JVM
 * allocated ({@code com.sun.management.ThreadMXBean}). A worker that allocates nothing per frame
 * shows 0 bytes however many frames it carried; a collection in the window would have a cause
 * elsewhere in the process, and the JVM total says how much there was.
 */
final class GcProbe {
    private final List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
    private final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private final long[] threadIds;
    private final long[] countsBefore;
    private final long[] timesBefore;
    private final long[] threadBytesBefore;
    private final long jvmBytesBefore;

    private GcProbe(List<Thread> watched) {
        threadIds = watched.stream().mapToLong(Thread::threadId).toArray();
        countsBefore = new long[collectors.size()];
        timesBefore = new long[collectors.size()];
        for (int c = 0; c < collectors.size(); c++) {
            countsBefore[c] = collectors.get(c).getCollectionCount();
            timesBefore[c] = collectors.get(c).getCollectionTime();
        }
        threadBytesBefore = threads.getThreadAllocatedBytes(threadIds);
        jvmBytesBefore = threads.getTotalThreadAllocatedBytes();
    }

    /** Starts a window; {@code watched} are the threads whose allocation is reported on its own. */
    static GcProbe start(List<Thread> watched) {
        return new GcProbe(watched);
    }

    /** Returns: the platform threads whose name starts with {@code prefix} (the daemon's workers). */
    static List<Thread> threadsNamed(String prefix) {
        List<Thread> found = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(prefix)) {
                found.add(t);
            }
        }
        return found;
    }

    /** Returns: bytes the watched threads allocated since the window opened (any thread may ask). */
    long watchedAllocatedBytes() {
        long bytes = 0;
        long[] now = threads.getThreadAllocatedBytes(threadIds);
        for (int t = 0; t < threadIds.length; t++) {
            bytes += Math.max(0, now[t] - threadBytesBefore[t]);
        }
        return bytes;
    }

    /**
     * Ends the window.
     *
     * @param perSecond bytes the watched threads allocated in each second of the window (warm-up shows first)
     */
    NodeBenchResult.Gc finish(double seconds, long frames, String traffic, List<Long> perSecond) {
        long threadBytes = watchedAllocatedBytes();
        long jvmBytes = threads.getTotalThreadAllocatedBytes() - jvmBytesBefore;
        List<NodeBenchResult.Collector> perCollector = new ArrayList<>();
        long collections = 0;
        long timeMs = 0;
        for (int c = 0; c < collectors.size(); c++) {
            long count = collectors.get(c).getCollectionCount() - countsBefore[c];
            long ms = collectors.get(c).getCollectionTime() - timesBefore[c];
            perCollector.add(new NodeBenchResult.Collector(collectors.get(c).getName(), count, ms));
            collections += count;
            timeMs += ms;
        }
        return new NodeBenchResult.Gc(seconds, traffic, frames, collections, timeMs, perCollector, threadIds.length, threadBytes,
                List.copyOf(perSecond), jvmBytes, 0, collections == 0);
    }
}
