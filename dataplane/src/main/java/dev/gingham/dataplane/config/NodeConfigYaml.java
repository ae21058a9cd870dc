package dev.gingham.dataplane.config;

import dev.gingham.encap.OuterDf;
import dev.gingham.encap.TunnelMode;
import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.Algorithm;
import dev.gingham.nat.lb.ServiceSpec;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.header.Addresses;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reads the node configuration file into a {@link NodeConfig.Builder}: types, spellings and
 * unknown keys are checked here (every problem collected, by YAML path), the meaning of the values
 * in {@link NodeConfigCheck}. The spellings of choices are the file's (kebab-case, lowercase),
 * listed in docs/user-guide.md.
 */
final class NodeConfigYaml {
    private NodeConfigYaml() {
    }

    static NodeConfig parse(String yaml, String source) {
        List<YamlDocuments.Document> documents;
        try {
            documents = YamlDocuments.read(yaml, source);
        } catch (YamlDocuments.SyntaxException e) {
            throw new ConfigException(source, List.of(new Problems.Problem("", e.getMessage().substring(source.length() + 2))));
        }
        if (documents.size() != 1) {
            String message = documents.isEmpty() ? "the file is empty" : "must hold one YAML document, found " + documents.size();
            throw new ConfigException(source, List.of(new Problems.Problem("", message)));
        }
        Problems problems = Problems.collecting();
        YamlField root = YamlField.root(documents.getFirst().root(), problems);
        NodeConfig.Builder b = read(root);
        return b.build(source, problems);
    }

    private static NodeConfig.Builder read(YamlField root) {
        root.mapping("nodeName", "nodeAddresses", "podCIDRs", "clusterCIDRs", "serviceCIDRs", "gateway", "underlay",
                "tunnel", "masquerade", "services", "conntrack", "workers", "threading", "idleStrategy", "pinDirectory",
                "api", "flows", "policy", "maps", "restart");
        YamlField underlay = root.get("underlay").mapping("interface", "address", "mac", "nextHopMac", "mtuBytes",
                "gateway", "subnet", "batch", "udpGso");
        NodeConfig.Builder b = NodeConfig.builder(root.get("nodeName").requiredString(), underlay.get("interface").requiredString());
        b.nodeAddresses(root.get("nodeAddresses").parsedList(IpAddress::parse));
        b.podCidrs(root.get("podCIDRs").parsedList(Cidr::parse));
        b.clusterCidrs(root.get("clusterCIDRs").parsedList(Cidr::parse));
        b.serviceCidrs(root.get("serviceCIDRs").parsedList(Cidr::parse));

        YamlField gateway = root.get("gateway").mapping("addresses", "mac");
        b.gateway(new NodeConfig.Gateway(gateway.get("addresses").parsedList(IpAddress::parse),
                gateway.get("mac").parsed(Addresses::parseMac, NodeConfig.DEFAULT_GATEWAY_MAC)));

        b.underlay(new NodeConfig.Underlay(b.underlay.interfaceName(),
                underlay.get("address").parsed(IpAddress::parse, null),
                underlay.get("mac").parsed(Addresses::parseMac, 0L),
                underlay.get("nextHopMac").parsed(Addresses::parseMac, 0L),
                underlay.get("mtuBytes").integer(b.underlay.mtuBytes(), 1, 65535),
                underlay.get("gateway").parsed(IpAddress::parse, null),
                underlay.get("subnet").parsed(Cidr::parse, null),
                underlay.get("batch").bool(true),
                underlay.get("udpGso").bool(true)));

        YamlField tunnel = root.get("tunnel").mapping("mode", "vxlanPort", "vni", "identityInVni", "outerDf", "udpChecksum",
                "clampMss", "fragment", "outerTtl", "icmpErrorsPerSecond", "icmpErrorBurst");
        TunnelMode mode = tunnel.get("mode").choice(TunnelMode.VXLAN, List.of(TunnelMode.values()), m -> m.name().toLowerCase());
        NodeConfig.Tunnel td = NodeConfig.Tunnel.defaults(mode);
        b.tunnel(new NodeConfig.Tunnel(mode,
                tunnel.get("vxlanPort").integer(td.vxlanPort(), 1, 65535),
                tunnel.get("vni").integer(td.vni(), 0, dev.gingham.packet.header.VxlanHeader.MAX_VNI),
                tunnel.get("identityInVni").bool(td.identityInVni()),
                tunnel.get("outerDf").choice(td.outerDf(), List.of(OuterDf.values()), d -> d.name().toLowerCase()),
                tunnel.get("udpChecksum").bool(td.udpChecksum()),
                tunnel.get("clampMss").bool(td.clampMss()),
                tunnel.get("fragment").bool(td.fragment()),
                tunnel.get("outerTtl").integer(td.outerTtl(), 1, 255),
                tunnel.get("icmpErrorsPerSecond").integer(td.icmpErrorsPerSecond(), 0, 1_000_000),
                tunnel.get("icmpErrorBurst").integer(td.icmpErrorBurst(), 1, 1_000_000)));

        YamlField masquerade = root.get("masquerade").mapping("enabled", "nonMasqueradeCIDRs", "portRange", "mapEntries",
                "maxNatAddresses");
        NodeConfig.Masquerade md = NodeConfig.Masquerade.defaults();
        int[] ports = masquerade.get("portRange").parsed(NodeConfigYaml::portRange, new int[] {md.minPort(), md.maxPort()});
        b.masquerade(new NodeConfig.Masquerade(masquerade.get("enabled").bool(md.enabled()),
                masquerade.get("nonMasqueradeCIDRs").parsedList(Cidr::parse), ports[0], ports[1],
                masquerade.get("mapEntries").integer(md.mapEntries(), 1, Integer.MAX_VALUE),
                masquerade.get("maxNatAddresses").integer(md.maxNatAddresses(), 1, Integer.MAX_VALUE)));

        YamlField services = root.get("services").mapping("nodePortRange", "defaultAlgorithm", "maglevTableSize",
                "noBackendAction", "hairpinAddress", "maxServicePorts", "maxFrontends", "maxBackends", "maxBackendsPerService",
                "maxMaglevTables", "maxAffinityEntries");
        NodeConfig.Services sd = NodeConfig.Services.defaults();
        int[] nodePorts = services.get("nodePortRange").parsed(NodeConfigYaml::portRange, new int[] {sd.nodePortMin(), sd.nodePortMax()});
        b.services(new NodeConfig.Services(nodePorts[0], nodePorts[1],
                services.get("defaultAlgorithm").choice(sd.defaultAlgorithm(), List.of(Algorithm.values()), AlgorithmNames::spelling),
                services.get("maglevTableSize").integer(sd.maglevTableSize(), 1, Integer.MAX_VALUE),
                services.get("noBackendAction").choice(sd.noBackendAction(), List.of(ServiceSpec.NoBackendAction.values()),
                        a -> a.name().toLowerCase()),
                services.get("hairpinAddress").parsed(IpAddress::parse, sd.hairpinAddress()),
                services.get("maxServicePorts").integer(sd.maxServicePorts(), 1, Integer.MAX_VALUE),
                services.get("maxFrontends").integer(sd.maxFrontends(), 1, Integer.MAX_VALUE),
                services.get("maxBackends").integer(sd.maxBackends(), 1, Integer.MAX_VALUE),
                services.get("maxBackendsPerService").integer(sd.maxBackendsPerService(), 1, Integer.MAX_VALUE),
                services.get("maxMaglevTables").integer(sd.maxMaglevTables(), 1, Integer.MAX_VALUE),
                services.get("maxAffinityEntries").integer(sd.maxAffinityEntries(), 1, Integer.MAX_VALUE)));

        YamlField conntrack = root.get("conntrack").mapping("tcpEntries", "otherEntries", "lifetimes");
        YamlField lifetimes = conntrack.get("lifetimes").mapping("tcpSynSeconds", "tcpEstablishedSeconds", "tcpCloseSeconds",
                "otherSeconds");
        NodeConfig.Conntrack cd = NodeConfig.Conntrack.defaults();
        b.conntrack(new NodeConfig.Conntrack(conntrack.get("tcpEntries").integer(cd.tcpEntries(), 1, Integer.MAX_VALUE),
                conntrack.get("otherEntries").integer(cd.otherEntries(), 1, Integer.MAX_VALUE),
                lifetimes.get("tcpSynSeconds").integer(cd.tcpSynSeconds(), 1, Integer.MAX_VALUE),
                lifetimes.get("tcpEstablishedSeconds").integer(cd.tcpEstablishedSeconds(), 1, Integer.MAX_VALUE),
                lifetimes.get("tcpCloseSeconds").integer(cd.tcpCloseSeconds(), 1, Integer.MAX_VALUE),
                lifetimes.get("otherSeconds").integer(cd.otherSeconds(), 1, Integer.MAX_VALUE)));

        b.workers(root.get("workers").integer(NodeConfig.DEFAULT_WORKERS, 1, NodeConfig.MAX_WORKERS));
        b.threading(root.get("threading").choice(ThreadingMode.DEDICATED, List.of(ThreadingMode.values()), ThreadingMode::spelling));
        b.idleStrategy(idleStrategy(root.get("idleStrategy")));
        b.pinDirectory(root.get("pinDirectory").parsed(Path::of, null));

        YamlField api = root.get("api").mapping("listen");
        b.api(api.get("listen").parsed(ApiEndpoint::parse, b.api));

        YamlField flows = root.get("flows").mapping("ringRecords", "sampleEvery");
        NodeConfig.Flows fd = NodeConfig.Flows.defaults();
        b.flows(new NodeConfig.Flows(flows.get("ringRecords").integer(fd.ringRecords(), 1, Integer.MAX_VALUE),
                flows.get("sampleEvery").integer(fd.sampleEvery(), 1, Integer.MAX_VALUE)));

        YamlField policy = root.get("policy").mapping("auditMode");
        b.policyAuditMode(policy.get("auditMode").bool(false));

        YamlField restart = root.get("restart").mapping("keepDevices");
        b.keepDevicesOnStop(restart.get("keepDevices").bool(false));

        YamlField maps = root.get("maps").mapping("ipcacheEntries", "endpoints", "nodes", "egressSources", "egressRules",
                "policyRows", "policyPortSets");
        NodeConfig.Capacities xd = NodeConfig.Capacities.defaults();
        b.maps(new NodeConfig.Capacities(maps.get("ipcacheEntries").integer(xd.ipcacheEntries(), 1, Integer.MAX_VALUE),
                maps.get("endpoints").integer(xd.endpoints(), 1, Integer.MAX_VALUE),
                maps.get("nodes").integer(xd.nodes(), 1, Integer.MAX_VALUE),
                maps.get("egressSources").integer(xd.egressSources(), 1, Integer.MAX_VALUE),
                maps.get("egressRules").integer(xd.egressRules(), 1, Integer.MAX_VALUE),
                maps.get("policyRows").integer(xd.policyRows(), 1, Integer.MAX_VALUE),
                maps.get("policyPortSets").integer(xd.policyPortSets(), 1, Integer.MAX_VALUE)));
        return b;
    }

    /**
     * The idle strategy: a name ({@code backoff}) or a mapping with the name under {@code strategy}
     * and its parameters (microseconds, as operators think of park times).
     */
    private static IdleStrategyConfig idleStrategy(YamlField field) {
        List<IdleStrategyConfig.Kind> kinds = List.of(IdleStrategyConfig.Kind.values());
        if (!field.present()) {
            return IdleStrategyConfig.defaults();
        }
        if (field.isString()) {
            return IdleStrategyConfig.of(field.choice(IdleStrategyConfig.defaults().kind(), kinds, IdleStrategyConfig.Kind::spelling));
        }
        field.mapping("strategy", "maxSpins", "maxYields", "minParkMicros", "maxParkMicros", "sleepMicros");
        IdleStrategyConfig d = IdleStrategyConfig.defaults();
        return new IdleStrategyConfig(
                field.get("strategy").choice(IdleStrategyConfig.defaults().kind(), kinds, IdleStrategyConfig.Kind::spelling),
                field.get("maxSpins").integer(d.maxSpins(), 0, Integer.MAX_VALUE),
                field.get("maxYields").integer(d.maxYields(), 0, Integer.MAX_VALUE),
                micros(field.get("minParkMicros"), d.minParkNs()),
                micros(field.get("maxParkMicros"), d.maxParkNs()),
                micros(field.get("sleepMicros"), d.sleepNs()));
    }

    private static long micros(YamlField field, long fallbackNs) {
        long fallbackMicros = TimeUnit.NANOSECONDS.toMicros(fallbackNs);
        return TimeUnit.MICROSECONDS.toNanos(field.longInteger(fallbackMicros, 1, TimeUnit.SECONDS.toMicros(60)));
    }

    /** Parses "MIN-MAX" (both inclusive). */
    static int[] portRange(String text) {
        int dash = text.indexOf('-');
        if (dash <= 0 || dash == text.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' is not a range MIN-MAX (e.g. 30000-32767)");
        }
        try {
            int min = Integer.parseInt(text.substring(0, dash).trim());
            int max = Integer.parseInt(text.substring(dash + 1).trim());
            return new int[] {min, max};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a range MIN-MAX (e.g. 30000-32767)");
        }
    }
}
