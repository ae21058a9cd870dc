package dev.gingham.jmh.kubeproxy;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What does one Service change cost the node's dataplane when N services already exist? The
 * same models as {@link KubeProxyBenchmark}, in microseconds per change.
 *
 * <p>Per operation: one service (ClusterIP:80/TCP, 10 endpoints) is created when absent and
 * deleted when present, alternately, on a model holding {@code services} others, so the table
 * size stays N or N + 1 and the figure is the mean of a create and a delete:
 * <ul>
 *   <li>iptables: the whole rule array is rebuilt (kube-proxy's iptables-restore of the
 *       ruleset; iptables-legacy replaces the whole table in the kernel);</li>
 *   <li>IPVS: one virtual service with its real servers linked into (or unlinked from) the
 *       service hash;</li>
 *   <li>nftables: one element of the {@code service-ips} verdict map with its chains;</li>
 *   <li>Gingham: {@code ServiceTable.upsert} or {@code ServiceTable.delete} (frontend, backend,
 *       rev-NAT and backend-list entries; for Maglev also the table build, M = 1021).</li>
 * </ul>
 * None of the kube-proxy models include kube-proxy's own work (watching the API server,
 * computing the change) or system calls: see each model's Javadoc.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx6g", "-XX:MaxDirectMemorySize=4g"})
public class KubeProxyUpdateBenchmark {
    @Param({"1000", "10000", "100000"})
    public int services;

    @Param({ServiceDataplanes.IPTABLES, ServiceDataplanes.IPVS, ServiceDataplanes.NFTABLES,
            ServiceDataplanes.GINGHAM_RANDOM, ServiceDataplanes.GINGHAM_MAGLEV})
    public String impl;

    private ServiceDataplane model;
    private int changed;
    private boolean present;

    @Setup(Level.Trial)
    public void setUp() {
        model = ServiceDataplanes.create(impl, services + 1);
        model.load(services);
        changed = services;
        present = false;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
    }

    @Benchmark
    public int update() {
        if (present) {
            if (!model.removeService(changed)) {
                throw new IllegalStateException(impl + ": service " + changed + " was not installed");
            }
        } else {
            model.addService(changed);
        }
        present = !present;
        return model.services();
    }
}
