package dev.gingham.dataplane.config;

import dev.gingham.conntrack.CtConfig;
import dev.gingham.conntrack.CtLifetimes;
import dev.gingham.encap.OuterDf;
import dev.gingham.encap.TunnelConfig;
import dev.gingham.encap.TunnelMode;
import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.Algorithm;
import dev.gingham.nat.lb.LbConfig;
import dev.gingham.nat.lb.ServiceSpec;
import dev.gingham.nat.snat.SnatConfig;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.header.VxlanHeader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The node's configuration file, validated as a whole before anything starts: every field is
 * checked and every problem reported at once, by its YAML path, in one {@link ConfigException}.
 * It yields the immutable configurations the modules below are built from ({@link #tunnelConfig},
 * {@link #lbConfig}, {@link #snatConfig}, {@link #ctConfig}) and the node-level settings the daemon
 * reads directly. See docs/user-guide.md "Node configuration" for every key and default.
 *
 * <p>Instances are immutable and always valid: the only ways in are {@link #load}, {@link #parse},
 * {@link #defaults} and {@link Builder#build}, which all run the same checks. {@link #toBuilder}
 * leaves derived defaults (gateway addresses, underlay address) unset again, so changing the pod
 * CIDRs or node addresses derives them anew.
 */
public final class NodeConfig {
    /** The pods' gateway MAC unless configured: locally administered ("02"), unicast, "gh". */
    public static final long DEFAULT_GATEWAY_MAC = 0x02_67_68_00_00_01L;
    /** Cilium's hairpin source address range; the source of a pod's flow to itself through a service. */
    public static final String DEFAULT_HAIRPIN_ADDRESS = "169.254.42.1";
    public static final int DEFAULT_WORKERS = 1;
    public static final int MAX_WORKERS = 256;

    private final String nodeName;
    private final List<IpAddress> nodeAddresses;
    private final List<Cidr> podCidrs;
    private final List<Cidr> clusterCidrs;
    private final List<Cidr> serviceCidrs;
    private final Gateway gateway;
    private final Underlay underlay;
    private final Tunnel tunnel;
    private final Masquerade masquerade;
    private final Services services;
    private final Conntrack conntrack;
    private final int workers;
    private final ThreadingMode threading;
    private final IdleStrategyConfig idleStrategy;
    private final Path pinDirectory;
    private final ApiEndpoint api;
    private final Flows flows;
    private final boolean policyAuditMode;
    private final boolean keepDevicesOnStop;
    private final Capacities maps;
    /** The gateway addresses and underlay address were derived (toBuilder derives them again). */
    private final boolean gatewayDerived;
    private final boolean underlayAddressDerived;

    /**
     * The pods' default gateway on this node (what pods ARP for and route through).
     *
     * @param addresses one per pod CIDR, in the same order (default: the first host of each)
     * @param mac       the MAC pods see for it ({@link #DEFAULT_GATEWAY_MAC})
     */
    public record Gateway(List<IpAddress> addresses, long mac) {
        public Gateway {
            addresses = List.copyOf(addresses);
        }
    }

    /**
     * The interface other nodes and the outside world are reached through.
     *
     * @param interfaceName Linux interface name (eth0)
     * @param address       the underlay IPv4 address: outer source of tunnel packets (default: the first IPv4 node address)
     * @param mac           the interface's MAC, 0 when the daemon reads it from the interface
     * @param nextHopMac    a static next hop: where outer frames go when a Node gives no MAC, and traffic
     *                      leaving the cluster (a router, or the only peer); 0: resolved by ARP
     * @param mtuBytes      the underlay MTU; pods get this minus the tunnel overhead
     * @param gateway       the underlay router's IPv4 address (resolved by ARP): the next hop of traffic
     *                      leaving the cluster, and of peers outside {@code subnet}; null for none
     * @param subnet        the underlay network the node is on (peers inside it are resolved directly,
     *                      peers outside it through {@code gateway}); null: every peer is on the link
     * @param batch         read and write the underlay a burst per system call (recvmmsg/sendmmsg, the default);
     *                      false: one read/write per frame (to measure what batching gains)
     * @param udpGso        send pods' TCP GSO frames into a VXLAN or Geneve tunnel as UDP GSO datagrams (the
     *                      default; needs Linux 6.2 or later, the daemon turns it off on older kernels); false:
     *                      cut them into segments before encapsulation
     */
    public record Underlay(String interfaceName, IpAddress address, long mac, long nextHopMac, int mtuBytes,
                           IpAddress gateway, Cidr subnet, boolean batch, boolean udpGso) {
        /** An underlay without gateway or subnet (every peer on the link), with batched I/O and UDP GSO. */
        public Underlay(String interfaceName, IpAddress address, long mac, long nextHopMac, int mtuBytes) {
            this(interfaceName, address, mac, nextHopMac, mtuBytes, null, null, true, true);
        }

        /** An underlay with a gateway and subnet, with batched I/O and UDP GSO (the defaults). */
        public Underlay(String interfaceName, IpAddress address, long mac, long nextHopMac, int mtuBytes,
                        IpAddress gateway, Cidr subnet) {
            this(interfaceName, address, mac, nextHopMac, mtuBytes, gateway, subnet, true, true);
        }

        /** An underlay without gateway or subnet, batched or not, UDP GSO or not. */
        public Underlay(String interfaceName, IpAddress address, long mac, long nextHopMac, int mtuBytes, boolean batch,
                        boolean udpGso) {
            this(interfaceName, address, mac, nextHopMac, mtuBytes, null, null, batch, udpGso);
        }

        /** Returns: this underlay with UDP GSO on or off. */
        public Underlay withUdpGso(boolean value) {
            return new Underlay(interfaceName, address, mac, nextHopMac, mtuBytes, gateway, subnet, batch, value);
        }
    }

    /** The overlay settings; see {@link TunnelConfig} for each field's meaning. */
    public record Tunnel(TunnelMode mode, int vxlanPort, int vni, boolean identityInVni, OuterDf outerDf,
                         boolean udpChecksum, boolean clampMss, boolean fragment, int outerTtl,
                         int icmpErrorsPerSecond, int icmpErrorBurst) {
        /** Returns: {@link TunnelConfig}'s defaults for {@code mode} (MSS clamping on for the tunnel modes). */
        public static Tunnel defaults(TunnelMode mode) {
            return new Tunnel(mode, VxlanHeader.PORT_LINUX, TunnelConfig.DEFAULT_VNI, false, OuterDf.UNSET, false,
                    mode != TunnelMode.NATIVE, true, TunnelConfig.DEFAULT_TTL, TunnelConfig.DEFAULT_ICMP_ERRORS_PER_SECOND,
                    TunnelConfig.DEFAULT_ICMP_ERROR_BURST);
        }
    }

    /**
     * Source NAT of pod traffic leaving the cluster.
     *
     * @param enabled            masquerade at all (off: pods' addresses must be routable outside)
     * @param nonMasqueradeCidrs extra destinations that keep the pod's address
     * @param minPort            first NAT port
     * @param maxPort            last NAT port
     * @param mapEntries         SNAT mapping entries
     * @param maxNatAddresses    NAT addresses with port pools (node addresses plus egress gateway IPs)
     */
    public record Masquerade(boolean enabled, List<Cidr> nonMasqueradeCidrs, int minPort, int maxPort, int mapEntries,
                             int maxNatAddresses) {
        public Masquerade {
            nonMasqueradeCidrs = List.copyOf(nonMasqueradeCidrs);
        }

        public static Masquerade defaults() {
            return new Masquerade(true, List.of(), SnatConfig.DEFAULT_MIN_PORT, SnatConfig.DEFAULT_MAX_PORT,
                    SnatConfig.DEFAULT_MAP_ENTRIES, SnatConfig.DEFAULT_MAX_NAT_ADDRESSES);
        }
    }

    /**
     * Service load balancing; see {@link LbConfig} for the capacities.
     *
     * @param defaultAlgorithm backend selection unless a Service's annotation picks another
     * @param noBackendAction  what a connection to a service without a usable backend gets
     * @param hairpinAddress   source of a pod's connection to itself through a service
     */
    public record Services(int nodePortMin, int nodePortMax, Algorithm defaultAlgorithm, int maglevTableSize,
                           ServiceSpec.NoBackendAction noBackendAction, IpAddress hairpinAddress, int maxServicePorts,
                           int maxFrontends, int maxBackends, int maxBackendsPerService, int maxMaglevTables,
                           int maxAffinityEntries) {
        /** Returns: Kubernetes' NodePort range, random selection (kube-proxy's), REJECT, {@link LbConfig#defaults} sizes. */
        public static Services defaults() {
            LbConfig lb = LbConfig.defaults(List.of());
            return new Services(lb.nodePortMin(), lb.nodePortMax(), Algorithm.RANDOM, lb.maglevTableSize(),
                    ServiceSpec.NoBackendAction.REJECT, IpAddress.parse(DEFAULT_HAIRPIN_ADDRESS), lb.maxServices(),
                    lb.maxFrontends(), lb.maxBackends(), lb.maxBackendsPerService(), lb.maxMaglevTables(),
                    lb.maxAffinityEntries());
        }
    }

    /** Conntrack table sizes and lifetimes (Cilium's defaults), lifetimes in seconds as operators write them. */
    public record Conntrack(int tcpEntries, int otherEntries, int tcpSynSeconds, int tcpEstablishedSeconds,
                            int tcpCloseSeconds, int otherSeconds) {
        public static Conntrack defaults() {
            CtLifetimes l = CtLifetimes.defaults();
            return new Conntrack(CtConfig.DEFAULT_TCP_MAX_ENTRIES, CtConfig.DEFAULT_NON_TCP_MAX_ENTRIES,
                    seconds(l.tcpSynNs()), seconds(l.tcpEstablishedNs()), seconds(l.tcpCloseNs()), seconds(l.nonTcpNs()));
        }

        private static int seconds(long ns) {
            return (int) TimeUnit.NANOSECONDS.toSeconds(ns);
        }
    }

    /**
     * Flow event rings.
     *
     * @param ringRecords records per worker ring (a power of two)
     * @param sampleEvery write one accepted event in this many
     */
    public record Flows(int ringRecords, int sampleEvery) {
        public static Flows defaults() {
            return new Flows(4096, 1);
        }
    }

    /**
     * Sizes of the maps the daemon creates beside the service, conntrack and SNAT maps.
     *
     * @param ipcacheEntries prefixes per family (pods, other nodes' pod CIDRs, policy CIDRs)
     * @param endpoints      local pods (endpoint slots)
     * @param nodes          other nodes (tunnel peers)
     * @param egressSources  pod addresses egress gateway policies select (per family)
     * @param egressRules    (selection, destination) rules of egress gateway policies (per family)
     * @param policyRows     policy rows; twice the steady state (old and new tables coexist while publishing)
     * @param policyPortSets distinct policy port sets (8 KiB each)
     */
    public record Capacities(int ipcacheEntries, int endpoints, int nodes, int egressSources, int egressRules,
                             int policyRows, int policyPortSets) {
        public static Capacities defaults() {
            return new Capacities(65_536, 256, 256, 4096, 4096, 65_536, 256);
        }
    }

    NodeConfig(Builder b) {
        this.nodeName = b.nodeName;
        this.nodeAddresses = List.copyOf(b.nodeAddresses);
        this.podCidrs = List.copyOf(b.podCidrs);
        this.clusterCidrs = List.copyOf(b.clusterCidrs);
        this.serviceCidrs = List.copyOf(b.serviceCidrs);
        this.gateway = b.gateway;
        this.underlay = b.underlay;
        this.tunnel = b.tunnel;
        this.masquerade = b.masquerade;
        this.services = b.services;
        this.conntrack = b.conntrack;
        this.workers = b.workers;
        this.threading = b.threading;
        this.idleStrategy = b.idleStrategy;
        this.pinDirectory = b.pinDirectory;
        this.api = b.api;
        this.flows = b.flows;
        this.policyAuditMode = b.policyAuditMode;
        this.keepDevicesOnStop = b.keepDevicesOnStop;
        this.maps = b.maps;
        this.gatewayDerived = b.gatewayDerived;
        this.underlayAddressDerived = b.underlayAddressDerived;
    }

    // ---- entry points -----------------------------------------------------------------------------

    /**
     * Reads and validates the node configuration file.
     *
     * @throws ConfigException listing every problem, each with the file name and its YAML path
     */
    public static NodeConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(file.toString(), List.of(new Problems.Problem("", "cannot read the file: " + e)));
        }
        return parse(text, file.toString());
    }

    /**
     * Parses and validates a node configuration.
     *
     * @param source how to name the input in messages (the file name)
     * @throws ConfigException listing every problem
     */
    public static NodeConfig parse(String yaml, String source) {
        return NodeConfigYaml.parse(yaml, source);
    }

    /**
     * A valid configuration with every default, for tests and replay: underlay interface eth0 at
     * {@code nodeAddress}, VXLAN.
     *
     * @throws ConfigException when the arguments do not make a valid configuration
     */
    public static NodeConfig defaults(String nodeName, String nodeAddress, String podCidr, String clusterCidr,
                                      String serviceCidr) {
        return builder(nodeName, "eth0")
                .nodeAddresses(List.of(IpAddress.parse(nodeAddress)))
                .podCidrs(List.of(Cidr.parse(podCidr)))
                .clusterCidrs(List.of(Cidr.parse(clusterCidr)))
                .serviceCidrs(List.of(Cidr.parse(serviceCidr)))
                .build();
    }

    /** Returns: a builder with every default; node addresses and CIDRs must still be given. */
    public static Builder builder(String nodeName, String underlayInterface) {
        return new Builder(nodeName, underlayInterface);
    }

    /** Returns: a builder holding this configuration, to change a few settings (tests, replay). */
    public Builder toBuilder() {
        Builder b = new Builder(nodeName, underlay.interfaceName());
        b.nodeAddresses = nodeAddresses;
        b.podCidrs = podCidrs;
        b.clusterCidrs = clusterCidrs;
        b.serviceCidrs = serviceCidrs;
        b.gateway = gatewayDerived ? new Gateway(List.of(), gateway.mac()) : gateway;
        b.underlay = underlayAddressDerived
                ? new Underlay(underlay.interfaceName(), null, underlay.mac(), underlay.nextHopMac(), underlay.mtuBytes(),
                underlay.gateway(), underlay.subnet(), underlay.batch(), underlay.udpGso())
                : underlay;
        b.tunnel = tunnel;
        b.masquerade = masquerade;
        b.services = services;
        b.conntrack = conntrack;
        b.workers = workers;
        b.threading = threading;
        b.idleStrategy = idleStrategy;
        b.pinDirectory = pinDirectory;
        b.api = api;
        b.flows = flows;
        b.policyAuditMode = policyAuditMode;
        b.keepDevicesOnStop = keepDevicesOnStop;
        b.maps = maps;
        return b;
    }

    // ---- the configurations of the modules below ----------------------------------------------------

    /**
     * Returns: the overlay configuration.
     *
     * @param underlayPort          the port number (verdict TX argument) the daemon gave the underlay interface
     * @param interfaceUnderlayMac  the MAC read from the underlay interface; used unless {@code underlay.mac} is configured
     */
    public TunnelConfig tunnelConfig(int underlayPort, long interfaceUnderlayMac) {
        IpAddress router4 = firstOfFamily(gateway.addresses(), true);
        IpAddress router6 = firstOfFamily(gateway.addresses(), false);
        TunnelConfig.Builder b = TunnelConfig.builder(tunnel.mode(), underlay.address().v4(),
                        underlay.mac() != 0 ? underlay.mac() : interfaceUnderlayMac, underlayPort, router4.v4(), gateway.mac())
                .underlayMtuBytes(underlay.mtuBytes())
                .vxlanPort(tunnel.vxlanPort())
                .vni(tunnel.vni())
                .identityInVni(tunnel.identityInVni())
                .outerUdpChecksum(tunnel.udpChecksum())
                .outerTtl(tunnel.outerTtl())
                .outerDf(tunnel.outerDf())
                .clampMss(tunnel.clampMss())
                .fragmentInner(tunnel.fragment())
                .icmpErrors(tunnel.icmpErrorsPerSecond(), tunnel.icmpErrorBurst())
                .udpGso(underlay.udpGso());
        if (router6 != null) {
            b.routerIpv6(router6.hi(), router6.lo());
        }
        return b.build();
    }

    /** Returns: the service load balancer's configuration (NodePorts on every node address). */
    public LbConfig lbConfig() {
        return new LbConfig(nodeAddresses, services.nodePortMin(), services.nodePortMax(), services.maxServicePorts(),
                services.maxFrontends(), services.maxBackends(), services.maxBackendsPerService(), services.maxMaglevTables(),
                services.maglevTableSize(), services.maxAffinityEntries(), workers);
    }

    /**
     * Returns: the SNAT configuration: masquerade behind the first IPv4 (and first IPv6) node
     * address; cluster CIDRs and service CIDRs are never masqueraded.
     */
    public SnatConfig snatConfig() {
        IpAddress v6 = firstOfFamily(nodeAddresses, false);
        return new SnatConfig(masqueradeAddress().v4(), v6 == null ? 0 : v6.hi(), v6 == null ? 0 : v6.lo(),
                masquerade.minPort(), masquerade.maxPort(), clusterCidrs, serviceCidrs, masquerade.nonMasqueradeCidrs(),
                masquerade.mapEntries(), masquerade.maxNatAddresses());
    }

    /** Returns: the conntrack configuration. */
    public CtConfig ctConfig() {
        return new CtConfig(conntrack.tcpEntries(), conntrack.otherEntries(), new CtLifetimes(
                TimeUnit.SECONDS.toNanos(conntrack.tcpSynSeconds()), TimeUnit.SECONDS.toNanos(conntrack.tcpEstablishedSeconds()),
                TimeUnit.SECONDS.toNanos(conntrack.tcpCloseSeconds()), TimeUnit.SECONDS.toNanos(conntrack.otherSeconds())));
    }

    /** Returns: the address pod traffic is masqueraded behind: the first IPv4 node address. */
    public IpAddress masqueradeAddress() {
        return firstOfFamily(nodeAddresses, true);
    }

    static IpAddress firstOfFamily(List<IpAddress> addresses, boolean ipv4) {
        for (IpAddress address : addresses) {
            if (address.ipv4() == ipv4) {
                return address;
            }
        }
        return null;
    }

    // ---- node-level settings ----------------------------------------------------------------------

    /** Returns: this node's name: the Node object that is this node, and the nodeName of local pods. */
    public String nodeName() {
        return nodeName;
    }

    /** Returns: the node's addresses; every one serves NodePorts, the first IPv4 one is the masquerade address. */
    public List<IpAddress> nodeAddresses() {
        return nodeAddresses;
    }

    /** Returns: this node's pod CIDRs (at most one per family). */
    public List<Cidr> podCidrs() {
        return podCidrs;
    }

    /** Returns: every pod CIDR of the cluster (never masqueraded). */
    public List<Cidr> clusterCidrs() {
        return clusterCidrs;
    }

    /** Returns: the service CIDRs (at most one per family); ClusterIPs must lie inside. */
    public List<Cidr> serviceCidrs() {
        return serviceCidrs;
    }

    public Gateway gateway() {
        return gateway;
    }

    public Underlay underlay() {
        return underlay;
    }

    public Tunnel tunnel() {
        return tunnel;
    }

    public Masquerade masquerade() {
        return masquerade;
    }

    public Services services() {
        return services;
    }

    public Conntrack conntrack() {
        return conntrack;
    }

    /** Returns: the number of worker agents. */
    public int workers() {
        return workers;
    }

    public ThreadingMode threading() {
        return threading;
    }

    public IdleStrategyConfig idleStrategy() {
        return idleStrategy;
    }

    /** Returns: where maps are pinned (they survive a restart), or empty for anonymous maps. */
    public Optional<Path> pinDirectory() {
        return Optional.ofNullable(pinDirectory);
    }

    public ApiEndpoint api() {
        return api;
    }

    public Flows flows() {
        return flows;
    }

    /** Returns: whether local pods' policy runs in audit mode (would-deny passes and is reported). */
    public boolean policyAuditMode() {
        return policyAuditMode;
    }

    /**
     * Returns: whether a normal stop (SIGTERM) leaves the pods' TAP devices and {@code gingham_host}
     * in place for the next start ({@code restart.keepDevices}: an upgrade that keeps the pods'
     * interfaces and connections), instead of deleting them. Needs {@link #pinDirectory()}, where
     * the daemon records its devices. A daemon that dies (kill -9) leaves them either way when the
     * maps are pinned.
     */
    public boolean keepDevicesOnStop() {
        return keepDevicesOnStop;
    }

    /** Returns: the sizes of the maps the daemon creates. */
    public Capacities maps() {
        return maps;
    }

    @Override
    public String toString() {
        return "NodeConfig[" + nodeName + " " + nodeAddresses + " pods " + podCidrs + " " + tunnel.mode() + "]";
    }

    /** Collects settings; {@link #build} validates them all at once (the same checks as the file). */
    public static final class Builder {
        String nodeName;
        List<IpAddress> nodeAddresses = List.of();
        List<Cidr> podCidrs = List.of();
        List<Cidr> clusterCidrs = List.of();
        List<Cidr> serviceCidrs = List.of();
        /** Empty addresses: the first host of each pod CIDR. */
        Gateway gateway = new Gateway(List.of(), DEFAULT_GATEWAY_MAC);
        /** A null address: the first IPv4 node address. */
        Underlay underlay;
        Tunnel tunnel = Tunnel.defaults(TunnelMode.VXLAN);
        Masquerade masquerade = Masquerade.defaults();
        Services services = Services.defaults();
        Conntrack conntrack = Conntrack.defaults();
        int workers = DEFAULT_WORKERS;
        ThreadingMode threading = ThreadingMode.DEDICATED;
        IdleStrategyConfig idleStrategy = IdleStrategyConfig.defaults();
        Path pinDirectory;
        ApiEndpoint api = ApiEndpoint.parse(ApiEndpoint.DEFAULT);
        Flows flows = Flows.defaults();
        boolean policyAuditMode;
        boolean keepDevicesOnStop;
        Capacities maps = Capacities.defaults();
        boolean gatewayDerived;
        boolean underlayAddressDerived;

        Builder(String nodeName, String underlayInterface) {
            this.nodeName = nodeName;
            this.underlay = new Underlay(underlayInterface, null, 0, 0, TunnelConfig.DEFAULT_UNDERLAY_MTU_BYTES);
        }

        public Builder nodeName(String name) {
            this.nodeName = name;
            return this;
        }

        public Builder nodeAddresses(List<IpAddress> addresses) {
            this.nodeAddresses = List.copyOf(addresses);
            return this;
        }

        public Builder podCidrs(List<Cidr> cidrs) {
            this.podCidrs = List.copyOf(cidrs);
            return this;
        }

        public Builder clusterCidrs(List<Cidr> cidrs) {
            this.clusterCidrs = List.copyOf(cidrs);
            return this;
        }

        public Builder serviceCidrs(List<Cidr> cidrs) {
            this.serviceCidrs = List.copyOf(cidrs);
            return this;
        }

        public Builder gateway(Gateway value) {
            this.gateway = value;
            return this;
        }

        public Builder underlay(Underlay value) {
            this.underlay = value;
            return this;
        }

        public Builder tunnel(Tunnel value) {
            this.tunnel = value;
            return this;
        }

        /** Sets the tunnel mode with that mode's defaults for the other tunnel settings. */
        public Builder tunnelMode(TunnelMode mode) {
            this.tunnel = Tunnel.defaults(mode);
            return this;
        }

        public Builder masquerade(Masquerade value) {
            this.masquerade = value;
            return this;
        }

        public Builder services(Services value) {
            this.services = value;
            return this;
        }

        public Builder conntrack(Conntrack value) {
            this.conntrack = value;
            return this;
        }

        public Builder workers(int count) {
            this.workers = count;
            return this;
        }

        public Builder threading(ThreadingMode mode) {
            this.threading = mode;
            return this;
        }

        public Builder idleStrategy(IdleStrategyConfig value) {
            this.idleStrategy = value;
            return this;
        }

        /** Sets where maps are pinned; null for anonymous maps. */
        public Builder pinDirectory(Path directory) {
            this.pinDirectory = directory;
            return this;
        }

        public Builder api(ApiEndpoint endpoint) {
            this.api = endpoint;
            return this;
        }

        public Builder flows(Flows value) {
            this.flows = value;
            return this;
        }

        public Builder policyAuditMode(boolean audit) {
            this.policyAuditMode = audit;
            return this;
        }

        /** Sets {@code restart.keepDevices} (see {@link NodeConfig#keepDevicesOnStop()}). */
        public Builder keepDevicesOnStop(boolean keep) {
            this.keepDevicesOnStop = keep;
            return this;
        }

        public Builder maps(Capacities value) {
            this.maps = value;
            return this;
        }

        /**
         * Validates everything and fills in the defaults that depend on other settings.
         *
         * @throws ConfigException listing every problem, by YAML path
         */
        public NodeConfig build() {
            return build("node configuration", Problems.collecting());
        }

        /** Validates with problems already found while reading {@code source} (reported together). */
        NodeConfig build(String source, Problems problems) {
            NodeConfigCheck.check(this, problems);
            if (!problems.isEmpty()) {
                throw new ConfigException(source, problems.all());
            }
            return new NodeConfig(this);
        }
    }
}
