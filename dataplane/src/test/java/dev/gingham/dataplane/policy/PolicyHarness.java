package dev.gingham.dataplane.policy;

import dev.gingham.conntrack.CtConfig;
import dev.gingham.conntrack.CtLifetimes;
import dev.gingham.conntrack.CtTable;
import dev.gingham.dataplane.flow.FlowEvent;
import dev.gingham.dataplane.flow.FlowEvents;
import dev.gingham.dataplane.flow.FlowFilter;
import dev.gingham.dataplane.flow.FlowReader;
import dev.gingham.dataplane.flow.FlowRing;
import dev.gingham.dataplane.identity.CidrIdentityAllocator;
import dev.gingham.dataplane.identity.IdentityAllocator;
import dev.gingham.dataplane.identity.LpmPrefixSink;
import dev.gingham.dataplane.identity.ReservedIdentity;
import dev.gingham.dataplane.k8s.ContainerPort;
import dev.gingham.dataplane.k8s.Namespace;
import dev.gingham.dataplane.k8s.NetworkPolicyYaml;
import dev.gingham.dataplane.k8s.Pod;
import dev.gingham.dataplane.k8s.Protocol;
import dev.gingham.nat.IpAddress;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.header.Addresses;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Kubernetes network-policy e2e model on one node: namespaces x, y, z (labelled ns=name),
 * pods a, b, c in each (labelled pod=name, address 10.0.{ns}.{pod}, container ports
 * serve-80-tcp/serve-81-tcp/serve-80-udp/serve-81-udp/serve-80-sctp, and "web" = 80 on a and b
 * but 8080 on c), all local. Sends real frames through the egress program of the source pod and
 * the ingress program of the destination pod, with the peer identities an ipcache would give.
 */
final class PolicyHarness implements AutoCloseable {
    static final String[] NAMESPACES = {"x", "y", "z"};
    static final String[] PODS = {"a", "b", "c"};

    final PolicyMaps maps = PolicyMaps.create(16, 8192, 256);
    final PolicyPublisher publisher = new PolicyPublisher(maps);
    final LpmPrefixSink ipcache = new LpmPrefixSink(256);
    final PolicyEngine engine = new PolicyEngine(new IdentityAllocator(), new CidrIdentityAllocator(ipcache), publisher);
    final CtTable conntrack = CtTable.create(new CtConfig(1024, 1024, CtLifetimes.defaults()), 7L);
    final FlowRing ring = new FlowRing(1024);
    final FlowEvents events = new FlowEvents(ring, FlowFilter.ALL);
    final PolicyLookup lookup = new PolicyLookup(maps);
    final PolicyEnforcer egress = new PolicyEnforcer(Direction.EGRESS, lookup, conntrack, events);
    final PolicyEnforcer ingress = new PolicyEnforcer(Direction.INGRESS, lookup, conntrack, events);
    final FlowReader reader = new FlowReader(List.of(ring), new PolicyFlowNames(engine), "node-1");
    private final BufferPool pool = BufferPool.allocate(8, BufferPool.DEFAULT_BUFFER_SIZE);
    private final FrameVector vector = new FrameVector(pool);
    private final Parser parser = new Parser();
    private final int[] slots = new int[FrameVector.MAX_FRAMES];
    private final Map<String, Integer> slotByAddress = new HashMap<>();
    private final Map<String, String> podByAddress = new HashMap<>();
    private final Map<String, Pod> podsByKey = new HashMap<>();
    private int sourcePort = 40000;
    long nowNs = 1_000_000_000L;

    PolicyHarness() {
        int slot = 0;
        for (int n = 0; n < NAMESPACES.length; n++) {
            engine.upsertNamespace(Namespace.of(NAMESPACES[n], Map.of("ns", NAMESPACES[n])));
            for (int p = 0; p < PODS.length; p++) {
                String address = address(NAMESPACES[n], PODS[p]);
                Pod pod = new Pod(NAMESPACES[n], PODS[p], Map.of("pod", PODS[p]), IpAddress.parse(address), List.of(
                        new ContainerPort("serve-80-tcp", 80, Protocol.TCP),
                        new ContainerPort("serve-81-tcp", 81, Protocol.TCP),
                        new ContainerPort("serve-80-udp", 80, Protocol.UDP),
                        new ContainerPort("serve-81-udp", 81, Protocol.UDP),
                        new ContainerPort("serve-80-sctp", 80, Protocol.SCTP),
                        new ContainerPort("web", PODS[p].equals("c") ? 8080 : 80, Protocol.TCP)));
                engine.upsertPod(pod, slot);
                podsByKey.put(pod.key(), pod);
                slotByAddress.put(address, slot++);
                podByAddress.put(address, pod.key());
            }
        }
    }

    /** Returns: one NetworkPolicy document (with its leading "---") in {@code namespace} with the given spec. */
    static String policy(String namespace, String name, String spec) {
        return "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + name
                + ", namespace: " + namespace + "}\nspec:\n" + spec.stripIndent().indent(2);
    }

    /** Returns: the pod as the harness created it ("x/c"). */
    Pod pod(String key) {
        return podsByKey.get(key);
    }

    /** Returns: the endpoint slot of a pod ("x/c"). */
    int slot(String key) {
        return slotByAddress.get(resolve(key));
    }

    static String address(String namespace, String pod) {
        return "10.0." + (namespace.charAt(0) - 'x' + 1) + "." + (pod.charAt(0) - 'a' + 1);
    }

    /** Returns: "x/a" as an address; anything else is taken as an address already. */
    static String resolve(String endpoint) {
        int slash = endpoint.indexOf('/');
        return slash > 0 && endpoint.indexOf('.') < 0 ? address(endpoint.substring(0, slash), endpoint.substring(slash + 1)) : endpoint;
    }

    void policies(String yaml) {
        engine.replacePolicies(yaml.isBlank() ? List.of() : NetworkPolicyYaml.parse(yaml, "test.yaml"));
        publisher.reclaim();
    }

    /** Returns: the identity the ipcache gives an address: a pod's, the longest CIDR's, or world. */
    int identityOf(String address) {
        String pod = podByAddress.get(address);
        if (pod != null) {
            return engine.identityOf(pod);
        }
        int cidr = ipcache.lookup4(Addresses.parseIpv4(address));
        return cidr != 0 ? cidr : ReservedIdentity.WORLD_IPV4;
    }

    /** Sends one new-connection packet and returns its final verdict. */
    int send(String from, String to, Protocol protocol, int port) {
        return send(frame(resolve(from), sourcePort++, resolve(to), port, protocol, PacketBuilder.SYN), resolve(from), resolve(to));
    }

    /** Sends a given frame between two addresses through both programs. */
    int send(byte[] frame, String fromAddress, String toAddress) {
        vector.releaseAll();
        int i = PacketBuilder.load(vector, 1, frame);
        if (parser.parse(vector, i) != Verdict.CONTINUE) {
            throw new AssertionError("test frame does not parse");
        }
        vector.srcIdentity(i, identityOf(fromAddress));
        vector.dstIdentity(i, identityOf(toAddress));
        Integer src = slotByAddress.get(fromAddress);
        if (src != null) {
            slots[i] = src;
            egress.process(vector, slots, nowNs);
        }
        Integer dst = slotByAddress.get(toAddress);
        if (dst != null && vector.verdict(i) == Verdict.CONTINUE) {
            slots[i] = dst;
            ingress.process(vector, slots, nowNs);
        }
        return vector.verdict(i);
    }

    static byte[] frame(String src, int srcPort, String dst, int dstPort, Protocol protocol, int tcpFlags) {
        return switch (protocol) {
            case TCP -> PacketBuilder.tcp4(src, srcPort, dst, dstPort).flags(tcpFlags).build();
            case UDP -> PacketBuilder.udp4(src, srcPort, dst, dstPort).payload(8).build();
            case SCTP -> {
                // No SCTP builder: a UDP datagram with the protocol byte changed; the parser reads
                // SCTP ports where UDP's are and does not verify checksums.
                byte[] bytes = PacketBuilder.udp4(src, srcPort, dst, dstPort).payload(8).build();
                bytes[PacketBuilder.ETHERNET_HEADER_LENGTH + 9] = (byte) 132;
                yield bytes;
            }
        };
    }

    List<FlowEvent> drainEvents() {
        List<FlowEvent> out = new ArrayList<>();
        reader.poll(out::add, 1024);
        return out;
    }

    @Override
    public void close() {
        vector.releaseAll();
        conntrack.close();
        maps.close();
        ring.close();
        ipcache.close();
    }
}
