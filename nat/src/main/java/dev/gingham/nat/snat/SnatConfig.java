package dev.gingham.nat.snat;

import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.Cidr;

import dev.gingham.packet.header.Addresses;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything SNAT needs from the node configuration, validated as a whole: the constructor
 * collects every problem and throws one {@link IllegalArgumentException} whose message names
 * each bad field, so an operator fixes the file once rather than once per error.
 *
 * @param nodeIpv4           the node's IPv4 address (big-endian int), the masquerade address
 * @param nodeIpv6Hi         bytes 0-7 of the node's IPv6 address; both halves 0 when the node has none
 * @param nodeIpv6Lo         bytes 8-15 of the node's IPv6 address
 * @param minPort            first NAT port (and ICMP echo identifier) handed out
 * @param maxPort            last NAT port handed out (inclusive)
 * @param podCidrs           cluster pod CIDRs: never masqueraded (Cilium's native-routing CIDR)
 * @param serviceCidrs       service CIDRs (one per family): never masqueraded
 * @param nonMasqueradeCidrs extra destinations that keep the pod's address (ip-masq-agent's
 *                           nonMasqueradeCIDRs); empty by default, as in Cilium
 * @param mapEntries         capacity of the forward and reverse mapping maps
 * @param maxNatAddresses    how many NAT addresses (node addresses plus egress gateway IPs)
 *                           can have port bitmaps; each gets one for TCP, UDP and ICMP
 */
public record SnatConfig(int nodeIpv4, long nodeIpv6Hi, long nodeIpv6Lo, int minPort, int maxPort,
                         List<Cidr> podCidrs, List<Cidr> serviceCidrs, List<Cidr> nonMasqueradeCidrs,
                         int mapEntries, int maxNatAddresses) {
    /** Linux's default ephemeral range starts here; Cilium's NAT uses 32768-65535 as well. */
    public static final int DEFAULT_MIN_PORT = 32768;
    public static final int DEFAULT_MAX_PORT = 65535;
    /** Cilium's default NAT map size (bpf-nat-global-max). */
    public static final int DEFAULT_MAP_ENTRIES = 524288;
    public static final int DEFAULT_MAX_NAT_ADDRESSES = 16;
    /** Keeps the pinned port map (maxNatAddresses x 3 bitmaps of 8 KiB at most) small. */
    public static final int MAX_NAT_ADDRESSES = 1024;

    public SnatConfig {
        List<String> errors = new ArrayList<>();
        if (nodeIpv4 == 0) {
            errors.add("nodeIpv4: required (0.0.0.0 cannot be a masquerade address)");
        }
        if ((nodeIpv6Hi != 0 || nodeIpv6Lo != 0) && MappedAddress.isIpv4(nodeIpv6Hi, nodeIpv6Lo)) {
            errors.add("nodeIpv6: " + Addresses.formatIpv6(nodeIpv6Hi, nodeIpv6Lo) + " is IPv4-mapped; give the IPv4 address as nodeIpv4");
        }
        if (minPort < 1 || minPort > 65535 || maxPort < 1 || maxPort > 65535 || minPort > maxPort) {
            errors.add("portRange: " + minPort + "-" + maxPort + " must satisfy 1 <= min <= max <= 65535");
        }
        checkCidrs(errors, "podCidrs", podCidrs, true);
        checkCidrs(errors, "serviceCidrs", serviceCidrs, true);
        checkCidrs(errors, "nonMasqueradeCidrs", nonMasqueradeCidrs, false);
        if (mapEntries < 1) {
            errors.add("mapEntries: " + mapEntries + " must be positive");
        }
        if (maxNatAddresses < 1 || maxNatAddresses > MAX_NAT_ADDRESSES) {
            errors.add("maxNatAddresses: " + maxNatAddresses + " must be 1.." + MAX_NAT_ADDRESSES);
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("invalid SNAT configuration: " + String.join("; ", errors));
        }
        podCidrs = List.copyOf(podCidrs);
        serviceCidrs = List.copyOf(serviceCidrs);
        nonMasqueradeCidrs = List.copyOf(nonMasqueradeCidrs);
    }

    private static void checkCidrs(List<String> errors, String field, List<Cidr> cidrs, boolean required) {
        if (cidrs == null) {
            errors.add(field + ": required");
        } else if (required && cidrs.isEmpty()) {
            errors.add(field + ": at least one CIDR is required");
        } else if (cidrs.stream().anyMatch(java.util.Objects::isNull)) {
            errors.add(field + ": contains null");
        }
    }

    /**
     * A configuration with Cilium's defaults (ports 32768-65535, 524288 map entries, no extra
     * non-masquerade CIDRs, no IPv6 node address).
     *
     * @throws IllegalArgumentException for an unparsable address or CIDR, naming the field
     */
    public static SnatConfig of(String nodeIpv4, List<String> podCidrs, List<String> serviceCidrs) {
        int node;
        try {
            node = Addresses.parseIpv4(nodeIpv4);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid SNAT configuration: nodeIpv4: " + e.getMessage(), e);
        }
        return new SnatConfig(node, 0, 0, DEFAULT_MIN_PORT, DEFAULT_MAX_PORT, parseAll("podCidrs", podCidrs),
                parseAll("serviceCidrs", serviceCidrs), List.of(), DEFAULT_MAP_ENTRIES, DEFAULT_MAX_NAT_ADDRESSES);
    }

    private static List<Cidr> parseAll(String field, List<String> texts) {
        List<Cidr> cidrs = new ArrayList<>();
        for (String text : texts) {
            try {
                cidrs.add(Cidr.parse(text));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid SNAT configuration: " + field + ": " + e.getMessage(), e);
            }
        }
        return cidrs;
    }

    /** Returns: a copy with another port range (validated). */
    public SnatConfig withPortRange(int min, int max) {
        return new SnatConfig(nodeIpv4, nodeIpv6Hi, nodeIpv6Lo, min, max, podCidrs, serviceCidrs, nonMasqueradeCidrs,
                mapEntries, maxNatAddresses);
    }

    /** Returns: a copy with other map sizes (validated). */
    public SnatConfig withSizes(int entries, int natAddresses) {
        return new SnatConfig(nodeIpv4, nodeIpv6Hi, nodeIpv6Lo, minPort, maxPort, podCidrs, serviceCidrs, nonMasqueradeCidrs,
                entries, natAddresses);
    }

    /** Returns: a copy with extra non-masquerade CIDRs (validated). */
    public SnatConfig withNonMasqueradeCidrs(List<Cidr> cidrs) {
        return new SnatConfig(nodeIpv4, nodeIpv6Hi, nodeIpv6Lo, minPort, maxPort, podCidrs, serviceCidrs, cidrs,
                mapEntries, maxNatAddresses);
    }

    /** Returns: a copy with an IPv6 node address (validated). */
    public SnatConfig withNodeIpv6(long hi, long lo) {
        return new SnatConfig(nodeIpv4, hi, lo, minPort, maxPort, podCidrs, serviceCidrs, nonMasqueradeCidrs,
                mapEntries, maxNatAddresses);
    }

    /** Returns: true when the node has an IPv6 address to masquerade behind. */
    public boolean hasNodeIpv6() {
        return nodeIpv6Hi != 0 || nodeIpv6Lo != 0;
    }

    /** Returns: the number of ports (and ICMP identifiers) each bitmap holds. */
    public int portCount() {
        return maxPort - minPort + 1;
    }
}
