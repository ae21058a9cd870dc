package dev.gingham.jmh.kubeproxy;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;

import java.util.SplittableRandom;

/**
 * New connections from pods to services, precomputed so a measured loop only copies a tuple:
 * each probe is a client pod (source address and port) opening a connection to a service drawn
 * uniformly from the installed ones, the assumption that every service carries traffic.
 * Under it the iptables model walks half of KUBE-SERVICES on average; skewed traffic to services
 * near the top of the chain would cost it less, to those near the end more.
 */
public final class ServiceTraffic {
    private final int[] service;
    private final int[] src;
    private final int[] srcPort;
    private final int mask;

    private ServiceTraffic(int probes) {
        service = new int[probes];
        src = new int[probes];
        srcPort = new int[probes];
        mask = probes - 1;
    }

    /**
     * Returns: {@code probes} connections (a power of two) to services {@code 0..services-1},
     * from a seeded generator (the same probes in every run).
     */
    public static ServiceTraffic uniform(int services, int probes, long seed) {
        if (Integer.bitCount(probes) != 1) {
            throw new IllegalArgumentException("probes " + probes + ": must be a power of two");
        }
        ServiceTraffic t = new ServiceTraffic(probes);
        SplittableRandom random = new SplittableRandom(seed);
        for (int p = 0; p < probes; p++) {
            t.service[p] = random.nextInt(services);
            t.src[p] = ServiceCatalog.client(random.nextInt(1 << 22));
            t.srcPort[p] = 32_768 + random.nextInt(28_000);
        }
        return t;
    }

    /**
     * Returns: a vector of {@code count} parsed TCP SYN frames (54 bytes, from a pod to the first
     * ClusterIP) in buffers of {@code pool}; {@link #write} then changes only their tuples, as a
     * parser would have filled them for each new connection.
     */
    public static FrameVector parsedSyns(BufferPool pool, int count) {
        FrameVector v = new FrameVector(pool);
        byte[] frame = PacketBuilder.tcp4("10.200.0.1", 40_000, "10.96.0.1", ServiceCatalog.SERVICE_PORT)
                .flags(PacketBuilder.SYN).build();
        Parser parser = new Parser();
        for (int i = 0; i < count; i++) {
            int index = PacketBuilder.load(v, 1, frame);
            if (parser.parse(v, index) != Verdict.CONTINUE) {
                throw new IllegalStateException("the SYN template does not parse");
            }
        }
        return v;
    }

    /** Writes probe {@code p} (taken modulo the probe count) into frame i's parsed tuple. */
    public void write(FrameVector v, int i, int p) {
        int k = p & mask;
        v.src4(i, src[k]);
        v.srcPort(i, srcPort[k]);
        v.dst4(i, ServiceCatalog.vip(service[k]));
        v.dstPort(i, ServiceCatalog.SERVICE_PORT);
    }

    /** Returns: the service probe p is addressed to. */
    public int service(int p) {
        return service[p & mask];
    }

    /** Returns: the number of probes. */
    public int size() {
        return mask + 1;
    }
}
