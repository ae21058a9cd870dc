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
 * (Issue target: T(max services) / T(1 service) &le; 1.5.)
 *
 * <p>Per operation: {@link ServiceLookup#frontend} for a ClusterIP:80/TCP from a pod
 * ({@code Scope.INTERNAL}), then {@link ServiceLookup#selectBackend} with the flow's hash, for a
 * service drawn uniformly at random from a precomputed array of {@value #PROBES} probes (VIP,
 * flow hash, client address); the flow hash is precomputed, so {@code FlowHash.of} is not in
 * the figure (NewFlowBenchmark includes it). Each invocation runs {@value #BATCH} independent
 * operations, as a worker's vector loop does; the backend ids are summed and returned.
 *
 * <p>Services are created through {@link ServiceTable#upsert} (10 active backends each, one TCP
 * port) on {@link LbMaps#create} maps whose service, frontend and backend capacities are the
 * same for every {@code services} value, so only occupancy changes between parameters.
 *
 * <p><b>The issue asks for 100,000 services; that cannot be configured:</b> {@link LbConfig}
 * caps {@code maxServices} at 32,767 (each service port owns backend lists 2p and 2p+1) and
 * {@code maxFrontends} at 65,535 (the rev-NAT index is a u16). The largest point is therefore
 * {@value BenchServices#MAX_SERVICES}, the most the data path can hold. Maglev runs at every size:
 * one table (M = 16381, double-buffered) is 128 KiB off-heap, so 32,767 Maglev services need
 * about 4.3 GB of native memory (the fork allows 8 GB of direct memory) and a setup of tens of
 * seconds (one Maglev build per service). On a machine with less memory, restrict the run with
 * {@code -p algorithm=random} or {@code -p services=1,1000,10000}.
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

    @Param({"1", "1000", "10000", "32767"})
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
            throw new IllegalArgumentException("services " + services + ": must be 1.." + BenchServices.MAX_SERVICES
                    + " (LbConfig.maxServices cap)");
        }
        Algorithm algo = switch (algorithm) {
            case "random" -> Algorithm.RANDOM;
            case "maglev" -> Algorithm.MAGLEV;
            default -> throw new IllegalArgumentException(algorithm);
        };
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
