package dev.gingham.dataplane.program;

import dev.gingham.dataplane.cluster.ManifestSet;
import dev.gingham.dataplane.config.NodeConfig;
import dev.gingham.dataplane.node.ConfiguredNode;
import dev.gingham.dataplane.policy.Direction;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Traffic leaving the cluster on a node whose configuration names no next hop
 * ({@code underlay.nextHopMac} unset, and no Node annotation gives one for the outside): a counted
 * NO_FIB drop, where it used to leave with destination MAC 00:00:00:00:00:00 and vanish unexplained.
 */
class RouteDeliveryTest {
    private static final String NODE_YAML = """
            nodeName: node-1
            nodeAddresses: [192.168.1.10]
            podCIDRs: [10.244.1.0/24]
            clusterCIDRs: [10.244.0.0/16]
            serviceCIDRs: [10.96.0.0/12]
            underlay: {interface: eth0, mac: "02:00:00:00:00:10"}
            maps: {endpoints: 8, ipcacheEntries: 1024, nodes: 8, egressSources: 16, egressRules: 16, policyRows: 4096}
            """;
    private static final String POD_IP = "10.244.1.5";
    private static final String POD_MAC = "0a:00:00:00:00:05";
    private static final String POD = """
            apiVersion: v1
            kind: Pod
            metadata: {name: a, namespace: default, annotations: {gingham.dev/mac: "0a:00:00:00:00:05"}}
            spec: {nodeName: node-1}
            status: {podIP: 10.244.1.5}
            """;

    @Test
    void shouldDropTrafficToTheOutsideAsNoFibWhenNoNextHopIsConfigured() {
        Outcome o = fromPod(PacketBuilder.udp4(POD_IP, 40000, "8.8.8.8", 53));

        assertEquals(DropReason.NO_FIB.verdict(), o.verdict());
        assertEquals(1, o.noFibDrops());
    }

    @Test
    void shouldStillDeliverInsideTheNodeWithoutANextHop() {
        Outcome o = fromPod(PacketBuilder.icmp4Echo(POD_IP, "10.244.1.1", 1, 1));

        assertEquals(Verdict.tx(o.hostPort()), o.verdict(), "the gateway is the host's");
        assertEquals(0, o.noFibDrops());
    }

    private record Outcome(int verdict, long noFibDrops, int hostPort) {
    }

    /** Runs one frame from the pod through a fresh node without a next hop. */
    private static Outcome fromPod(PacketBuilder frame) {
        try (ConfiguredNode node = ConfiguredNode.create(NodeConfig.parse(NODE_YAML, "node.yaml"),
                ManifestSet.of("test", Map.of("pod.yaml", POD)), 0, 0, false, 42L, null);
             BufferPool pool = BufferPool.allocate(8, BufferPool.DEFAULT_BUFFER_SIZE)) {
            FrameVector vector = new FrameVector(pool);
            PacketBuilder.load(vector, node.port("default/a"), frame.srcMac(POD_MAC).dstMac("02:67:68:00:00:01").build());
            node.state().pipeline(0).run(vector, 1_000_000_000L);
            Outcome o = new Outcome(vector.verdict(0), node.state().drops().sum(DropReason.NO_FIB, Direction.EGRESS), node.hostPort());
            vector.releaseAll();
            return o;
        }
    }
}
