package dev.gingham.jmh.kubeproxy;

import dev.gingham.jmh.nat.BenchServices;

/**
 * The cluster every model of the kube-proxy comparison serves, so they all answer the same
 * question: service {@code s} is ClusterIP {@link #vip(int)}, TCP port {@value #SERVICE_PORT},
 * with {@value #BACKENDS} ready endpoints {@link #backend(int, int)} on port {@value #TARGET_PORT}
 * (the addresses of {@link BenchServices}, which Gingham's own service benchmarks use).
 *
 * <p>Pods (clients and endpoints) live in the cluster CIDR {@code 10.128.0.0/9}; kube-proxy
 * marks traffic from outside it for masquerade, and every model evaluates that check as the
 * real rules do. The node's own address is {@link #NODE_IP} (the NodePort rule of the iptables
 * model matches it).
 */
public final class ServiceCatalog {
    /** Endpoints per service (the 10). */
    public static final int BACKENDS = 10;
    public static final int SERVICE_PORT = BenchServices.SERVICE_PORT;
    public static final int TARGET_PORT = BenchServices.TARGET_PORT;
    public static final int TCP = 6;
    /** 10.128.0.0/9: where pods live (BenchServices' backends, and the clients). */
    public static final int CLUSTER_CIDR = 0x0A80_0000;
    public static final int CLUSTER_CIDR_MASK = 0xFF80_0000;
    /** 192.168.0.10: the node (iptables' {@code --dst-type LOCAL}). */
    public static final int NODE_IP = 0xC0A8_000A;
    /** The largest service count the comparison runs (the 100k) plus one for the update benchmark. */
    public static final int MAX_SERVICES = BenchServices.MAX_SERVICES + 1;

    private ServiceCatalog() {
    }

    /** Returns: the ClusterIP of service s (10.96.0.1 + s). */
    public static int vip(int s) {
        return BenchServices.vip(s);
    }

    /** Returns: the address of endpoint b of service s. */
    public static int backend(int s, int b) {
        return BenchServices.backend(s, BACKENDS, b);
    }

    /** Returns: which endpoint of service s {@code address} is (0..BACKENDS-1), or -1 when it is none of them. */
    public static int endpointIndex(int s, int address) {
        long e = Integer.toUnsignedLong(address) - Integer.toUnsignedLong(backend(s, 0));
        return e >= 0 && e < BACKENDS ? (int) e : -1;
    }

    /** Returns: the service whose ClusterIP is {@code vip}, or -1 when it is not one of the catalog's. */
    public static int serviceOf(int vip) {
        long s = Integer.toUnsignedLong(vip) - Integer.toUnsignedLong(BenchServices.VIP_BASE);
        return s >= 0 && s < MAX_SERVICES ? (int) s : -1;
    }

    /** Returns: a client pod address inside the cluster CIDR (10.200.0.0 + k, k below 2^22). */
    public static int client(int k) {
        return 0x0AC8_0000 + (k & 0x3F_FFFF);
    }

    /** Returns: true when the address is inside the cluster CIDR (no masquerade needed). */
    public static boolean inCluster(int address) {
        return (address & CLUSTER_CIDR_MASK) == CLUSTER_CIDR;
    }
}
