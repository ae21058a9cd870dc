package dev.gingham.dataplane.fuzz;

import dev.gingham.packet.Cidr;
import dev.gingham.packet.header.EthernetHeader;
import dev.gingham.packet.header.Ipv4Header;

import java.lang.foreign.MemorySegment;

/**
 * Floods of new flows: frame {@code index} opens flow number {@code index}, a TCP SYN (with an MSS
 * option) or a UDP datagram whose 5-tuple no earlier frame used, until {@link #flows()} tuples
 * are exhausted and the sequence repeats. Aimed by its {@link Spec}: sources in pod prefixes and
 * destinations in a service prefix fill conntrack and the service tables; destinations outside
 * the cluster exhaust the SNAT port pools. Frames are valid (checksums right), so every one reaches
 * the state-creating slow path.
 *
 * <p>Tuple of flow {@code n}: the source port varies fastest (1024..65535), then the source host,
 * then the destination host, then the destination port. Allocation-free; one instance per thread.
 */
public final class FlowFlood implements FrameSource {
    public static final int TCP = 6;
    public static final int UDP = 17;
    /** Source ports used: the unprivileged range, 64,512 of them. */
    public static final int FIRST_SOURCE_PORT = 1024;
    public static final int SOURCE_PORTS = 65_536 - FIRST_SOURCE_PORT;
    private static final int MAX_HOSTS = 1 << 30;

    /**
     * What to flood.
     *
     * @param sources      source prefix (pods), the same family as {@code destinations}
     * @param destinations destination prefix (a service CIDR, an external range, or one /32)
     * @param firstDstPort first destination port
     * @param lastDstPort  last destination port (inclusive)
     * @param protocol     {@link #TCP} or {@link #UDP}
     * @param srcMac       source MAC (a pod's, to pass anti-spoofing)
     * @param dstMac       destination MAC (the gateway's)
     */
    public record Spec(Cidr sources, Cidr destinations, int firstDstPort, int lastDstPort, int protocol, long srcMac,
                       long dstMac) {
        public Spec {
            if (sources.ipv4() != destinations.ipv4()) {
                throw new IllegalArgumentException("flood sources " + sources + " and destinations " + destinations
                        + " are of different families");
            }
            if (firstDstPort < 0 || lastDstPort > 65535 || firstDstPort > lastDstPort) {
                throw new IllegalArgumentException("flood destination ports " + firstDstPort + ".." + lastDstPort
                        + " are not a range within 0..65535");
            }
            if (protocol != TCP && protocol != UDP) {
                throw new IllegalArgumentException("flood protocol " + protocol + " is neither TCP (6) nor UDP (17)");
            }
        }
    }

    private final Spec spec;
    private final Cidr sources;
    private final Cidr destinations;
    private final FrameWriter writer = new FrameWriter();
    private final long sourceHosts;
    private final long destinationHosts;
    private final int destinationPorts;

    public FlowFlood(Spec spec) {
        this.spec = spec;
        this.sources = spec.sources().masked();
        this.destinations = spec.destinations().masked();
        this.sourceHosts = hosts(spec.sources());
        this.destinationHosts = hosts(spec.destinations());
        this.destinationPorts = spec.lastDstPort() - spec.firstDstPort() + 1;
    }

    /** Returns: usable hosts of a prefix (network and broadcast addresses left out below /31), at most 2^30. */
    private static long hosts(Cidr prefix) {
        int hostBits = (prefix.ipv4() ? 32 : 128) - prefix.prefixLength();
        if (hostBits >= 30) {
            return MAX_HOSTS;
        }
        long all = 1L << hostBits;
        return hostBits >= 2 ? all - 2 : all;
    }

    /** Returns: the host's offset from the network address (skipping the network address when the prefix has one). */
    private static long hostOffset(Cidr prefix, long host) {
        int hostBits = (prefix.ipv4() ? 32 : 128) - prefix.prefixLength();
        return hostBits >= 2 ? host + 1 : host;
    }

    /** Returns: how many distinct flows the spec allows before tuples repeat. */
    public long flows() {
        long a = SOURCE_PORTS * sourceHosts;
        long b = destinationHosts * destinationPorts;
        long product = a * b;
        return Math.multiplyHigh(a, b) != 0 || product < 0 ? Long.MAX_VALUE : product;
    }

    /** Returns: the source port of flow {@code index}. */
    public static int sourcePort(long index) {
        return FIRST_SOURCE_PORT + (int) Long.remainderUnsigned(index, SOURCE_PORTS);
    }

    @Override
    public int write(long index, MemorySegment segment, long offset, int capacity) {
        long n = Long.remainderUnsigned(index, flows());
        int srcPort = FIRST_SOURCE_PORT + (int) (n % SOURCE_PORTS);
        n /= SOURCE_PORTS;
        long srcHost = hostOffset(spec.sources(), n % sourceHosts);
        n /= sourceHosts;
        long dstHost = hostOffset(spec.destinations(), n % destinationHosts);
        n /= destinationHosts;
        int dstPort = spec.firstDstPort() + (int) (n % destinationPorts);
        Cidr src = sources;
        Cidr dst = destinations;
        writer.begin(segment, offset, capacity);
        if (src.ipv4()) {
            writer.ethernet(spec.dstMac(), spec.srcMac(), EthernetHeader.ETHER_TYPE_IPV4);
            writer.ipv4(0, (int) index, Ipv4Header.FLAG_DF, 64, spec.protocol(), src.v4() + (int) srcHost,
                    dst.v4() + (int) dstHost, 0);
        } else {
            writer.ethernet(spec.dstMac(), spec.srcMac(), EthernetHeader.ETHER_TYPE_IPV6);
            writer.ipv6(0, (int) index & 0xF_FFFF, spec.protocol(), 64, src.hi(), src.lo() + srcHost, dst.hi(),
                    dst.lo() + dstHost);
        }
        if (spec.protocol() == TCP) {
            writer.tcp(srcPort, dstPort, (int) FuzzRandom.mix(index), 0, 0x02, 64_240, 1);
            writer.u32(writer.start(writer.layers() - 1) + 20, 0x0204_05B4); // MSS 1460
        } else {
            writer.udp(srcPort, dstPort);
            int at = writer.append(16);
            writer.u64(at, index);
            writer.u64(at + 8, FuzzRandom.mix(index));
        }
        writer.finish();
        return writer.length();
    }
}
