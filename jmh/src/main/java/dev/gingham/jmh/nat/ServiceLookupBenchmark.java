package dev.gingham.jmh.nat;

import dev.gingham.nat.lb.Algorithm;
import dev.gingham.nat.lb.L4Protocol;
import dev.gingham.nat.lb.LbConfig;
import dev.gingham.nat.lb.LbMaps;
import dev.gingham.nat.lb.ServiceLookup;
import dev.gingham.nat.lb.ServiceTable;
import dev.gingham.packet.MappedAddress;
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
 * Does the cost of picking a backend for a new flow stay flat as the number of services grows?
 * (Issue target: T(100k services) / T(1 service) &le; 1.5.)
 *
 * <p>Per operation: the frontend of a ClusterIP:80/TCP from a pod ({@code Scope.INTERNAL}), then
 * {@link ServiceLookup#selectBackend} with the flow's hash, for a service drawn uniformly at
 * random from a precomputed array of {@value #PROBES} probes (VIP, flow hash, client address);
 * the flow hash is precomputed, so {@code FlowHash.of} is not in the figure (NewFlowBenchmark
 * includes it). Each invocation handles {@value #BATCH} independent probes, one vector's worth,
 * in one of two ways:
 * <ul>
 *   <li>{@link #lookupAndSelectPrefetched}: how a vector program works; three passes over the
 *       batch: hash every destination and touch its frontend slot
 *       ({@link ServiceLookup#prefetchFrontend}); look the frontends up with those hashes; touch
 *       their backend lists ({@link ServiceLookup#prefetchBackends}); select. The cache
 *       misses of a pass overlap instead of queueing one after another;</li>
 *   <li>{@link #lookupAndSelect}: frame by frame, the baseline.</li>
 * </ul>
 * The backend ids are summed and returned.
 *
 * <p>Services are created through {@link ServiceTable#upsert} (10 active backends each, one TCP
 * port) on {@link LbMaps#create} maps whose service, frontend and backend capacities are the
 * same for every {@code services} value ({@value BenchServices#MAX_SERVICES}), so only occupancy
 * changes between parameters.
 *
 * <p><b>Maglev at 100k services</b> needs one table (M = 16381, double-buffered, 4-byte ids) per
 * service: about 13 GB. Run Maglev at up to 10k services
 * ({@code -p algorithm=maglev -p services=1,1000,10000}); setup refuses a Maglev run that would
 * not fit in half the machine's memory, with that advice.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx2g", "-XX:MaxDirectMemorySize=8g"})
public class ServiceLookupBenchmark {
    static final int BATCH = 256;
    static final int BACKENDS = 10;
    private static final int PROBES = 1 << 16;

    @Param({"1", "1000", "10000", "100000"})
    public int services;

    @Param({"random", "maglev"})
    public String algorithm;

    private LbMaps maps;
    private ServiceLookup lookup;
    private long[] vipLo;
    private long[] flowHash;
    private long[] clientLo;
    private int cursor;
    private long nowNs;

    @Setup(Level.Trial)
    public void setUp() {
        if (services < 1 || services > BenchServices.MAX_SERVICES) {
            throw new IllegalArgumentException("services " + services + ": must be 1.." + BenchServices.MAX_SERVICES);
        }
        Algorithm algo = switch (algorithm) {
            case "random" -> Algorithm.RANDOM;
            case "maglev" -> Algorithm.MAGLEV;
            default -> throw new IllegalArgumentException(algorithm);
        };
        long maglevBytes = algo == Algorithm.MAGLEV ? 2L * services * LbConfig.DEFAULT_MAGLEV_TABLE_SIZE * Integer.BYTES : 0;
        long memoryBytes = ((com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        if (maglevBytes > memoryBytes / 2) {
            throw new IllegalArgumentException("maglev with " + services + " services needs " + (maglevBytes >> 20)
                    + " MiB of Maglev tables, more than half of this machine's " + (memoryBytes >> 20)
                    + " MiB: run -p algorithm=maglev -p services=1,1000,10000");
        }
        // Capacity for the maximum number of services whatever the parameter; Maglev tables only as many as used.
        LbConfig config = BenchServices.config(BenchServices.MAX_SERVICES, BACKENDS,
                algo == Algorithm.MAGLEV ? services : 1, LbConfig.DEFAULT_MAGLEV_TABLE_SIZE);
        maps = LbMaps.create(config, 7L);
        ServiceTable table = new ServiceTable(maps);
        for (int s = 0; s < services; s++) {
            table.upsert(BenchServices.clusterIp(s, BACKENDS, algo));
        }
        lookup = new ServiceLookup(maps, 0);
        SplittableRandom random = new SplittableRandom(42);
        vipLo = new long[PROBES];
        flowHash = new long[PROBES];
        clientLo = new long[PROBES];
        for (int i = 0; i < PROBES; i++) {
            vipLo[i] = MappedAddress.lo4(BenchServices.vip(random.nextInt(services)));
            flowHash[i] = random.nextLong();
            clientLo[i] = MappedAddress.lo4(0x0A00_0000 | random.nextInt(1 << 20));
            long frontend = lookup.frontend(0, vipLo[i], BenchServices.SERVICE_PORT, L4Protocol.TCP_NUMBER,
                    dev.gingham.nat.lb.Scope.INTERNAL);
            int backend = lookup.selectBackend(frontend, flowHash[i], 0, clientLo[i], 0);
            if (frontend < 0 || backend <= 0) {
                throw new IllegalStateException("probe " + i + ": frontend " + frontend + " backend " + backend);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        maps.close();
    }

    private final long[] hashes = new long[BATCH];
    private final long[] found = new long[BATCH];

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long lookupAndSelectPrefetched() {
        long sum = 0;
        int c = cursor;
        long now = nowNs += 1_000;
        ServiceLookup l = lookup;
        for (int n = 0; n < BATCH; n++) {
            int p = (c + n) & (PROBES - 1);
            hashes[n] = l.prefetchFrontend(0, vipLo[p], BenchServices.SERVICE_PORT, L4Protocol.TCP_NUMBER);
        }
        for (int n = 0; n < BATCH; n++) {
            int p = (c + n) & (PROBES - 1);
            long frontend = l.frontend(0, vipLo[p], BenchServices.SERVICE_PORT, L4Protocol.TCP_NUMBER,
                    dev.gingham.nat.lb.Scope.INTERNAL, hashes[n]);
            found[n] = frontend;
        }
        l.prefetchBackends(found, 0, BATCH);
        for (int n = 0; n < BATCH; n++) {
            int p = (c + n) & (PROBES - 1);
            sum += l.selectBackend(found[n], flowHash[p], 0, clientLo[p], now);
        }
        cursor = c + BATCH;
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long lookupAndSelect() {
        long sum = 0;
        int c = cursor;
        long now = nowNs += 1_000;
        for (int n = 0; n < BATCH; n++) {
            int p = c++ & (PROBES - 1);
            long frontend = lookup.frontend(0, vipLo[p], BenchServices.SERVICE_PORT, L4Protocol.TCP_NUMBER,
                    dev.gingham.nat.lb.Scope.INTERNAL);
            sum += lookup.selectBackend(frontend, flowHash[p], 0, clientLo[p], now);
        }
        cursor = c;
        return sum;
    }
}
