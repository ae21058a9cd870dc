package dev.gingham.dataplane.config;

import dev.gingham.conntrack.CtConfig;
import dev.gingham.encap.OuterDf;
import dev.gingham.encap.TunnelConfig;
import dev.gingham.encap.TunnelMode;
import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.Algorithm;
import dev.gingham.nat.lb.LbConfig;
import dev.gingham.nat.lb.ServiceSpec;
import dev.gingham.nat.snat.SnatConfig;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.header.Addresses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

public class NodeConfigTest {

    /** Only what has no default (other packages' tests build on it). */
    public static final String MINIMAL = """
            nodeName: node-a
            nodeAddresses: [192.168.50.10]
            podCIDRs: [10.244.1.0/24]
            clusterCIDRs: [10.244.0.0/16]
            serviceCIDRs: [10.96.0.0/12]
            underlay:
              interface: eth0
            """;

    /** Every key, none at its default. */
    static final String FULL = """
            nodeName: node-a
            nodeAddresses: [192.168.50.10, 192.168.60.10, "fd00:50::10"]
            podCIDRs: [10.244.1.0/24, "fd00:244:1::/64"]
            clusterCIDRs: [10.244.0.0/16, "fd00:244::/32"]
            serviceCIDRs: [10.96.0.0/12, "fd00:96::/108"]
            gateway:
              addresses: [10.244.1.254, "fd00:244:1::fe"]
              mac: "02:aa:bb:cc:dd:ee"
            underlay:
              interface: ens3
              address: 192.168.50.10
              mac: "52:54:00:12:34:56"
              nextHopMac: "52:54:00:65:43:21"
              mtuBytes: 9000
              batch: false
            tunnel:
              mode: geneve
              vxlanPort: 4789
              vni: 42
              identityInVni: true
              outerDf: inherit
              udpChecksum: true
              clampMss: false
              fragment: false
              outerTtl: 32
              icmpErrorsPerSecond: 100
              icmpErrorBurst: 10
            masquerade:
              enabled: false
              nonMasqueradeCIDRs: [172.16.0.0/12]
              portRange: 40000-50000
              mapEntries: 1024
              maxNatAddresses: 4
            services:
              nodePortRange: 31000-31999
              defaultAlgorithm: maglev
              maglevTableSize: 251
              noBackendAction: drop
              hairpinAddress: 169.254.7.1
              maxServicePorts: 100
              maxFrontends: 400
              maxBackends: 1000
              maxBackendsPerService: 50
              maxMaglevTables: 20
              maxAffinityEntries: 2048
            conntrack:
              tcpEntries: 1000
              otherEntries: 500
              lifetimes:
                tcpSynSeconds: 30
                tcpEstablishedSeconds: 3600
                tcpCloseSeconds: 5
                otherSeconds: 20
            workers: 4
            threading: shared
            idleStrategy:
              strategy: backoff
              maxSpins: 100
              maxYields: 50
              minParkMicros: 10
              maxParkMicros: 500
              sleepMicros: 200
            pinDirectory: /sys/fs/gingham
            api:
              listen: unix:/run/gingham/api.sock
            flows:
              ringRecords: 1024
              sampleEvery: 10
            policy:
              auditMode: true
            restart:
              keepDevices: true
            maps:
              ipcacheEntries: 1000
              endpoints: 64
              nodes: 16
              egressSources: 128
              egressRules: 256
              policyRows: 2048
              policyPortSets: 32
            """;

    @Test
    void shouldReadTheUnderlayGatewayAndSubnetWhenNeighbourResolutionReplacesNextHopMac() {
        NodeConfig c = NodeConfig.parse(MINIMAL + "  gateway: 192.168.50.1\n  subnet: 192.168.50.0/24\n", "node.yaml");
        assertEquals(IpAddress.parse("192.168.50.1"), c.underlay().gateway());
        assertEquals(Cidr.parse("192.168.50.0/24"), c.underlay().subnet());
        assertEquals(0, c.underlay().nextHopMac(), "no static next hop: ARP finds the gateway");
        NodeConfig plain = NodeConfig.parse(MINIMAL, "node.yaml");
        assertEquals(null, plain.underlay().gateway());
        assertEquals(null, plain.underlay().subnet());
    }

    private static ConfigException failure(String yaml) {
        return assertThrows(ConfigException.class, () -> NodeConfig.parse(yaml, "node.yaml"));
    }

    @Test
    void shouldReadEveryKeyWhenTheFileSetsThem() {
        NodeConfig c = NodeConfig.parse(FULL, "node.yaml");
        assertEquals("node-a", c.nodeName());
        assertEquals(List.of(IpAddress.parse("192.168.50.10"), IpAddress.parse("192.168.60.10"), IpAddress.parse("fd00:50::10")),
                c.nodeAddresses());
        assertEquals(List.of(Cidr.parse("10.244.1.0/24"), Cidr.parse("fd00:244:1::/64")), c.podCidrs());
        assertEquals(List.of(IpAddress.parse("10.244.1.254"), IpAddress.parse("fd00:244:1::fe")), c.gateway().addresses());
        assertEquals(ThreadingMode.SHARED, c.threading());
        assertEquals(new IdleStrategyConfig(IdleStrategyConfig.Kind.BACKOFF, 100, 50, 10_000, 500_000, 200_000), c.idleStrategy());
        assertEquals(Path.of("/sys/fs/gingham"), c.pinDirectory().orElseThrow());
        assertEquals("unix:/run/gingham/api.sock", c.api().toString());
        assertEquals(new NodeConfig.Flows(1024, 10), c.flows());
        assertTrue(c.policyAuditMode());
        assertTrue(c.keepDevicesOnStop());
        assertFalse(c.underlay().batch(), "underlay.batch: false");
        assertEquals(new NodeConfig.Capacities(1000, 64, 16, 128, 256, 2048, 32), c.maps());
        assertFalse(c.masquerade().enabled());
        assertEquals(4, c.workers());

        TunnelConfig t = c.tunnelConfig(7, 0x0A_0B_0C_0D_0E_0FL);
        assertEquals(TunnelMode.GENEVE, t.mode());
        assertEquals(9000, t.underlayMtuBytes());
        assertEquals(Addresses.parseIpv4("192.168.50.10"), t.underlayAddress());
        assertEquals(Addresses.parseMac("52:54:00:12:34:56"), t.underlayMac(), "the configured MAC wins over the interface's");
        assertEquals(7, t.underlayPort());
        assertEquals(Addresses.parseMac("02:aa:bb:cc:dd:ee"), t.routerMac());
        assertEquals(Addresses.parseIpv4("10.244.1.254"), t.routerIpv4());
        assertEquals(IpAddress.parse("fd00:244:1::fe"), new IpAddress(t.routerIpv6Hi(), t.routerIpv6Lo()));
        assertEquals(4789, t.vxlanPort());
        assertEquals(42, t.vni());
        assertTrue(t.identityInVni());
        assertTrue(t.outerUdpChecksum());
        assertEquals(32, t.outerTtl());
        assertEquals(OuterDf.INHERIT, t.outerDf());
        assertFalse(t.clampMss());
        assertFalse(t.fragmentInner());
        assertEquals(100, t.icmpErrorsPerSecond());
        assertEquals(10, t.icmpErrorBurst());

        assertEquals(new LbConfig(c.nodeAddresses(), 31000, 31999, 100, 400, 1000, 50, 20, 251, 2048, 4), c.lbConfig());
        assertEquals(Algorithm.MAGLEV, c.services().defaultAlgorithm());
        assertEquals(ServiceSpec.NoBackendAction.DROP, c.services().noBackendAction());
        assertEquals(IpAddress.parse("169.254.7.1"), c.services().hairpinAddress());

        SnatConfig s = c.snatConfig();
        assertEquals(Addresses.parseIpv4("192.168.50.10"), s.nodeIpv4());
        assertEquals(IpAddress.parse("fd00:50::10"), new IpAddress(s.nodeIpv6Hi(), s.nodeIpv6Lo()));
        assertEquals(40000, s.minPort());
        assertEquals(50000, s.maxPort());
        assertEquals(List.of(Cidr.parse("10.244.0.0/16"), Cidr.parse("fd00:244::/32")), s.podCidrs(), "all pods, not only this node's");
        assertEquals(List.of(Cidr.parse("10.96.0.0/12"), Cidr.parse("fd00:96::/108")), s.serviceCidrs());
        assertEquals(List.of(Cidr.parse("172.16.0.0/12")), s.nonMasqueradeCidrs());
        assertEquals(1024, s.mapEntries());
        assertEquals(4, s.maxNatAddresses());

        CtConfig ct = c.ctConfig();
        assertEquals(1000, ct.tcpMaxEntries());
        assertEquals(500, ct.nonTcpMaxEntries());
        assertEquals(TimeUnit.SECONDS.toNanos(30), ct.lifetimes().tcpSynNs());
        assertEquals(TimeUnit.SECONDS.toNanos(3600), ct.lifetimes().tcpEstablishedNs());
        assertEquals(TimeUnit.SECONDS.toNanos(5), ct.lifetimes().tcpCloseNs());
        assertEquals(TimeUnit.SECONDS.toNanos(20), ct.lifetimes().nonTcpNs());
    }

    @Test
    void shouldFillDefaultsWhenOnlyRequiredKeysAreGiven() {
        NodeConfig c = NodeConfig.parse(MINIMAL, "node.yaml");
        assertEquals(List.of(IpAddress.parse("10.244.1.1")), c.gateway().addresses(), "first host of the pod CIDR");
        assertEquals(NodeConfig.DEFAULT_GATEWAY_MAC, c.gateway().mac());
        assertEquals(IpAddress.parse("192.168.50.10"), c.underlay().address(), "first IPv4 node address");
        assertEquals(0, c.underlay().mac(), "read from the interface by the daemon");
        assertTrue(c.underlay().batch(), "batched underlay I/O unless switched off");
        TunnelConfig t = c.tunnelConfig(1, 0x52_54_00_00_00_01L);
        assertEquals(0x52_54_00_00_00_01L, t.underlayMac());
        assertEquals(TunnelMode.VXLAN, t.mode());
        assertEquals(8472, t.vxlanPort());
        assertEquals(1, t.vni());
        assertEquals(1500, t.underlayMtuBytes());
        assertEquals(1450, t.podMtuBytes());
        assertTrue(t.clampMss());
        assertTrue(t.fragmentInner());
        assertFalse(t.hasRouterIpv6());
        assertEquals(LbConfig.defaults(c.nodeAddresses()), c.lbConfig());
        assertEquals(SnatConfig.of("192.168.50.10", List.of("10.244.0.0/16"), List.of("10.96.0.0/12")), c.snatConfig());
        assertEquals(CtConfig.defaults(), c.ctConfig());
        assertTrue(c.masquerade().enabled());
        assertEquals(Algorithm.RANDOM, c.services().defaultAlgorithm());
        assertEquals(ServiceSpec.NoBackendAction.REJECT, c.services().noBackendAction());
        assertEquals(IpAddress.parse("169.254.42.1"), c.services().hairpinAddress());
        assertEquals(1, c.workers());
        assertEquals(ThreadingMode.DEDICATED, c.threading());
        assertEquals(IdleStrategyConfig.defaults(), c.idleStrategy());
        assertEquals(IdleStrategyConfig.Kind.ADAPTIVE, c.idleStrategy().kind());
        assertTrue(c.pinDirectory().isEmpty());
        assertEquals("127.0.0.1:9890", c.api().toString());
        assertEquals(NodeConfig.Flows.defaults(), c.flows());
        assertFalse(c.policyAuditMode());
        assertFalse(c.keepDevicesOnStop(), "a normal stop deletes the devices");
        assertEquals(NodeConfig.Capacities.defaults(), c.maps());
    }

    @Test
    void shouldMatchTheParsedFileWhenBuiltWithDefaults() {
        NodeConfig built = NodeConfig.defaults("node-a", "192.168.50.10", "10.244.1.0/24", "10.244.0.0/16", "10.96.0.0/12");
        NodeConfig parsed = NodeConfig.parse(MINIMAL, "node.yaml");
        assertEquals(parsed.tunnelConfig(1, 0x52_54_00_00_00_01L), built.tunnelConfig(1, 0x52_54_00_00_00_01L));
        assertEquals(parsed.lbConfig(), built.lbConfig());
        assertEquals(parsed.snatConfig(), built.snatConfig());
        assertEquals(parsed.gateway(), built.gateway());
        NodeConfig geneve = built.toBuilder().tunnelMode(TunnelMode.GENEVE).workers(2).build();
        assertEquals(TunnelMode.GENEVE, geneve.tunnelConfig(1, 0x52_54_00_00_00_01L).mode());
        assertEquals(2, geneve.lbConfig().workers());
        assertEquals(built.podCidrs(), geneve.podCidrs());
        NodeConfig moved = built.toBuilder().podCidrs(List.of(Cidr.parse("10.244.7.0/24")))
                .nodeAddresses(List.of(IpAddress.parse("192.168.50.77"))).build();
        assertEquals(List.of(IpAddress.parse("10.244.7.1")), moved.gateway().addresses(), "derived again from the new pod CIDR");
        assertEquals(IpAddress.parse("192.168.50.77"), moved.underlay().address(), "derived again from the new node address");
    }

    @Test
    void shouldNameTheUnknownKeyAndTheNearestKnownOneWhenAKeyIsMisspelt() {
        ConfigException e = failure(MINIMAL + "tunnel:\n  vnii: 7\n");
        assertEquals("node.yaml: tunnel.vnii: unknown field (did you mean vni?); expected one of mode, vxlanPort, vni, "
                + "identityInVni, outerDf, udpChecksum, clampMss, fragment, outerTtl, icmpErrorsPerSecond, icmpErrorBurst",
                e.getMessage());
    }

    @Test
    void shouldRejectAnUnknownTopLevelKeyWhenNothingIsClose() {
        ConfigException e = failure(MINIMAL + "kubeProxyReplacement: true\n");
        assertEquals(List.of("kubeProxyReplacement"), e.problems().stream().map(Problems.Problem::path).toList());
        assertTrue(e.getMessage().startsWith("node.yaml: kubeProxyReplacement: unknown field; expected one of nodeName, "),
                e.getMessage());
    }

    @Test
    void shouldListEveryProblemWhenSeveralFieldsAreBad() {
        ConfigException e = failure("""
                nodeName: Node_A
                nodeAddresses: [192.168.50.10]
                podCIDRs: [10.245.1.0/24]
                clusterCIDRs: [10.244.0.0/16]
                serviceCIDRs: [10.96.0.0/12]
                underlay:
                  interface: eth0
                tunnel:
                  vni: 16777216
                  mode: vxlan
                api:
                  listen: 0.0.0.0:9890
                workers: zero
                """);
        assertEquals("""
                node.yaml: 5 problems:
                  tunnel.vni: must be 0..16777215, got 16777216
                  workers: must be an integer 1..256, not 'zero'
                  api.listen: '0.0.0.0:9890': 0.0.0.0 is not a loopback address; the admin API is node-local only \
                (use 127.0.0.1, [::1] or unix:/path)
                  nodeName: 'Node_A' is not a DNS subdomain (lowercase letters, digits, '-', '.')
                  podCIDRs[0]: 10.245.1.0/24 is not inside any of clusterCIDRs [10.244.0.0/16]""", e.getMessage());
        assertEquals(List.of("tunnel.vni", "workers", "api.listen", "nodeName", "podCIDRs[0]"),
                e.problems().stream().map(Problems.Problem::path).toList());
    }

    /** One case per kind of field: path and exact message. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "integer out of range | workers: 0 | workers | must be 1..256, got 0",
            "integer given as text | tunnel:\\n  vxlanPort: \"8472\" | tunnel.vxlanPort | must be an integer 1..65535, not '8472'",
            "fraction for an integer | tunnel:\\n  outerTtl: 1.5 | tunnel.outerTtl | must be an integer 1..255, not 1.5",
            "boolean spelt yes | tunnel:\\n  fragment: yes | tunnel.fragment | must be true or false, not 'yes'",
            "unknown choice | tunnel:\\n  mode: vxlam | tunnel.mode | must be one of vxlan, geneve, ipip, native, not 'vxlam'",
            "unknown algorithm | services:\\n  defaultAlgorithm: least-conn | services.defaultAlgorithm | must be one of random, round-robin, source-hash, maglev, not 'least-conn'",
            "bad address | underlay:\\n  interface: eth0\\n  address: 192.168.50.300 | underlay.address | ",
            "IPv6 underlay | underlay:\\n  interface: eth0\\n  address: \"fd00::1\" | underlay.address | fd00::1 must be a unicast IPv4 address (an IPv6 underlay is not built)",
            "bad MAC | gateway:\\n  mac: 02:00:00:00:00 | gateway.mac | ",
            "multicast MAC | gateway:\\n  mac: \"01:00:5e:00:00:01\" | gateway.mac | 01:00:5e:00:00:01 must be a unicast, non-zero MAC",
            "string for a list | masquerade:\\n  nonMasqueradeCIDRs: 172.16.0.0/12 | masquerade.nonMasqueradeCIDRs | must be a list, not '172.16.0.0/12'",
            "host bits | masquerade:\\n  nonMasqueradeCIDRs: [172.16.0.1/12] | masquerade.nonMasqueradeCIDRs[0] | 172.16.0.1/12 has host bits set (did you mean 172.16.0.0/12?)",
            "port range text | services:\\n  nodePortRange: 30000 | services.nodePortRange | must be a string, not 30000 (quote it)",
            "port range shape | services:\\n  nodePortRange: 30000..32767 | services.nodePortRange | '30000..32767' is not a range MIN-MAX (e.g. 30000-32767)",
            "port range overlap | masquerade:\\n  portRange: 30000-40000 | masquerade.portRange | 30000-40000 overlaps services.nodePortRange 30000-32767: replies to masqueraded flows and NodePort connections would share ports",
            "Maglev size not prime | services:\\n  maglevTableSize: 16384 | services.maglevTableSize | 16384 is not prime (Maglev needs a prime table size, e.g. 16381 or 65521)",
            "IPv6 underlay gateway | underlay:\\n  interface: eth0\\n  gateway: \"fd00::1\" | underlay.gateway | fd00::1 must be a unicast IPv4 address (the underlay router)",
            "router off the subnet | underlay:\\n  interface: eth0\\n  gateway: 10.0.0.1\\n  subnet: 192.168.50.0/24 | underlay.subnet | 192.168.50.0/24 does not contain underlay.gateway 10.0.0.1 (the router must be on the node's link)",
            "node off the subnet | underlay:\\n  interface: eth0\\n  gateway: 192.168.60.1\\n  subnet: 192.168.60.0/24 | underlay.subnet | 192.168.60.0/24 does not contain the underlay address 192.168.50.10",
            "subnet without a router | underlay:\\n  interface: eth0\\n  subnet: 192.168.50.0/24 | underlay.subnet | is set but underlay.gateway is not: peers outside 192.168.50.0/24 would have no next hop",
            "MTU too small for the mode | underlay:\\n  interface: eth0\\n  mtuBytes: 1300 | underlay.mtuBytes | must be 1330..65535 in vxlan mode, got 1300 (50 bytes of overhead, and pods need at least 1280 for IPv6)",
            "VNI without a UDP tunnel | tunnel:\\n  mode: ipip\\n  identityInVni: true | tunnel.identityInVni | needs a VNI: only vxlan and geneve carry one, not ipip",
            "Geneve port for VXLAN | tunnel:\\n  vxlanPort: 6081 | tunnel.vxlanPort | 6081 is Geneve's port",
            "non-loopback API | api:\\n  listen: 192.168.50.10:9890 | api.listen | '192.168.50.10:9890': 192.168.50.10 is not a loopback address; the admin API is node-local only (use 127.0.0.1, [::1] or unix:/path)",
            "relative pin directory | pinDirectory: pins | pinDirectory | 'pins' must be an absolute path",
            "kept devices without pins | restart:\\n  keepDevices: true | restart.keepDevices | needs pinDirectory (the daemon records its devices there, and without pinned maps the kept devices' connections would not survive anyway)",
            "ring not a power of two | flows:\\n  ringRecords: 1000 | flows.ringRecords | must be a power of two 2..16777216, got 1000",
            "park order | idleStrategy:\\n  strategy: backoff\\n  minParkMicros: 100\\n  maxParkMicros: 10 | idleStrategy.maxParkMicros | must be at least minParkMicros (100), got 10",
            "idle strategy name | idleStrategy: spin | idleStrategy | must be one of busy-spin, yield, backoff, sleep, adaptive, not 'spin'",
            "hairpin in the cluster | services:\\n  hairpinAddress: 10.244.9.9 | services.hairpinAddress | 10.244.9.9 must not be a pod, service or node address",
            "gateway outside the pod CIDR | gateway:\\n  addresses: [10.244.2.1] | gateway.addresses[0] | 10.244.2.1 is not inside podCIDRs[0] 10.244.1.0/24",
            "lifetime zero | conntrack:\\n  lifetimes:\\n    tcpSynSeconds: 0 | conntrack.lifetimes.tcpSynSeconds | must be 1..2147483647, got 0",
            "capacity zero | maps:\\n  endpoints: 0 | maps.endpoints | must be 1..2147483647, got 0",
            "NAT addresses too many | masquerade:\\n  maxNatAddresses: 2000 | masquerade.maxNatAddresses | must be 1..1024, got 2000",
    })
    void shouldNameTheFieldAndTheReasonWhenOneFieldIsBad(String kind, String extra, String path, String message) {
        String yaml = MINIMAL + extra.replace("\\n", "\n") + "\n";
        if (extra.startsWith("underlay:")) {
            yaml = MINIMAL.replace("underlay:\n  interface: eth0\n", "") + extra.replace("\\n", "\n") + "\n";
        }
        ConfigException e = failure(yaml);
        assertEquals(1, e.problems().size(), e.getMessage());
        assertEquals(path, e.problems().getFirst().path(), e.getMessage());
        if (message != null) {
            assertEquals(message, e.problems().getFirst().message());
        }
        assertTrue(e.getMessage().startsWith("node.yaml: " + path + ": "), e.getMessage());
    }

    @Test
    void shouldReportMissingRequiredKeysWhenTheFileIsNearlyEmpty() {
        ConfigException e = failure("workers: 2\n");
        assertEquals(List.of("nodeName", "underlay.interface", "nodeAddresses", "podCIDRs", "clusterCIDRs", "serviceCIDRs"),
                e.problems().stream().map(Problems.Problem::path).toList());
        assertEquals(List.of("is required", "is required", "at least one address is required (NodePorts listen on every one; "
                        + "the first IPv4 one is the masquerade address)", "at least one CIDR is required",
                        "at least one CIDR is required", "at least one CIDR is required"),
                e.problems().stream().map(Problems.Problem::message).toList());
    }

    @Test
    void shouldRequireAnIpv4PodCidrWhenOnlyIpv6IsGiven() {
        ConfigException e = failure(MINIMAL.replace("podCIDRs: [10.244.1.0/24]", "podCIDRs: [\"fd00:244:1::/64\"]")
                .replace("clusterCIDRs: [10.244.0.0/16]", "clusterCIDRs: [\"fd00:244::/32\"]"));
        assertEquals("node.yaml: podCIDRs: must include an IPv4 CIDR (pods' IPv4 gateway is the source of the overlay's ICMP errors)",
                e.getMessage());
    }

    @Test
    void shouldPointAtTheLineWhenTheFileIsNotYaml() {
        ConfigException e = failure("nodeName: a\n  bad: [\n");
        assertTrue(e.getMessage().startsWith("node.yaml: document 1: not valid YAML: "), e.getMessage());
        assertTrue(e.getMessage().contains("(line "), e.getMessage());
    }

    @Test
    void shouldRejectDuplicateKeysWhenAKeyIsGivenTwice() {
        ConfigException e = failure(MINIMAL + "workers: 2\nworkers: 3\n");
        assertTrue(e.getMessage().startsWith("node.yaml: document 1: not valid YAML: Duplicate Object property \"workers\" (line "),
                e.getMessage());
    }

    @Test
    void shouldRefuseAnEmptyFileAndASecondDocument() {
        assertEquals("node.yaml: the file is empty", failure("# nothing\n").getMessage());
        assertEquals("node.yaml: must hold one YAML document, found 2", failure(MINIMAL + "---\n" + MINIMAL).getMessage());
    }

    @Test
    void shouldNameTheFileWhenLoadedFromDisk(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("node.yaml");
        Files.writeString(file, MINIMAL.replace("10.96.0.0/12", "10.96.0.0/33"));
        ConfigException e = assertThrows(ConfigException.class, () -> NodeConfig.load(file));
        assertEquals(file + ": serviceCIDRs[0]: CIDR '10.96.0.0/33': prefix length 33 must be 0..32", e.getMessage());
        Files.writeString(file, MINIMAL);
        assertEquals("node-a", NodeConfig.load(file).nodeName());
        ConfigException missing = assertThrows(ConfigException.class, () -> NodeConfig.load(dir.resolve("absent.yaml")));
        assertTrue(missing.getMessage().startsWith(dir.resolve("absent.yaml") + ": cannot read the file: "), missing.getMessage());
    }

    @Test
    void shouldAcceptEveryApiSpellingWhenLoopback() {
        assertEquals("127.0.0.1:80", ApiEndpoint.parse("localhost:80").toString());
        assertEquals("[::1]:9890", ApiEndpoint.parse("[::1]:9890").toString());
        assertEquals("127.1.2.3:9890", ApiEndpoint.parse("127.1.2.3:9890").toString());
        assertThrows(IllegalArgumentException.class, () -> ApiEndpoint.parse("[::]:9890"));
        assertThrows(IllegalArgumentException.class, () -> ApiEndpoint.parse("unix:relative.sock"));
        assertThrows(IllegalArgumentException.class, () -> ApiEndpoint.parse("::1:9890"));
    }
}
