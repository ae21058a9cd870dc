package dev.gingham.jmh.conntrack;

import dev.gingham.conntrack.CtConfig;
import dev.gingham.conntrack.CtResult;
import dev.gingham.conntrack.CtStatus;
import dev.gingham.conntrack.CtTable;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What does conntrack cost an established TCP packet, and how does it change from a lightly
 * used table to a large one? (Issue target: &le; 100 ns per packet at 1M entries.)
 *
 * <p>Two ways of looking a vector up, measured side by side:
 * <ul>
 *   <li>{@link #lookupAndAccountPrefetched} is how programs use the table: the tuples of all
 *       {@value #BATCH} frames are written first, then {@link CtTable#prefetch} hashes them and
 *       touches their slots in one tight loop (the cache misses of the vector overlap), then
 *       each frame gets {@link CtTable#lookup(FrameVector, int, long, CtResult)} with its hash
 *       and {@link CtTable#account(FrameVector, int, long, CtResult)};</li>
 *   <li>{@link #lookupAndAccount} is the frame-by-frame baseline: each frame's tuple, lookup
 *       and account in turn, so each lookup waits for its own miss.</li>
 * </ul>
 * Per frame: its flow tuple metadata ({@link FrameVector#src4}, {@code dst4}, {@code srcPort},
 * {@code dstPort}: four array stores) from a precomputed probe; the lookup finds the entry under
 * the frame's own tuple (ESTABLISHED); account adds the counters (plain adds: see
 * {@code CtEntry}), leaves the TCP state as it is (ACK on an established flow) and moves the
 * expiry at most once per second. The {@value #BATCH} frames are parsed TCP ACK frames
 * (PacketBuilder, parsed once in setup); only their tuple metadata changes, so no re-parse is
 * measured. Probes pick flows uniformly at random (every lookup a likely cache miss at 1M
 * entries); the statuses and state words are summed and returned.
 *
 * <p>The table holds {@code entries} TCP flows created in setup through
 * {@link CtTable#create(FrameVector, int, long, CtResult)}. Its capacity is Cilium's default
 * (524,288 TCP entries) or {@code entries} when larger, so the 10k case is a lightly loaded
 * default-size table and the 1M case a table sized for exactly 1M (HashMap slots are
 * capacity / 0.7 rounded up to a power of two: load 0.48 at 1M).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx2g", "-XX:MaxDirectMemorySize=4g"})
public class ConntrackBenchmark {
    static final int BATCH = FrameVector.MAX_FRAMES;
    private static final int PROBES = 1 << 16;

    @Param({"10000", "1000000"})
    public int entries;

    private BufferPool pool;
    private FrameVector vector;
    private CtTable table;
    private final CtResult result = new CtResult();
    private int[] src;
    private int[] dst;
    private int[] srcPort;
    private int[] dstPort;
    private int cursor;
    private long nowNs = 1_000_000_000L;

    /** Flow k's tuple: source 10.0.0.0 + k (unique), destination 10.96.0.1 + k % 1000, ports varied. */
    static int flowSrc(int k) {
        return 0x0A00_0000 + k;
    }

    static int flowDst(int k) {
        return 0x0A60_0001 + k % 1000;
    }

    static int flowSrcPort(int k) {
        return 1024 + k % 60_000;
    }

    static int flowDstPort(int k) {
        return 80 + k % 7;
    }

    @Setup(Level.Trial)
    public void setUp() {
        if (entries >= 1 << 24) {
            throw new IllegalArgumentException("entries " + entries + ": flow sources are 10.0.0.0/8");
        }
        pool = BufferPool.allocate(FrameVector.MAX_FRAMES, BufferPool.DEFAULT_BUFFER_SIZE);
        vector = new FrameVector(pool);
        Parser parser = new Parser();
        byte[] frame = PacketBuilder.tcp4("10.0.0.1", 40000, "10.96.0.1", 80).flags(PacketBuilder.ACK).payload(64).build();
        for (int i = 0; i < BATCH; i++) {
            int index = PacketBuilder.load(vector, 1, frame);
            if (parser.parse(vector, index) != Verdict.CONTINUE) {
                throw new IllegalStateException("frame does not parse");
            }
        }
        int capacity = Math.max(entries, CtConfig.DEFAULT_TCP_MAX_ENTRIES);
        table = CtTable.create(CtConfig.defaults().withMaxEntries(capacity, 1024), 7L);
        for (int k = 0; k < entries; k++) {
            setTuple(0, flowSrc(k), flowDst(k), flowSrcPort(k), flowDstPort(k));
            long offset = table.create(vector, 0, nowNs, result);
            if (offset < 0 || !result.created()) {
                throw new IllegalStateException("prefill create " + k + " failed: " + offset);
            }
        }
        SplittableRandom random = new SplittableRandom(42);
        src = new int[PROBES];
        dst = new int[PROBES];
        srcPort = new int[PROBES];
        dstPort = new int[PROBES];
        for (int p = 0; p < PROBES; p++) {
            int k = random.nextInt(entries);
            src[p] = flowSrc(k);
            dst[p] = flowDst(k);
            srcPort[p] = flowSrcPort(k);
            dstPort[p] = flowDstPort(k);
            setTuple(0, src[p], dst[p], srcPort[p], dstPort[p]);
            if (table.lookup(vector, 0, result) != CtStatus.ESTABLISHED) {
                throw new IllegalStateException("probe " + p + " misses");
            }
        }
    }

    private void setTuple(int i, int s, int d, int sp, int dp) {
        vector.src4(i, s);
        vector.dst4(i, d);
        vector.srcPort(i, sp);
        vector.dstPort(i, dp);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        table.close();
        vector.releaseAll();
        pool.close();
    }

    private final long[] hashes = new long[BATCH];

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long lookupAndAccountPrefetched() {
        long sum = 0;
        int c = cursor;
        long now = nowNs += 1_000;
        FrameVector v = vector;
        CtResult r = result;
        for (int i = 0; i < BATCH; i++) {
            int p = c++ & (PROBES - 1);
            v.src4(i, src[p]);
            v.dst4(i, dst[p]);
            v.srcPort(i, srcPort[p]);
            v.dstPort(i, dstPort[p]);
        }
        table.prefetch(v, 0, BATCH, hashes, r);
        for (int i = 0; i < BATCH; i++) {
            int status = table.lookup(v, i, hashes[i], r);
            sum += status;
            if (status == CtStatus.ESTABLISHED || status == CtStatus.REPLY) {
                sum += table.account(v, i, now, r);
            }
        }
        cursor = c;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long lookupAndAccount() {
        long sum = 0;
        int c = cursor;
        long now = nowNs += 1_000;
        FrameVector v = vector;
        CtResult r = result;
        for (int i = 0; i < BATCH; i++) {
            int p = c++ & (PROBES - 1);
            v.src4(i, src[p]);
            v.dst4(i, dst[p]);
            v.srcPort(i, srcPort[p]);
            v.dstPort(i, dstPort[p]);
            int status = table.lookup(v, i, r);
            sum += status;
            if (status == CtStatus.ESTABLISHED || status == CtStatus.REPLY) {
                sum += table.account(v, i, now, r);
            }
        }
        cursor = c;
        return sum;
    }
}
