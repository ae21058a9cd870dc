package dev.gingham.dataplane.program;

import dev.gingham.encap.TunnelConfig;
import dev.gingham.nat.IpAddress;
import dev.gingham.nat.snat.SnatConfig;
import dev.gingham.packet.Verdict;

import java.util.List;
import java.util.Objects;
import java.util.stream.LongStream;

/**
 * What the node pipeline must know about its node besides the maps: ports, MAC addresses and the
 * node's own addresses. Immutable; built by the daemon (or replay) from the node configuration.
 *
 * <p>Ports: the underlay port and the router MAC come from {@link TunnelConfig} (encapsulation
 * needs them too); every port that is neither the underlay nor {@link #hostPort} is a pod's, and
 * a pod port's number is also its endpoint slot in the policy maps.
 *
 * @param tunnel         overlay mode, MTU, underlay port/MAC/address, the pods' gateway (router) MAC and address
 * @param snat           masquerade addresses and port range (the node's NAT address)
 * @param hostPort       the port to the node's own network stack
 * @param hostMac        the MAC of the host's interface on that port (destination of frames for the host)
 * @param uplinkMac      the next hop for traffic leaving the cluster through the underlay (the default gateway's MAC)
 * @param nodeAddresses  the node's own addresses on the underlay: ARP (IPv4) and neighbor solicitations
 *                       (IPv6) are answered for them there, and
 *                       traffic to them that no NAT or service claims goes to the host
 * @param hairpinAddress the source of hairpinned service flows (Cilium's 169.254.42.1)
 */
public record PipelineConfig(TunnelConfig tunnel, SnatConfig snat, int hostPort, long hostMac, long uplinkMac,
                             List<IpAddress> nodeAddresses, IpAddress hairpinAddress) {
    /** Cilium's default hairpin (service loopback) address. */
    public static final IpAddress DEFAULT_HAIRPIN_ADDRESS = IpAddress.parse("169.254.42.1");

    public PipelineConfig {
        Objects.requireNonNull(tunnel, "tunnel");
        Objects.requireNonNull(snat, "snat");
        nodeAddresses = List.copyOf(nodeAddresses);
        Objects.requireNonNull(hairpinAddress, "hairpinAddress");
        if (hostPort == tunnel.underlayPort()) {
            throw new IllegalArgumentException("hostPort: must differ from the underlay port " + hostPort);
        }
        if (hostPort < 0 || hostPort > Verdict.MAX_PORT) {
            throw new IllegalArgumentException("hostPort: out of range: " + hostPort);
        }
    }

    /** Returns: the node's IPv4 addresses as ints (what the ARP responder and the route lookup compare). */
    public int[] nodeIpv4Addresses() {
        return nodeAddresses.stream().filter(IpAddress::ipv4).mapToInt(IpAddress::v4).toArray();
    }

    /**
     * Returns: the node's IPv6 addresses as pairs of longs, {hi0, lo0, hi1, lo1, ...} (what the
     * neighbor discovery responder and the route lookup compare).
     */
    public long[] nodeIpv6Addresses() {
        return nodeAddresses.stream().filter(a -> !a.ipv4()).flatMapToLong(a -> LongStream.of(a.hi(), a.lo()))
                .toArray();
    }

    /** Returns: true when the pairs of {@code addresses} ({@link #nodeIpv6Addresses} form) hold ({@code hi}, {@code lo}). */
    static boolean contains(long[] addresses, long hi, long lo) {
        for (int k = 0; k + 1 < addresses.length; k += 2) {
            if (addresses[k] == hi && addresses[k + 1] == lo) {
                return true;
            }
        }
        return false;
    }

    /** Returns: true when {@code addresses} holds {@code address} (a linear scan: nodes have a handful). */
    static boolean contains(int[] addresses, int address) {
        for (int a : addresses) {
            if (a == address) {
                return true;
            }
        }
        return false;
    }

    /** Returns: the role of a port. */
    public PortRole role(int port) {
        if (port == tunnel.underlayPort()) {
            return PortRole.UNDERLAY;
        }
        return port == hostPort ? PortRole.HOST : PortRole.POD;
    }
}
