package dev.gingham.nat.snat;

import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;

import java.util.List;

/**
 * One CiliumEgressGatewayPolicy after the control plane resolved its pod selector: traffic from
 * any of {@code sources} to any of {@code destinations} leaves with {@code egressIp}.
 *
 * @param name         policy name (orders overlapping policies: the first name wins a tie)
 * @param sources      the selected pods' addresses
 * @param destinations destination CIDRs (IPv6 ones at most /96, see {@link EgressGateway})
 * @param egressIp     the address the traffic is masqueraded behind, of the destinations' family
 */
public record EgressPolicy(String name, List<IpAddress> sources, List<Cidr> destinations, IpAddress egressIp) {
    public EgressPolicy {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("egress policy: name is required");
        }
        if (sources == null || destinations == null || egressIp == null) {
            throw new IllegalArgumentException("egress policy " + name + ": sources, destinations and egressIp are required");
        }
        sources = List.copyOf(sources);
        destinations = List.copyOf(destinations);
        for (Cidr cidr : destinations) {
            if (cidr.ipv4() != egressIp.ipv4()) {
                throw new IllegalArgumentException("egress policy " + name + ": destination " + cidr
                        + " and egressIp " + egressIp + " are of different families");
            }
            if (!cidr.ipv4() && cidr.prefixLength() > EgressGateway.MAX_IPV6_PREFIX) {
                throw new IllegalArgumentException("egress policy " + name + ": destination " + cidr
                        + " is longer than /" + EgressGateway.MAX_IPV6_PREFIX);
            }
        }
    }
}
