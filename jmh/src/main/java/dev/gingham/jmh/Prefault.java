package dev.gingham.jmh;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Makes the kernel supply every page of a fresh off-heap mapping before a measurement, so that
 * benchmarks inserting at random into a large new table measure the table, not page faults.
 *
 * <p>Each 4 KiB page gets one atomic add of zero to a long it holds: a real write (the page is
 * allocated, or copied from the shared zero page) that leaves the contents as they were. Why not
 * the plainer "store the byte just loaded": C2 removes a store of the value it has just loaded
 * from the same address, so once the loop was compiled it only read, every page stayed mapped to
 * the huge zero page, and the first writes inside the measurement took the faults (seen as
 * iterations of 0.6-1.5 ms per packet instead of 0.5 µs in {@code NewFlowBenchmark}).
 */
public final class Prefault {
    private static final long PAGE = 4096;
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle().withInvokeExactBehavior();

    private Prefault() {
    }

    /** Writes every page of {@code segment} (8-byte aligned) without changing its contents. */
    public static void pages(MemorySegment segment) {
        long size = segment.byteSize();
        for (long offset = 0; offset + Long.BYTES <= size; offset += PAGE) {
            long ignored = (long) LONG.getAndAdd(segment, offset, 0L);
        }
    }
}
