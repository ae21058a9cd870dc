package dev.gingham.dataplane.config;

import dev.gingham.encap.TunnelConfig;
import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.FrontendEntry;
import dev.gingham.nat.lb.LbConfig;
import dev.gingham.nat.snat.SnatConfig;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.header.GeneveHeader;
import dev.gingham.packet.header.VxlanHeader;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The semantic checks of a node configuration, each reported by the YAML path a user edits. Runs
 * on a {@link NodeConfig.Builder} after the file was read (type errors are already reported there,
 * and a field reported once is not reported again), fills in the defaults that depend on other
 * fields (gateway addresses, underlay address), and finally builds the modules' own configurations
 * as a backstop, so a configuration that passes here cannot fail when the daemon builds them.
 */
final class NodeConfigCheck {
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    /** Linux IFNAMSIZ is 16 with the terminating NUL; no '/', ':' or whitespace. */
    private static final Pattern INTERFACE_NAME = Pattern.compile("[^/:\\s]{1,15}");

    private final NodeConfig.Builder b;
    private final Problems problems;

    private NodeConfigCheck(NodeConfig.Builder b, Problems problems) {
        this.b = b;
        this.problems = problems;
    }

    static void check(NodeConfig.Builder b, Problems problems) {
        new NodeConfigCheck(b, problems).run();
    }

    private void report(String path, String message) {
        if (!problems.reported(path)) {
            problems.add(path, message);
        }
    }

    private void run() {
        checkNode();
        checkCidrs();
        checkGateway();
        checkUnderlayAndTunnel();
        checkMasquerade();
        checkServices();
        checkConntrack();
        checkAgents();
        checkCapacities();
        if (problems.isEmpty()) {
            backstop();
        }
    }

    private void checkNode() {
        if (b.nodeName == null || b.nodeName.isEmpty()) {
            report("nodeName", "is required (this node's Node object name)");
        } else if (!DNS_SUBDOMAIN.matcher(b.nodeName).matches()) {
            report("nodeName", "'" + b.nodeName + "' is not a DNS subdomain (lowercase letters, digits, '-', '.')");
        }
        if (b.nodeAddresses.isEmpty()) {
            report("nodeAddresses", "at least one address is required (NodePorts listen on every one; the first IPv4 one is the masquerade address)");
            return;
        }
        Set<IpAddress> seen = new HashSet<>();
        for (int i = 0; i < b.nodeAddresses.size(); i++) {
            IpAddress address = b.nodeAddresses.get(i);
            String path = "nodeAddresses[" + i + "]";
            if (!unicast(address)) {
                report(path, address + " is not a unicast address");
            } else if (!seen.add(address)) {
                report(path, address + " is listed twice");
            }
        }
        if (NodeConfig.firstOfFamily(b.nodeAddresses, true) == null) {
            report("nodeAddresses", "must include an IPv4 address (the underlay and masquerading are IPv4)");
        }
    }

    private void checkCidrs() {
        checkFamilies("podCIDRs", b.podCidrs, true);
        if (!b.podCidrs.isEmpty() && b.podCidrs.stream().noneMatch(Cidr::ipv4)) {
            report("podCIDRs", "must include an IPv4 CIDR (pods' IPv4 gateway is the source of the overlay's ICMP errors)");
        }
        checkFamilies("clusterCIDRs", b.clusterCidrs, false);
        checkFamilies("serviceCIDRs", b.serviceCidrs, true);
        for (int i = 0; i < b.podCidrs.size(); i++) {
            Cidr pod = b.podCidrs.get(i);
            if (b.clusterCidrs.stream().noneMatch(c -> c.contains(pod))) {
                report("podCIDRs[" + i + "]", pod + " is not inside any of clusterCIDRs " + b.clusterCidrs);
            }
        }
        for (int i = 0; i < b.serviceCidrs.size(); i++) {
            Cidr service = b.serviceCidrs.get(i);
            for (Cidr cluster : b.clusterCidrs) {
                if (cluster.contains(service) || service.contains(cluster)) {
                    report("serviceCIDRs[" + i + "]", service + " overlaps clusterCIDR " + cluster);
                }
            }
        }
    }

    /** A list of CIDRs: at least one, host bits clear, no duplicates, at most one per family when {@code onePerFamily}. */
    private void checkFamilies(String path, List<Cidr> cidrs, boolean onePerFamily) {
        if (cidrs.isEmpty()) {
            report(path, "at least one CIDR is required");
            return;
        }
        boolean[] family = new boolean[2];
        for (int i = 0; i < cidrs.size(); i++) {
            Cidr cidr = cidrs.get(i);
            String item = path + "[" + i + "]";
            if (!cidr.masked().equals(cidr)) {
                report(item, cidr + " has host bits set (did you mean " + cidr.masked() + "?)");
            } else if (onePerFamily && family[cidr.ipv4() ? 0 : 1]) {
                report(item, "a second " + (cidr.ipv4() ? "IPv4" : "IPv6") + " CIDR: at most one per family");
            } else if (cidrs.subList(0, i).contains(cidr)) {
                report(item, cidr + " is listed twice");
            }
            family[cidr.ipv4() ? 0 : 1] = true;
        }
    }

    private void checkGateway() {
        if (!validMac(b.gateway.mac())) {
            report("gateway.mac", macText(b.gateway.mac()) + " must be a unicast, non-zero MAC");
        }
        List<IpAddress> addresses = b.gateway.addresses();
        if (addresses.isEmpty()) {
            List<IpAddress> derived = new ArrayList<>();
            for (Cidr pod : b.podCidrs) {
                if (pod.masked().equals(pod) && hostBits(pod) >= 2) {
                    derived.add(firstHost(pod));
                }
            }
            b.gateway = new NodeConfig.Gateway(derived, b.gateway.mac());
            b.gatewayDerived = true;
            for (int i = 0; i < b.podCidrs.size(); i++) {
                if (hostBits(b.podCidrs.get(i)) < 2) {
                    report("podCIDRs[" + i + "]", b.podCidrs.get(i) + " has no room for a gateway and pods");
                }
            }
            return;
        }
        if (addresses.size() != b.podCidrs.size()) {
            report("gateway.addresses", "give one address per pod CIDR, in the same order (" + b.podCidrs.size()
                    + " pod CIDRs, " + addresses.size() + " addresses)");
            return;
        }
        for (int i = 0; i < addresses.size(); i++) {
            IpAddress address = addresses.get(i);
            Cidr pod = b.podCidrs.get(i);
            String path = "gateway.addresses[" + i + "]";
            if (!pod.contains(address.hi(), address.lo())) {
                report(path, address + " is not inside podCIDRs[" + i + "] " + pod);
            } else if (address.equals(new IpAddress(pod.hi(), pod.lo()))) {
                report(path, address + " is the network address of " + pod);
            }
        }
    }

    private void checkUnderlayAndTunnel() {
        NodeConfig.Underlay u = b.underlay;
        if (u.interfaceName() == null || u.interfaceName().isEmpty()) {
            report("underlay.interface", "is required (the interface other nodes are reached through, e.g. eth0)");
        } else if (!INTERFACE_NAME.matcher(u.interfaceName()).matches()) {
            report("underlay.interface", "'" + u.interfaceName() + "' is not a Linux interface name (1..15 characters, no '/', ':' or spaces)");
        }
        IpAddress address = u.address();
        if (address == null) {
            address = NodeConfig.firstOfFamily(b.nodeAddresses, true);
            b.underlayAddressDerived = true;
        } else if (!address.ipv4() || !unicast(address)) {
            report("underlay.address", address + " must be a unicast IPv4 address (an IPv6 underlay is not built)");
        }
        if (u.mac() != 0 && !validMac(u.mac())) {
            report("underlay.mac", macText(u.mac()) + " must be a unicast, non-zero MAC");
        }
        if (u.nextHopMac() != 0 && !validMac(u.nextHopMac())) {
            report("underlay.nextHopMac", macText(u.nextHopMac()) + " must be a unicast, non-zero MAC");
        }
        if (u.gateway() != null && (!u.gateway().ipv4() || !unicast(u.gateway()))) {
            report("underlay.gateway", u.gateway() + " must be a unicast IPv4 address (the underlay router)");
        }
        if (u.subnet() != null) {
            if (!u.subnet().ipv4()) {
                report("underlay.subnet", u.subnet() + " must be an IPv4 network (the underlay is IPv4)");
            } else if (address != null && address.ipv4() && !u.subnet().contains(address.hi(), address.lo())) {
                report("underlay.subnet", u.subnet() + " does not contain the underlay address " + address);
            } else if (u.gateway() != null && u.gateway().ipv4() && !u.subnet().contains(u.gateway().hi(), u.gateway().lo())) {
                report("underlay.subnet", u.subnet() + " does not contain underlay.gateway " + u.gateway()
                        + " (the router must be on the node's link)");
            }
            if (u.gateway() == null) {
                report("underlay.subnet", "is set but underlay.gateway is not: peers outside " + u.subnet()
                        + " would have no next hop");
            }
        }
        b.underlay = new NodeConfig.Underlay(u.interfaceName(), address, u.mac(), u.nextHopMac(), u.mtuBytes(),
                u.gateway(), u.subnet(), u.batch(), u.udpGso());

        NodeConfig.Tunnel t = b.tunnel;
        if (t.mode() == null) {
            report("tunnel.mode", "is required (vxlan, geneve, ipip or native)");
        } else {
            int min = TunnelConfig.MIN_POD_MTU_BYTES + t.mode().overheadBytes();
            if (u.mtuBytes() < min || u.mtuBytes() > TunnelConfig.MAX_MTU_BYTES) {
                report("underlay.mtuBytes", "must be " + min + ".." + TunnelConfig.MAX_MTU_BYTES + " in "
                        + t.mode().name().toLowerCase() + " mode, got " + u.mtuBytes() + " (" + t.mode().overheadBytes()
                        + " bytes of overhead, and pods need at least " + TunnelConfig.MIN_POD_MTU_BYTES + " for IPv6)");
            }
        }
        if (t.vxlanPort() < 1 || t.vxlanPort() > 65535) {
            report("tunnel.vxlanPort", "must be 1..65535, got " + t.vxlanPort());
        } else if (t.vxlanPort() == GeneveHeader.PORT) {
            report("tunnel.vxlanPort", GeneveHeader.PORT + " is Geneve's port");
        }
        range("tunnel.vni", t.vni(), 0, VxlanHeader.MAX_VNI);
        if (t.identityInVni() && t.mode() != null && !t.mode().udp()) {
            report("tunnel.identityInVni", "needs a VNI: only vxlan and geneve carry one, not " + t.mode().name().toLowerCase());
        }
        if (t.outerDf() == null) {
            report("tunnel.outerDf", "is required (unset, set or inherit)");
        }
        range("tunnel.outerTtl", t.outerTtl(), 1, 255);
        range("tunnel.icmpErrorsPerSecond", t.icmpErrorsPerSecond(), 0, 1_000_000);
        range("tunnel.icmpErrorBurst", t.icmpErrorBurst(), 1, 1_000_000);
    }

    private void checkMasquerade() {
        NodeConfig.Masquerade m = b.masquerade;
        if (m.minPort() < 1 || m.maxPort() > 65535 || m.minPort() > m.maxPort()) {
            report("masquerade.portRange", "must be MIN-MAX with 1 <= MIN <= MAX <= 65535, got " + m.minPort() + "-" + m.maxPort());
        }
        for (int i = 0; i < m.nonMasqueradeCidrs().size(); i++) {
            Cidr cidr = m.nonMasqueradeCidrs().get(i);
            if (!cidr.masked().equals(cidr)) {
                report("masquerade.nonMasqueradeCIDRs[" + i + "]", cidr + " has host bits set (did you mean " + cidr.masked() + "?)");
            }
        }
        range("masquerade.mapEntries", m.mapEntries(), 1, Integer.MAX_VALUE);
        range("masquerade.maxNatAddresses", m.maxNatAddresses(), 1, SnatConfig.MAX_NAT_ADDRESSES);
        NodeConfig.Services s = b.services;
        if (m.enabled() && m.minPort() <= s.nodePortMax() && s.nodePortMin() <= m.maxPort()) {
            report("masquerade.portRange", m.minPort() + "-" + m.maxPort() + " overlaps services.nodePortRange "
                    + s.nodePortMin() + "-" + s.nodePortMax() + ": replies to masqueraded flows and NodePort connections would share ports");
        }
    }

    private void checkServices() {
        NodeConfig.Services s = b.services;
        if (s.nodePortMin() < 1 || s.nodePortMax() > 65535 || s.nodePortMin() > s.nodePortMax()) {
            report("services.nodePortRange", "must be MIN-MAX with 1 <= MIN <= MAX <= 65535, got " + s.nodePortMin() + "-" + s.nodePortMax());
        }
        if (s.defaultAlgorithm() == null) {
            report("services.defaultAlgorithm", "is required");
        }
        if (s.noBackendAction() == null) {
            report("services.noBackendAction", "is required (reject or drop)");
        }
        int m = s.maglevTableSize();
        if (m < LbConfig.MIN_MAGLEV_TABLE_SIZE || m > LbConfig.MAX_MAGLEV_TABLE_SIZE) {
            report("services.maglevTableSize", "must be " + LbConfig.MIN_MAGLEV_TABLE_SIZE + ".." + LbConfig.MAX_MAGLEV_TABLE_SIZE + ", got " + m);
        } else if (!prime(m)) {
            report("services.maglevTableSize", m + " is not prime (Maglev needs a prime table size, e.g. 16381 or 65521)");
        }
        IpAddress hairpin = s.hairpinAddress();
        if (hairpin == null || !hairpin.ipv4() || hairpin.v4() == 0) {
            report("services.hairpinAddress", hairpin + " must be an IPv4 address (Cilium uses 169.254.42.1)");
        } else if (inAny(hairpin, b.clusterCidrs) || inAny(hairpin, b.serviceCidrs) || b.nodeAddresses.contains(hairpin)) {
            report("services.hairpinAddress", hairpin + " must not be a pod, service or node address");
        }
        range("services.maxServicePorts", s.maxServicePorts(), 1, LbConfig.MAX_SERVICES);
        range("services.maxFrontends", s.maxFrontends(), 1, FrontendEntry.MAX_INDEX);
        range("services.maxBackends", s.maxBackends(), 1, Integer.MAX_VALUE - 1);
        range("services.maxBackendsPerService", s.maxBackendsPerService(), 1, LbConfig.MAX_BACKENDS_PER_SERVICE);
        range("services.maxMaglevTables", s.maxMaglevTables(), 1, LbConfig.MAX_MAGLEV_TABLES);
        range("services.maxAffinityEntries", s.maxAffinityEntries(), 1, Integer.MAX_VALUE);
    }

    private void checkConntrack() {
        NodeConfig.Conntrack c = b.conntrack;
        range("conntrack.tcpEntries", c.tcpEntries(), 1, Integer.MAX_VALUE);
        range("conntrack.otherEntries", c.otherEntries(), 1, Integer.MAX_VALUE);
        range("conntrack.lifetimes.tcpSynSeconds", c.tcpSynSeconds(), 1, Integer.MAX_VALUE);
        range("conntrack.lifetimes.tcpEstablishedSeconds", c.tcpEstablishedSeconds(), 1, Integer.MAX_VALUE);
        range("conntrack.lifetimes.tcpCloseSeconds", c.tcpCloseSeconds(), 1, Integer.MAX_VALUE);
        range("conntrack.lifetimes.otherSeconds", c.otherSeconds(), 1, Integer.MAX_VALUE);
    }

    private void checkAgents() {
        range("workers", b.workers, 1, NodeConfig.MAX_WORKERS);
        if (b.threading == null) {
            report("threading", "is required (shared or dedicated)");
        }
        IdleStrategyConfig idle = b.idleStrategy;
        if (idle == null || idle.kind() == null) {
            report("idleStrategy", "is required (busy-spin, yield, backoff, sleep or adaptive)");
        } else {
            range("idleStrategy.maxSpins", idle.maxSpins(), 0, Integer.MAX_VALUE);
            range("idleStrategy.maxYields", idle.maxYields(), 0, Integer.MAX_VALUE);
            if (idle.minParkNs() < 1000) {
                report("idleStrategy.minParkMicros", "must be at least 1");
            }
            if (idle.maxParkNs() < idle.minParkNs()) {
                report("idleStrategy.maxParkMicros", "must be at least minParkMicros (" + idle.minParkNs() / 1000 + "), got "
                        + idle.maxParkNs() / 1000);
            }
            if (idle.sleepNs() < 1000) {
                report("idleStrategy.sleepMicros", "must be at least 1");
            }
        }
        if (b.pinDirectory != null && !b.pinDirectory.isAbsolute()) {
            report("pinDirectory", "'" + b.pinDirectory + "' must be an absolute path");
        }
        if (b.keepDevicesOnStop && b.pinDirectory == null) {
            report("restart.keepDevices", "needs pinDirectory (the daemon records its devices there, and without pinned"
                    + " maps the kept devices' connections would not survive anyway)");
        }
        if (b.api == null) {
            report("api.listen", "is required");
        }
        NodeConfig.Flows f = b.flows;
        if (f.ringRecords() < 2 || f.ringRecords() > (1 << 24) || Integer.bitCount(f.ringRecords()) != 1) {
            report("flows.ringRecords", "must be a power of two 2..16777216, got " + f.ringRecords());
        }
        range("flows.sampleEvery", f.sampleEvery(), 1, 1 << 20);
    }

    private void checkCapacities() {
        NodeConfig.Capacities c = b.maps;
        range("maps.ipcacheEntries", c.ipcacheEntries(), 1, 1 << 24);
        range("maps.endpoints", c.endpoints(), 1, 1 << 16);
        range("maps.nodes", c.nodes(), 1, 0xFFFF);
        range("maps.egressSources", c.egressSources(), 1, 1 << 24);
        range("maps.egressRules", c.egressRules(), 1, 1 << 24);
        range("maps.policyRows", c.policyRows(), 1, 1 << 28);
        range("maps.policyPortSets", c.policyPortSets(), 2, 65_536);
    }

    /** Builds the modules' configurations: a check missed here must still fail at start, with the reason. */
    private void backstop() {
        NodeConfig config = new NodeConfig(b);
        try {
            config.tunnelConfig(0, b.underlay.mac() != 0 ? b.underlay.mac() : 0x02_00_00_00_00_01L);
            config.lbConfig();
            config.snatConfig();
            config.ctConfig();
        } catch (IllegalArgumentException e) {
            report("", e.getMessage());
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------

    private void range(String path, long value, long min, long max) {
        if (value < min || value > max) {
            report(path, "must be " + min + ".." + max + ", got " + value);
        }
    }

    private static boolean unicast(IpAddress address) {
        if (address.ipv4()) {
            int first = address.v4() >>> 24;
            return first != 0 && first < 224;
        }
        return (address.hi() != 0 || address.lo() != 0) && (address.hi() >>> 56) != 0xFF;
    }

    static boolean validMac(long mac) {
        return mac > 0 && mac <= 0xFFFF_FFFF_FFFFL && ((mac >>> 40) & 1) == 0;
    }

    private static String macText(long mac) {
        return dev.gingham.packet.header.Addresses.formatMac(mac);
    }

    private static boolean inAny(IpAddress address, List<Cidr> cidrs) {
        return cidrs.stream().anyMatch(c -> c.contains(address.hi(), address.lo()));
    }

    private static int hostBits(Cidr cidr) {
        return (cidr.ipv4() ? 32 : 128) - cidr.prefixLength();
    }

    /** Returns: the network address plus one. */
    static IpAddress firstHost(Cidr cidr) {
        if (cidr.ipv4()) {
            return IpAddress.of4(cidr.v4() + 1);
        }
        long lo = cidr.lo() + 1;
        return new IpAddress(lo == 0 ? cidr.hi() + 1 : cidr.hi(), lo);
    }

    private static boolean prime(int n) {
        // Exact for n below 2^20 at this certainty; LbConfig re-checks with trial division in backstop().
        return java.math.BigInteger.valueOf(n).isProbablePrime(64);
    }
}
