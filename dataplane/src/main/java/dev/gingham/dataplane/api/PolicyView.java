package dev.gingham.dataplane.api;

import dev.gingham.dataplane.cluster.LocalPod;
import dev.gingham.dataplane.flow.FlowNames;
import dev.gingham.dataplane.k8s.Protocol;
import dev.gingham.dataplane.policy.DirectionPolicy;
import dev.gingham.dataplane.policy.EndpointPolicy;
import dev.gingham.dataplane.policy.PolicyEngine;
import dev.gingham.dataplane.policy.PolicyRow;
import dev.gingham.dataplane.policy.PortRanges;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * {@code /v1/policy}: each local endpoint's policy as the compiler computed it (what the policy
 * maps hold), in both directions: whether it is enforced or audited, and per peer identity which
 * protocols and ports are allowed, with the policy that allowed them. Like {@code cilium-dbg
 * bpf policy get}, but with peers named.
 */
public final class PolicyView {
    public record Policies(List<EndpointRules> endpoints) {
    }

    /**
     * One endpoint.
     *
     * @param pod      "namespace/name"
     * @param identity its security identity
     * @param labels   the identity's labels, flat ("k8s:app=web,..." as the flow names give them)
     */
    public record EndpointRules(String pod, int identity, String labels, Direction ingress, Direction egress) {
    }

    /**
     * One direction.
     *
     * @param enforced some policy isolates the endpoint in this direction (otherwise all is allowed)
     * @param audit    would-deny verdicts pass and are reported
     * @param allowed  allowed peers; none while enforced means everything is denied
     */
    public record Direction(boolean enforced, boolean audit, List<Allow> allowed) {
    }

    /**
     * What one peer may do.
     *
     * @param peerIdentity the peer's identity, 0 for "any peer"
     * @param peer         the peer's name ("reserved:world", "cidr:10.0.0.0/8", labels), "any" for identity 0
     * @param ports        "any", or per protocol the port ranges ("TCP 80,443-445")
     * @param policy       "namespace/name" of the lowest-numbered policy that allowed it
     */
    public record Allow(int peerIdentity, String peer, List<String> ports, String policy) {
    }

    private PolicyView() {
    }

    /**
     * @param pod "namespace/name" or a name unique on the node; null for every endpoint
     * @throws ApiException 404 when no local pod has that name
     */
    public static Policies of(Collection<LocalPod> locals, PolicyEngine engine, FlowNames names, String pod) {
        List<LocalPod> chosen = LocalPodSelector.select(locals, pod);
        List<EndpointRules> rows = new ArrayList<>();
        for (LocalPod local : chosen) {
            EndpointPolicy compiled = engine.compiled(local.slot());
            int identity = compiled != null ? compiled.identity() : local.identity();
            rows.add(new EndpointRules(local.key(), identity, names.identity(identity),
                    direction(compiled == null ? DirectionPolicy.OPEN : compiled.ingress(), engine, names),
                    direction(compiled == null ? DirectionPolicy.OPEN : compiled.egress(), engine, names)));
        }
        return new Policies(List.copyOf(rows));
    }

    private static Direction direction(DirectionPolicy policy, PolicyEngine engine, FlowNames names) {
        List<Allow> allowed = new ArrayList<>();
        for (Map.Entry<Integer, PolicyRow> e : policy.rows().entrySet()) {
            PolicyRow row = e.getValue();
            if (row.allowsNothing()) {
                continue;
            }
            int peer = e.getKey();
            allowed.add(new Allow(peer, peer == 0 ? "any" : names.identity(peer), ports(row), engine.policyName(row.policyId())));
        }
        allowed.sort(Comparator.comparingInt(Allow::peerIdentity));
        return new Direction(policy.enforced(), policy.audit(), List.copyOf(allowed));
    }

    /** Returns: ["any"] or one "PROTO ranges" string per protocol with ports. */
    static List<String> ports(PolicyRow row) {
        if (row.anyProtocol()) {
            return List.of("any");
        }
        List<String> out = new ArrayList<>();
        for (Protocol p : Protocol.values()) {
            PortRanges ranges = row.ports(p);
            if (!ranges.isEmpty()) {
                out.add(p.name() + " " + rangesText(ranges));
            }
        }
        return List.copyOf(out);
    }

    private static String rangesText(PortRanges ranges) {
        StringBuilder b = new StringBuilder();
        for (int r = 0; r < ranges.ranges(); r++) {
            if (r > 0) {
                b.append(',');
            }
            int first = ranges.first(r);
            int last = ranges.last(r);
            b.append(first == last ? Integer.toString(first) : first + "-" + last);
        }
        return b.toString();
    }
}
