package dev.gingham.jmh.kubeproxy;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
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

import java.util.concurrent.TimeUnit;

/**
 * What does it cost to send a new connection to one of N services, kube-proxy style or
 * Gingham style? The iptables, IPVS and nftables models ({@link IptablesModel},
 * {@link IpvsModel}, {@link NftablesModel}) and Gingham's service maps with random and Maglev
 * selection ({@link GinghamModel}) are measured in the same run with the same services values,
 * in ns per packet.
 *
 * <p>Per operation: one new connection from a pod to a service drawn uniformly from the
 * {@code services} installed (10 endpoints each, see {@link ServiceTraffic}). Each invocation
 * writes the tuples of {@value #BATCH} connections into the metadata of a vector of parsed TCP
 * SYNs (four stores per frame, the same for every implementation and included in the figure),
 * then asks the model for each frame's backend; the backends are summed and returned. Setup
 * checks the first {@value #CHECKED_PROBES} probes' answers: an endpoint of the probe's own service on the target port.
 *
 * <p>It is the cost of the service step of a connection's first packet: in the kernel, the nat
 * rules (iptables, nftables) and IPVS scheduling run for new connections only; later packets
 * follow conntrack (or IPVS's connection table). Gingham's service program looks the frontend up
 * for every packet and its service conntrack entry decides the backend of later ones.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx4g", "-XX:MaxDirectMemorySize=4g"})
public class KubeProxyBenchmark {
    static final int BATCH = FrameVector.MAX_FRAMES;
    private static final int PROBES = 1 << 16;
    /** Probes whose answer setup checks (all of them would take seconds with 100k iptables services). */
    private static final int CHECKED_PROBES = 1 << 10;

    @Param({"1", "10", "100", "1000", "10000", "100000"})
    public int services;

    @Param({ServiceDataplanes.IPTABLES, ServiceDataplanes.IPVS, ServiceDataplanes.NFTABLES,
            ServiceDataplanes.GINGHAM_RANDOM, ServiceDataplanes.GINGHAM_MAGLEV})
    public String impl;

    private BufferPool pool;
    private FrameVector vector;
    private ServiceDataplane model;
    private ServiceTraffic traffic;
    private int cursor;

    @Setup(Level.Trial)
    public void setUp() {
        pool = BufferPool.allocate(FrameVector.MAX_FRAMES, BufferPool.DEFAULT_BUFFER_SIZE);
        vector = ServiceTraffic.parsedSyns(pool, BATCH);
        model = ServiceDataplanes.create(impl, services);
        model.load(services);
        traffic = ServiceTraffic.uniform(services, PROBES, 42);
        for (int p = 0; p < CHECKED_PROBES; p++) {
            traffic.write(vector, 0, p);
            long backend = model.select(vector, 0);
            int s = traffic.service(p);
            if (backend == ServiceDataplane.NO_SERVICE
                    || ServiceCatalog.endpointIndex(s, ServiceDataplane.backendAddress(backend)) < 0
                    || ServiceDataplane.backendPort(backend) != ServiceCatalog.TARGET_PORT) {
                throw new IllegalStateException(impl + ": probe " + p + " to service " + s + " got backend " + backend);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
        vector.releaseAll();
        pool.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long selectBackend() {
        FrameVector v = vector;
        ServiceTraffic t = traffic;
        ServiceDataplane m = model;
        int c = cursor;
        for (int i = 0; i < BATCH; i++) {
            t.write(v, i, c + i);
        }
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            sum += m.select(v, i);
        }
        cursor = c + BATCH;
        return sum;
    }
}
