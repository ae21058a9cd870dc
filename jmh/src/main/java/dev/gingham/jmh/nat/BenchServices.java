package dev.gingham.jmh.nat;

import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.Algorithm;
import dev.gingham.nat.lb.BackendState;
import dev.gingham.nat.lb.L4Protocol;
import dev.gingham.nat.lb.LbConfig;
import dev.gingham.nat.lb.ServiceSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * Service fixtures shared by the load-balancer benchmarks and the kube-proxy comparison
 * ({@code dev.gingham.jmh.kubeproxy}): ClusterIP services on one TCP port with active, weight-1
 * backends, at deterministic addresses (setup only; nothing here runs in a measured method).
 */
public final class BenchServices {
    /** The largest service count the benchmarks size their maps for (the 100k). */
    public static final int MAX_SERVICES = 100_000;
    public static final int SERVICE_PORT = 80;
    /** The namespace every benchmark service lives in; service s is named {@code svc-s}. */
    public static final String NAMESPACE = "bench";
    public static final int TARGET_PORT = 8080;
    /** ClusterIPs are 10.96.0.0 + 1 + s. */
    public static final int VIP_BASE = 0x0A60_0001;
    /** Backend b of service s is 10.128.0.0 + 1 + s * backends + b. */
    public static final int BACKEND_BASE = 0x0A80_0001;

    private BenchServices() {
    }

    /** Returns: ClusterIP of service s as an IPv4 int. */
    public static int vip(int s) {
        return VIP_BASE + s;
    }

    /**
     * Returns: an LbConfig with capacity for {@code services} ClusterIP services of
     * {@code backendsPerService} backends each, {@code maglevTables} Maglev tables of size M.
     */
    public static LbConfig config(int services, int backendsPerService, int maglevTables, int maglevTableSize) {
        return new LbConfig(List.of(), 30_000, 32_767, services, services, services * backendsPerService,
                backendsPerService, Math.max(1, maglevTables), maglevTableSize, 1024, 1);
    }

    /** Returns: the address of backend b of service s (a pod address, as an IPv4 int). */
    public static int backend(int s, int backends, int b) {
        return BACKEND_BASE + s * backends + b;
    }

    /** Returns: the name of service s. */
    public static String name(int s) {
        return "svc-" + s;
    }

    /** Returns: service s: ClusterIP vip(s):80/TCP, {@code backends} active backends on 8080. */
    public static ServiceSpec clusterIp(int s, int backends, Algorithm algorithm) {
        List<ServiceSpec.Backend> list = new ArrayList<>(backends);
        for (int b = 0; b < backends; b++) {
            list.add(new ServiceSpec.Backend("", IpAddress.of4(backend(s, backends, b)), TARGET_PORT,
                    BackendState.ACTIVE, 1, false, 0));
        }
        return new ServiceSpec(NAMESPACE, name(s), ServiceSpec.Type.CLUSTER_IP, List.of(IpAddress.of4(vip(s))),
                List.of(), List.of(), List.of(new ServiceSpec.Port("", L4Protocol.TCP, SERVICE_PORT, 0)),
                algorithm, 0, ServiceSpec.TrafficPolicy.CLUSTER, ServiceSpec.TrafficPolicy.CLUSTER,
                ServiceSpec.NoBackendAction.REJECT, list);
    }
}
