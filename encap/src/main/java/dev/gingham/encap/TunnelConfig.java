package dev.gingham.encap;

import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.header.Addresses;
import dev.gingham.packet.header.GeneveHeader;
import dev.gingham.packet.header.VxlanHeader;

import java.util.ArrayList;
import java.util.List;

/**
 * The overlay part of the node configuration, immutable and validated as a whole: the
 * constructor collects every problem and throws one {@link IllegalArgumentException} naming each
 * bad field, so an operator fixes the file once. Build one with {@link #builder}.
 *
 * @param mode                   vxlan, geneve, ipip or native
 * @param underlayMtuBytes       MTU of the underlay interface; the pod MTU is this minus the
 *                               mode's overhead ({@link #podMtuBytes()})
 * @param underlayAddress        this node's underlay IPv4 address (big-endian int): outer source,
 *                               and the destination decapsulation accepts
 * @param underlayMac            MAC of the underlay interface: outer Ethernet source
 * @param underlayPort           the port (verdict TX argument) of the underlay interface
 * @param routerMac              the gateway MAC pods see: source MAC of frames delivered to pods
 * @param routerIpv4             the pods' IPv4 gateway: source of ICMP errors this node sends
 * @param routerIpv6Hi           bytes 0-7 of the pods' IPv6 gateway; both halves 0 when the node
 *                               has no IPv6 (too-big IPv6 packets are then dropped without an error)
 * @param routerIpv6Lo           bytes 8-15 of the pods' IPv6 gateway
 * @param vxlanPort              VXLAN UDP destination port (8472 Linux/flannel/Cilium, 4789 IANA)
 * @param vni                    VXLAN/Geneve network identifier sent and required on receipt
 *                               (ignored when {@code identityInVni})
 * @param identityInVni          carry the source security identity in the VNI, as Cilium does,
 *                               instead of a fixed VNI
 * @param outerUdpChecksum       compute the outer UDP checksum (RFC 7348 allows 0 over IPv4, the
 *                               default: the inner frame has its own checksums)
 * @param verifyOuterUdpChecksum verify a non-zero outer UDP checksum on receipt (as Linux's UDP
 *                               tunnel sockets do)
 * @param outerTtl               TTL of outer IPv4 headers
 * @param outerDf                DF bit of outer IPv4 headers
 * @param clampMss               clamp the MSS option of TCP SYN and SYN-ACK leaving through the
 *                               overlay to what the pod MTU allows
 * @param fragmentInner          fragment inner IPv4 packets larger than the pod MTU that allow it
 *                               (DF clear); when false they are dropped (FRAG_NOT_SUPPORTED)
 * @param icmpErrorsPerSecond    rate of ICMP fragmentation-needed / packet-too-big errors sent
 *                               (token bucket; 0 sends none); Linux's icmp_msgs_per_sec is 1000
 * @param icmpErrorBurst         bucket depth; Linux's icmp_msgs_burst is 50
 * @param udpGso                 send a pod's TCP GSO frame into a UDP tunnel (VXLAN, Geneve) as UDP GSO
 *                               datagrams ({@link UdpTunnelGso}) instead of cutting it into segments first;
 *                               the underlay must take virtio-net UDP_L4 GSO (an AF_PACKET socket on
 *                               Linux 6.2 or later)
 */
public record TunnelConfig(TunnelMode mode, int underlayMtuBytes, int underlayAddress, long underlayMac, int underlayPort,
                           long routerMac, int routerIpv4, long routerIpv6Hi, long routerIpv6Lo,
                           int vxlanPort, int vni, boolean identityInVni, boolean outerUdpChecksum,
                           boolean verifyOuterUdpChecksum, int outerTtl, OuterDf outerDf, boolean clampMss,
                           boolean fragmentInner, int icmpErrorsPerSecond, int icmpErrorBurst,
                           boolean udpGso) {
    /** The smallest MTU an IPv6 link may have (RFC 8200 §5): pods must get at least this. */
    public static final int MIN_POD_MTU_BYTES = 1280;
    public static final int MAX_MTU_BYTES = 65535;
    public static final int DEFAULT_UNDERLAY_MTU_BYTES = 1500;
    public static final int DEFAULT_VNI = 1;
    public static final int DEFAULT_TTL = 64;
    public static final int DEFAULT_ICMP_ERRORS_PER_SECOND = 1000;
    public static final int DEFAULT_ICMP_ERROR_BURST = 50;
    /** IPv4 and TCP headers without options: MSS = MTU - 40 (RFC 879). */
    public static final int IPV4_TCP_HEADERS_BYTES = 40;
    /** IPv6 and TCP headers without options: MSS = MTU - 60 (RFC 8200 §8.3). */
    public static final int IPV6_TCP_HEADERS_BYTES = 60;

    public TunnelConfig {
        List<String> errors = new ArrayList<>();
        if (mode == null) {
            errors.add("mode: required (vxlan, geneve, ipip or native)");
        } else if (underlayMtuBytes - mode.overheadBytes() < MIN_POD_MTU_BYTES || underlayMtuBytes > MAX_MTU_BYTES) {
            errors.add("underlayMtuBytes: " + underlayMtuBytes + " must be " + (MIN_POD_MTU_BYTES + mode.overheadBytes())
                    + ".." + MAX_MTU_BYTES + " in " + mode + " mode (" + mode.overheadBytes()
                    + " bytes of overhead, and pods need an MTU of at least " + MIN_POD_MTU_BYTES + " for IPv6)");
        }
        if (!unicast4(underlayAddress)) {
            errors.add("underlayAddress: " + Addresses.formatIpv4(underlayAddress) + " is not a unicast IPv4 address");
        }
        checkMac(errors, "underlayMac", underlayMac);
        checkMac(errors, "routerMac", routerMac);
        if (underlayPort < 0 || underlayPort > Verdict.MAX_PORT) {
            errors.add("underlayPort: " + underlayPort + " must be 0.." + Verdict.MAX_PORT);
        }
        if (!unicast4(routerIpv4)) {
            errors.add("routerIpv4: " + Addresses.formatIpv4(routerIpv4) + " is not a unicast IPv4 address");
        }
        if ((routerIpv6Hi != 0 || routerIpv6Lo != 0)
                && (MappedAddress.isIpv4(routerIpv6Hi, routerIpv6Lo) || (routerIpv6Hi >>> 56) == 0xFF)) {
            errors.add("routerIpv6: " + Addresses.formatIpv6(routerIpv6Hi, routerIpv6Lo)
                    + " must be a unicast IPv6 address (not multicast, not IPv4-mapped)");
        }
        if (vxlanPort < 1 || vxlanPort > 65535 || vxlanPort == GeneveHeader.PORT) {
            errors.add("vxlanPort: " + vxlanPort + " must be 1..65535 and not Geneve's " + GeneveHeader.PORT);
        }
        if (vni < 0 || vni > VxlanHeader.MAX_VNI) {
            errors.add("vni: " + vni + " must be 0.." + VxlanHeader.MAX_VNI + " (24 bits)");
        }
        if (outerTtl < 1 || outerTtl > 255) {
            errors.add("outerTtl: " + outerTtl + " must be 1..255");
        }
        if (outerDf == null) {
            errors.add("outerDf: required (unset, set or inherit)");
        }
        if (icmpErrorsPerSecond < 0 || icmpErrorsPerSecond > 1_000_000) {
            errors.add("icmpErrorsPerSecond: " + icmpErrorsPerSecond + " must be 0..1000000");
        }
        if (icmpErrorBurst < 1 || icmpErrorBurst > 1_000_000) {
            errors.add("icmpErrorBurst: " + icmpErrorBurst + " must be 1..1000000");
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("invalid tunnel configuration: " + String.join("; ", errors));
        }
    }

    /** Returns: the MTU pods are given: the underlay MTU minus the mode's overhead. */
    public int podMtuBytes() {
        return underlayMtuBytes - mode.overheadBytes();
    }

    /** Returns: the largest TCP MSS over IPv4 that fits the pod MTU. */
    public int mssIpv4Bytes() {
        return podMtuBytes() - IPV4_TCP_HEADERS_BYTES;
    }

    /** Returns: the largest TCP MSS over IPv6 that fits the pod MTU. */
    public int mssIpv6Bytes() {
        return podMtuBytes() - IPV6_TCP_HEADERS_BYTES;
    }

    /** Returns: the UDP port tunnel packets use: the VXLAN port, 6081 for Geneve, 0 otherwise. */
    public int tunnelPort() {
        return switch (mode) {
            case VXLAN -> vxlanPort;
            case GENEVE -> GeneveHeader.PORT;
            default -> 0;
        };
    }

    /** Returns: true when the node has an IPv6 gateway address to send ICMPv6 errors from. */
    public boolean hasRouterIpv6() {
        return routerIpv6Hi != 0 || routerIpv6Lo != 0;
    }

    /**
     * Starts a configuration with the required fields and these defaults: underlay MTU 1500,
     * VXLAN port 8472, VNI 1, no identity in the VNI, outer UDP checksum 0 (verified when a peer
     * sends one), TTL 64, DF unset, MSS clamping on for tunnel modes and off for native,
     * fragmentation on, ICMP errors 1000/s with a burst of 50 (Linux's defaults), no IPv6 gateway.
     */
    public static Builder builder(TunnelMode mode, int underlayAddress, long underlayMac, int underlayPort,
                                  int routerIpv4, long routerMac) {
        return new Builder(mode, underlayAddress, underlayMac, underlayPort, routerIpv4, routerMac);
    }

    private static boolean unicast4(int address) {
        int first = address >>> 24;
        return first != 0 && first < 224;
    }

    private static void checkMac(List<String> errors, String field, long mac) {
        if (mac <= 0 || mac > 0xFFFF_FFFF_FFFFL || ((mac >>> 40) & 1) != 0) {
            errors.add(field + ": " + Long.toHexString(mac) + " must be a unicast, non-zero 48-bit MAC");
        }
    }

    /** Collects the optional fields; {@link #build()} validates everything at once. */
    public static final class Builder {
        private final TunnelMode mode;
        private final int underlayAddress;
        private final long underlayMac;
        private final int underlayPort;
        private final int routerIpv4;
        private final long routerMac;
        private long routerIpv6Hi;
        private long routerIpv6Lo;
        private int underlayMtuBytes = DEFAULT_UNDERLAY_MTU_BYTES;
        private int vxlanPort = VxlanHeader.PORT_LINUX;
        private int vni = DEFAULT_VNI;
        private boolean identityInVni;
        private boolean outerUdpChecksum;
        private boolean verifyOuterUdpChecksum = true;
        private int outerTtl = DEFAULT_TTL;
        private OuterDf outerDf = OuterDf.UNSET;
        private Boolean clampMss;
        private boolean fragmentInner = true;
        private boolean udpGso;
        private int icmpErrorsPerSecond = DEFAULT_ICMP_ERRORS_PER_SECOND;
        private int icmpErrorBurst = DEFAULT_ICMP_ERROR_BURST;

        private Builder(TunnelMode mode, int underlayAddress, long underlayMac, int underlayPort, int routerIpv4, long routerMac) {
            this.mode = mode;
            this.underlayAddress = underlayAddress;
            this.underlayMac = underlayMac;
            this.underlayPort = underlayPort;
            this.routerIpv4 = routerIpv4;
            this.routerMac = routerMac;
        }

        public Builder underlayMtuBytes(int bytes) {
            this.underlayMtuBytes = bytes;
            return this;
        }

        public Builder routerIpv6(long hi, long lo) {
            this.routerIpv6Hi = hi;
            this.routerIpv6Lo = lo;
            return this;
        }

        public Builder vxlanPort(int port) {
            this.vxlanPort = port;
            return this;
        }

        public Builder vni(int value) {
            this.vni = value;
            return this;
        }

        public Builder identityInVni(boolean value) {
            this.identityInVni = value;
            return this;
        }

        public Builder outerUdpChecksum(boolean value) {
            this.outerUdpChecksum = value;
            return this;
        }

        public Builder verifyOuterUdpChecksum(boolean value) {
            this.verifyOuterUdpChecksum = value;
            return this;
        }

        public Builder outerTtl(int value) {
            this.outerTtl = value;
            return this;
        }

        public Builder outerDf(OuterDf value) {
            this.outerDf = value;
            return this;
        }

        public Builder clampMss(boolean value) {
            this.clampMss = value;
            return this;
        }

        public Builder fragmentInner(boolean value) {
            this.fragmentInner = value;
            return this;
        }

        /** UDP GSO datagrams for TCP GSO frames into a UDP tunnel (off unless set: the underlay must take them). */
        public Builder udpGso(boolean value) {
            this.udpGso = value;
            return this;
        }

        public Builder icmpErrors(int perSecond, int burst) {
            this.icmpErrorsPerSecond = perSecond;
            this.icmpErrorBurst = burst;
            return this;
        }

        public TunnelConfig build() {
            boolean clamp = clampMss != null ? clampMss : mode != null && mode != TunnelMode.NATIVE;
            return new TunnelConfig(mode, underlayMtuBytes, underlayAddress, underlayMac, underlayPort, routerMac,
                    routerIpv4, routerIpv6Hi, routerIpv6Lo, vxlanPort, vni, identityInVni, outerUdpChecksum,
                    verifyOuterUdpChecksum, outerTtl, outerDf, clamp, fragmentInner, icmpErrorsPerSecond, icmpErrorBurst,
                    udpGso);
        }
    }
}
