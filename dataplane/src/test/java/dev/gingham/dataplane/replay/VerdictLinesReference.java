package dev.gingham.dataplane.replay;

import dev.gingham.dataplane.node.ConfiguredNode;
import dev.gingham.dataplane.policy.Direction;
import dev.gingham.dataplane.policy.PolicyEnforcer;
import dev.gingham.dataplane.policy.PolicyFlowNames;
import dev.gingham.maps.MapErrors;
import dev.gingham.nat.lb.ServiceLookup;
import dev.gingham.nat.lb.ServiceTable;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameMarks;
import dev.gingham.packet.FrameTrace;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.header.Addresses;

import org.agrona.collections.Int2ObjectHashMap;

import java.util.function.IntFunction;

/**
 * The verdicts.jsonl format as the first {@code VerdictLines} wrote it (StringBuilder, one char at a
 * time, as of commit eee9a5c), kept as the oracle of {@link VerdictLinesTest}: the byte writer that
 * replaced it for speed must write exactly these bytes (UTF-8 of this text), so that a user's
 * verdicts.jsonl does not change with the speed-up. Change both together if the format changes.
 * The spellings of names, decisions and states ({@code VerdictLines.escape}, {@code decisionName},
 * {@code ctState}) are shared with the writer: what is checked here is the line built around them.
 */
final class VerdictLinesReference {
    private final String[] portNames;
    private final ServiceTable serviceTable;
    private final ServiceLookup services;
    private final PolicyFlowNames names;
    // int-keyed: identities are above Integer's box cache, and a box per frame is what a replay of
    // millions of frames cannot afford
    private final Int2ObjectHashMap<String> serviceNames = new Int2ObjectHashMap<>();
    private final Int2ObjectHashMap<String> identityNames = new Int2ObjectHashMap<>();
    private final Int2ObjectHashMap<String> policyNames = new Int2ObjectHashMap<>();
    private final IntFunction<String> resolveService;
    private final IntFunction<String> resolveIdentity;
    private final IntFunction<String> resolvePolicy;
    private final Int2ObjectHashMap<String> backendPods = new Int2ObjectHashMap<>();
    private final IntFunction<String> resolveBackendPod;

    VerdictLinesReference(ConfiguredNode node) {
        this.portNames = node.portNames();
        this.serviceTable = node.state().services();
        this.services = new ServiceLookup(node.state().maps().services(), 0);
        this.names = new PolicyFlowNames(node.state().policy());
        // Bound once (a method reference per frame is an object per frame); names cached escaped.
        this.resolveService = index -> escapeOrEmpty(serviceTable.revNatOwner(index));
        this.resolveIdentity = identity -> escapeOrEmpty(names.identity(identity));
        this.resolvePolicy = policy -> escapeOrEmpty(names.policy(policy));
        this.resolveBackendPod = backendId -> {
            long backend = services.backend(backendId);
            return backend == MapErrors.MISSING ? ""
                    : escapeOrEmpty(names.pod(services.backendAddrHi(backend), services.backendAddrLo(backend)));
        };
    }

    /** Appends the line of frame {@code i} of a vector the pipeline ran with {@code trace} attached (no newline). */
    void frame(StringBuilder b, FrameVector v, int i, FrameTrace trace, long frameIndex, long timestampNs) {
        int verdict = v.verdict(i);
        b.append("{\"frame\":").append(frameIndex)
                .append(",\"time_ns\":").append(timestampNs)
                .append(",\"ingress\":\"").append(portName(v.ingressPort(i))).append('"');
        if (Verdict.isTx(verdict)) {
            b.append(",\"verdict\":\"forwarded\",\"egress\":\"").append(portName(Verdict.port(verdict))).append('"');
        } else {
            int code = Verdict.dropCode(verdict);
            DropReason reason = DropReason.ofCode(code);
            b.append(",\"verdict\":\"dropped\",\"drop_code\":").append(code)
                    .append(",\"drop_reason\":\"").append(reason == null ? "UNKNOWN" : reason.name()).append('"');
        }
        if (v.hasFlag(i, FrameVector.FLAG_IPV4 | FrameVector.FLAG_IPV6)) {
            boolean ports = v.hasFlag(i, FrameVector.FLAG_L4);
            b.append(",\"protocol\":").append(v.protocol(i)).append(",\"src\":\"");
            endpoint(b, v.srcHi(i), v.srcLo(i), ports ? v.srcPort(i) : -1);
            b.append("\",\"dst\":\"");
            endpoint(b, v.dstHi(i), v.dstLo(i), ports ? v.dstPort(i) : -1);
            b.append("\",\"src_identity\":").append(v.srcIdentity(i)).append(",\"dst_identity\":").append(v.dstIdentity(i));
            int ct = trace.ctStatus(i);
            if (ct != FrameTrace.NONE) {
                b.append(",\"ct\":\"").append(VerdictLines.ctState(ct)).append('"');
            }
            service(b, trace, i);
            nat(b, trace, i, ports);
            policy(b, trace, i);
        }
        int mark = v.mark(i);
        b.append(",\"decisions\":[");
        int before = b.length();
        decision(b, before, (mark & FrameMarks.SNAT_TO_NODE) != 0, "\"dnat+snat-to-node\"");
        decision(b, before, (mark & FrameMarks.REVERSE_NAT) != 0, "\"reverse-nat\"");
        decision(b, before, (mark & FrameMarks.CT_CREATED) != 0, "\"ct-created\"");
        decision(b, before, (mark & FrameMarks.CT_ACCOUNTED) != 0, "\"ct-tracked\"");
        b.append("]}");
    }

    /** Returns: the name of a port ("underlay", "host", "namespace/pod"), or "port-N" when it has none. */
    String portName(int port) {
        return port >= 0 && port < portNames.length && portNames[port] != null ? portNames[port] : "port-" + port;
    }

    private void service(StringBuilder b, FrameTrace trace, int i) {
        int revNat = trace.revNatIndex(i);
        if (revNat == 0) {
            return;
        }
        String name = serviceNames.computeIfAbsent(revNat, resolveService);
        b.append(",\"service\":{\"name\":\"").append(name.isEmpty() ? "rev-nat " + revNat : name).append('"');
        int backendId = trace.backendId(i);
        if (backendId == 0) {
            b.append(",\"direction\":\"reply\"}");
            return;
        }
        long backend = services.backend(backendId);
        b.append(",\"backend_id\":").append(backendId);
        if (backend != MapErrors.MISSING) {
            long hi = services.backendAddrHi(backend);
            long lo = services.backendAddrLo(backend);
            b.append(",\"backend\":\"");
            endpoint(b, hi, lo, services.backendPort(backend));
            b.append('"');
            String pod = backendPods.computeIfAbsent(backendId, resolveBackendPod);
            if (pod != null && !pod.isEmpty()) {
                b.append(",\"backend_pod\":\"").append(pod).append('"');
            }
        }
        b.append('}');
    }

    private static void nat(StringBuilder b, FrameTrace trace, int i, boolean ports) {
        int sides = trace.natSides(i);
        if (sides == 0) {
            return;
        }
        b.append(",\"nat\":{\"kind\":\"");
        if (sides == (FrameTrace.NAT_SOURCE | FrameTrace.NAT_DESTINATION)) {
            b.append("source+destination");
        } else {
            b.append(sides == FrameTrace.NAT_SOURCE ? "source" : "destination");
        }
        b.append("\",\"before\":{\"src\":\"");
        endpoint(b, trace.beforeSrcHi(i), trace.beforeSrcLo(i), ports ? trace.beforeSrcPort(i) : -1);
        b.append("\",\"dst\":\"");
        endpoint(b, trace.beforeDstHi(i), trace.beforeDstLo(i), ports ? trace.beforeDstPort(i) : -1);
        b.append("\"},\"after\":{\"src\":\"");
        endpoint(b, trace.afterSrcHi(i), trace.afterSrcLo(i), ports ? trace.afterSrcPort(i) : -1);
        b.append("\",\"dst\":\"");
        endpoint(b, trace.afterDstHi(i), trace.afterDstLo(i), ports ? trace.afterDstPort(i) : -1);
        b.append("\"}}");
    }

    private void policy(StringBuilder b, FrameTrace trace, int i) {
        int egress = PolicyEnforcer.traceSlot(Direction.EGRESS);
        int ingress = PolicyEnforcer.traceSlot(Direction.INGRESS);
        boolean hasEgress = trace.policyDecision(i, egress) != FrameTrace.NONE;
        boolean hasIngress = trace.policyDecision(i, ingress) != FrameTrace.NONE;
        if (!hasEgress && !hasIngress) {
            return;
        }
        b.append(",\"policy\":{");
        if (hasEgress) {
            policyDirection(b, "egress", trace, i, egress);
        }
        if (hasIngress) {
            if (hasEgress) {
                b.append(',');
            }
            policyDirection(b, "ingress", trace, i, ingress);
        }
        b.append('}');
    }

    private void policyDirection(StringBuilder b, String direction, FrameTrace trace, int i, int slot) {
        int peer = trace.policyPeer(i, slot);
        b.append('"').append(direction).append("\":{\"verdict\":\"").append(VerdictLines.decisionName(trace.policyDecision(i, slot))).append('"');
        int policyId = trace.policyId(i, slot);
        if (policyId != 0) {
            String policy = policyNames.computeIfAbsent(policyId, resolvePolicy);
            if (policy == null || policy.isEmpty()) {
                b.append(",\"policy\":\"policy ").append(policyId).append('"');
            } else {
                b.append(",\"policy\":\"").append(policy).append('"');
            }
        }
        b.append(",\"peer_identity\":").append(peer);
        String peerName = identityNames.computeIfAbsent(peer, resolveIdentity);
        if (peerName != null && !peerName.isEmpty()) {
            b.append(",\"peer\":\"").append(peerName).append('"');
        }
        b.append('}');
    }

    private static void decision(StringBuilder b, int start, boolean taken, String name) {
        if (taken) {
            if (b.length() > start) {
                b.append(',');
            }
            b.append(name);
        }
    }

    /** Appends "a.b.c.d:port" or "[v6]:port" (no port when {@code port} is negative); IPv4 without a String. */
    private static void endpoint(StringBuilder b, long hi, long lo, int port) {
        boolean ipv4 = MappedAddress.isIpv4(hi, lo);
        if (ipv4) {
            int a = MappedAddress.ip4(lo);
            b.append(a >>> 24).append('.').append((a >>> 16) & 0xFF).append('.').append((a >>> 8) & 0xFF).append('.')
                    .append(a & 0xFF);
        } else {
            b.append(port < 0 ? "" : "[").append(Addresses.formatIpv6(hi, lo)).append(port < 0 ? "" : "]");
        }
        if (port >= 0) {
            b.append(':').append(port);
        }
    }

    /** Returns: the escaped name, or "" for none (cached too: a name that does not exist is not looked up per frame). */
    private static String escapeOrEmpty(String s) {
        return s == null ? "" : VerdictLines.escape(s);
    }
}
