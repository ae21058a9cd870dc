package dev.gingham.dataplane.api;

import dev.gingham.dataplane.cluster.LocalPod;
import dev.gingham.dataplane.node.ConfiguredNode;
import dev.gingham.dataplane.policy.EndpointPolicy;
import dev.gingham.dataplane.policy.PolicyEngine;
import dev.gingham.encap.EndpointMap;
import dev.gingham.nat.IpAddress;
import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.header.Addresses;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code /v1/endpoints}: this node's pods as endpoints (like {@code cilium-dbg endpoint list}):
 * slot, pod, address, MAC, security identity and labels, whether policy is enforced in each
 * direction, and whether the endpoint map (what workers route by) holds the pod as installed.
 */
public final class EndpointsView {
    /**
     * @param count    endpoints in the endpoint map
     * @param capacity endpoint slots of the node
     */
    public record Endpoints(List<Endpoint> endpoints, int count, int capacity) {
    }

    /**
     * One local pod.
     *
     * @param id               endpoint slot (also the pod's port number)
     * @param ingressEnforced  some policy isolates the pod for ingress
     * @param egressEnforced   some policy isolates the pod for egress
     * @param state            "ready" when the endpoint map holds the pod with this slot and MAC,
     *                         "not-in-map" when the data path does not know it (yet)
     */
    public record Endpoint(int id, String namespace, String pod, String address, String mac, int identity,
                           Map<String, String> labels, boolean ingressEnforced, boolean egressEnforced, String state) {
    }

    private EndpointsView() {
    }

    private static long lookup(EndpointMap map, IpAddress ip) {
        if (ip.ipv4()) {
            return map.lookup4(ip.v4());
        }
        MemorySegment address = MemorySegment.ofArray(new byte[16]);
        address.set(NetworkOrder.BE64, 0, ip.hi());
        address.set(NetworkOrder.BE64, 8, ip.lo());
        return map.lookup6(address, 0);
    }

    public static Endpoints of(ConfiguredNode node) {
        EndpointMap map = node.state().maps().endpoints();
        PolicyEngine policy = node.state().policy();
        List<Endpoint> rows = new ArrayList<>();
        for (LocalPod local : node.applied().localPods().values()) {
            IpAddress ip = local.pod().ip();
            boolean ready = false;
            if (ip != null) {
                long slot = lookup(map, ip);
                ready = slot != EndpointMap.MISSING && map.port(slot) == local.slot() && map.mac(slot) == local.mac();
            }
            EndpointPolicy compiled = policy.compiled(local.slot());
            rows.add(new Endpoint(local.slot(), local.pod().namespace(), local.pod().name(), ip == null ? "" : ip.toString(),
                    Addresses.formatMac(local.mac()), local.identity(), new TreeMap<>(local.pod().labels()),
                    compiled != null && compiled.ingress().enforced(), compiled != null && compiled.egress().enforced(),
                    ready ? "ready" : "not-in-map"));
        }
        rows.sort(Comparator.comparingInt(Endpoint::id));
        return new Endpoints(List.copyOf(rows), map.count(), node.config().maps().endpoints());
    }
}
