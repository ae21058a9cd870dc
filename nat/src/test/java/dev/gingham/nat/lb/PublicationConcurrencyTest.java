package dev.gingham.nat.lb;

import dev.gingham.nat.IpAddress;

import static dev.gingham.nat.lb.LbTestSupport.TCP;
import static dev.gingham.nat.lb.LbTestSupport.backends;
import static dev.gingham.nat.lb.LbTestSupport.ip;
import static dev.gingham.nat.lb.LbTestSupport.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A worker reading while the control thread publishes never sees a mix of two backend sets
 * (DESIGN.md §4): the generation flip of {@link BackendLists} is the only switch.
 */
class PublicationConcurrencyTest {
    private static final int[] SET_A = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    private static final int[] SET_B = {101, 102, 103, 104, 105, 106, 107};

    @Test
    void shouldNeverShowAReaderAMixOfOldAndNewBackendSets() throws Exception {
        try (LbMaps maps = LbMaps.create(LbTestSupport.config(), 1L)) {
            BackendLists lists = maps.lists();
            int[] weightsA = new int[SET_A.length];
            Arrays.fill(weightsA, 1);
            int[] weightsB = new int[SET_B.length];
            Arrays.fill(weightsB, 2);
            publish(lists, SET_A, weightsA);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<String> failure = new AtomicReference<>();
            AtomicLong reads = new AtomicLong();
            Thread reader = new Thread(() -> {
                int[] out = new int[16];
                while (!stop.get() && failure.get() == null) {
                    int n = lists.snapshot(5, out);
                    int[] got = Arrays.copyOf(out, n);
                    if (!Arrays.equals(got, SET_A) && !Arrays.equals(got, SET_B)) {
                        failure.set("mixed set " + Arrays.toString(got));
                    }
                    reads.incrementAndGet();
                }
            });
            reader.start();
            for (int i = 0; i < 200_000 && failure.get() == null; i++) {
                if ((i & 1) == 0) {
                    publish(lists, SET_B, weightsB);
                } else {
                    publish(lists, SET_A, weightsA);
                }
            }
            stop.set(true);
            reader.join();
            assertEquals(null, failure.get());
            assertTrue(reads.get() > 0);
        }
    }

    private static void publish(BackendLists lists, int[] ids, int[] weights) {
        int half = lists.beginWrite(5);
        lists.writeHalf(5, half, ids.length, Algorithm.RANDOM.code(), 0, 0, BackendLists.NO_MAGLEV, 2, ids, weights);
        lists.publish(5);
    }

    @Test
    void shouldAlwaysSelectABackendOfOneSetWhileServiceTableSwitchesSets() throws Exception {
        try (LbMaps maps = LbMaps.create(LbTestSupport.config(), 1L)) {
            ServiceTable table = new ServiceTable(maps);
            table.upsert(spec().algorithm(Algorithm.MAGLEV).backends(backends(1, 10)).build());
            IpAddress vip = ip("10.96.0.10");
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<String> failure = new AtomicReference<>();
            Thread reader = new Thread(() -> {
                ServiceLookup lookup = new ServiceLookup(maps, 0);
                long f = lookup.frontend(vip.hi(), vip.lo(), 80, TCP, Scope.EXTERNAL);
                int[] out = new int[64];
                for (long flow = 0; !stop.get() && failure.get() == null; flow++) {
                    int id = lookup.selectBackend(f, flow, 0, 0, 0);
                    if (id <= 0) {
                        failure.set("verdict " + id + " during a switch");
                    }
                    int n = lookup.backends(f, out);
                    if (n != 10 && n != 7) {
                        failure.set("set of " + n);
                    }
                    // One upsert takes its new ids from the FIFO allocator in a row (wrapping at
                    // maxBackends), so a whole set is a run of consecutive ids; a mix is not.
                    for (int i = 1; i < n; i++) {
                        if (Math.floorMod(out[i] - out[i - 1], maps.config().maxBackends()) != 1) {
                            failure.set("mixed ids " + Arrays.toString(Arrays.copyOf(out, n)));
                        }
                    }
                }
            });
            reader.start();
            for (int i = 0; i < 2000 && failure.get() == null; i++) {
                table.upsert(spec().algorithm(Algorithm.MAGLEV).backends(backends((i & 1) == 0 ? 2 : 1, (i & 1) == 0 ? 7 : 10)).build());
            }
            stop.set(true);
            reader.join();
            assertEquals(null, failure.get());
        }
    }
}
