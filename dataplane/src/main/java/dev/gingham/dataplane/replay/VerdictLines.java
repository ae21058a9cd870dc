package dev.gingham.dataplane.replay;

import dev.gingham.conntrack.CtStatus;
import dev.gingham.dataplane.node.ConfiguredNode;
import dev.gingham.dataplane.policy.Direction;
import dev.gingham.dataplane.policy.PolicyEnforcer;
import dev.gingham.dataplane.policy.PolicyFlowNames;
import dev.gingham.dataplane.policy.PolicyLookup;
import dev.gingham.maps.MapErrors;
import dev.gingham.nat.lb.ServiceLookup;
import dev.gingham.nat.lb.ServiceTable;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameMarks;
import dev.gingham.packet.FrameTrace;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.header.Addresses;

import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.Long2ObjectHashMap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;
import java.util.function.LongFunction;

/**
 * Writes the lines of {@code verdicts.jsonl}: what happened to a frame (verdict, drop reason,
 * egress, the tuple as it left) and why (the decisions a {@link FrameTrace} recorded while the
 * pipeline ran: conntrack state, service and backend, NAT before and after, the policy verdict
 * of each direction with the deciding policy and the peer's identity).
 *
 * <p>Names are resolved here, on the replay's thread, never by the programs: service ports from
 * the service table's rev-NAT index, backends from the backend id, pods, identities and policies
 * through {@link PolicyFlowNames}. Keys appear only when they say something (no "service" key on a
 * frame no service touched), so a line stays short and its presence is the fact.
 *
 * <p><b>Speed.</b> A replay writes a line per frame, so the line is most of a replay's work. It
 * is written as bytes into a {@link LineBuffer}, and every part of it that depends only on a few
 * small integers is built once, already escaped and UTF-8 encoded, and cached under those
 * integers: the ingress/verdict/egress part per (ingress port, verdict), the service part per
 * rev-NAT index, the backend part per backend id, each policy direction's verdict, deciding
 * policy and peer, the conntrack state, the decisions list per combination of marks. What is left
 * per frame is copying those arrays and formatting the numbers and addresses that differ from
 * frame to frame; and when a frame's tuple and decisions are those of a recent frame of its flow,
 * not even that: the line's tail is copied from that frame's ({@link LineMemo}). The caches are
 * valid because the node's state does not change during a replay (the service, backend, identity
 * and policy maps are the control plane's, and replay has none running). The bytes are exactly
 * those of the first, StringBuilder-based version ({@code VerdictLinesTest} holds them to it).
 */
final class VerdictLines {
    private static final byte[] FRAME = ascii("{\"frame\":");
    private static final byte[] TIME = ascii(",\"time_ns\":");
    private static final byte[] PROTOCOL = ascii(",\"protocol\":");
    private static final byte[] SRC = ascii(",\"src\":\"");
    private static final byte[] DST = ascii("\",\"dst\":\"");
    private static final byte[] SRC_IDENTITY = ascii("\",\"src_identity\":");
    private static final byte[] DST_IDENTITY = ascii(",\"dst_identity\":");
    private static final byte[] REPLY = ascii(",\"direction\":\"reply\"}");
    private static final byte[] NAT_SOURCE = ascii(",\"nat\":{\"kind\":\"source\",\"before\":{\"src\":\"");
    private static final byte[] NAT_DESTINATION = ascii(",\"nat\":{\"kind\":\"destination\",\"before\":{\"src\":\"");
    private static final byte[] NAT_BOTH = ascii(",\"nat\":{\"kind\":\"source+destination\",\"before\":{\"src\":\"");
    private static final byte[] NAT_AFTER = ascii("\"},\"after\":{\"src\":\"");
    private static final byte[] NAT_END = ascii("\"}}");
    private static final byte[] POLICY = ascii(",\"policy\":{");
    /** The decisions list and the line's end, per combination of the four marks it names (bits as {@link #decisionsBits}). */
    private static final byte[][] DECISIONS = new byte[16][];

    static {
        String[] names = {"\"dnat+snat-to-node\"", "\"reverse-nat\"", "\"ct-created\"", "\"ct-tracked\""};
        for (int bits = 0; bits < DECISIONS.length; bits++) {
            StringBuilder list = new StringBuilder(",\"decisions\":[");
            for (int k = 0; k < names.length; k++) {
                if ((bits & (1 << k)) != 0) {
                    list.append(list.charAt(list.length() - 1) == '[' ? "" : ",").append(names[k]);
                }
            }
            DECISIONS[bits] = ascii(list.append("]}").toString());
        }
    }

    private static final int EGRESS_SLOT = PolicyEnforcer.traceSlot(Direction.EGRESS);
    private static final int INGRESS_SLOT = PolicyEnforcer.traceSlot(Direction.INGRESS);

    private final LineMemo memo = new LineMemo();
    private final String[] portNames;
    private final ServiceTable serviceTable;
    private final ServiceLookup services;
    private final PolicyFlowNames names;
    // Int- and long-keyed (no box per frame), each with a resolver bound once (a method reference
    // per frame would be an object per frame).
    private final Long2ObjectHashMap<byte[]> heads = new Long2ObjectHashMap<>();
    private final LongFunction<byte[]> resolveHead = this::head;
    private final Int2ObjectHashMap<byte[]> serviceParts = new Int2ObjectHashMap<>();
    private final IntFunction<byte[]> resolveService;
    private final Int2ObjectHashMap<byte[]> backendParts = new Int2ObjectHashMap<>();
    private final IntFunction<byte[]> resolveBackend = this::backendPart;
    private final Int2ObjectHashMap<byte[]> ctParts = new Int2ObjectHashMap<>();
    private final IntFunction<byte[]> resolveCt = status -> utf8(",\"ct\":\"" + ctState(status) + "\"");
    private final Int2ObjectHashMap<byte[]> egressVerdicts = new Int2ObjectHashMap<>();
    private final IntFunction<byte[]> resolveEgressVerdict = decision -> verdictPart("egress", decision);
    private final Int2ObjectHashMap<byte[]> ingressVerdicts = new Int2ObjectHashMap<>();
    private final IntFunction<byte[]> resolveIngressVerdict = decision -> verdictPart("ingress", decision);
    private final Int2ObjectHashMap<byte[]> policyParts = new Int2ObjectHashMap<>();
    private final IntFunction<byte[]> resolvePolicy;
    private final Int2ObjectHashMap<byte[]> peerParts = new Int2ObjectHashMap<>();
    private final IntFunction<byte[]> resolvePeer;
    // the last head looked up: most frames repeat their predecessor's ingress and verdict
    private long lastHeadKey = -1;
    private byte[] lastHead;

    VerdictLines(ConfiguredNode node) {
        this.portNames = node.portNames();
        this.serviceTable = node.state().services();
        this.services = new ServiceLookup(node.state().maps().services(), 0);
        this.names = new PolicyFlowNames(node.state().policy());
        this.resolveService = index -> {
            String name = escapeOrEmpty(serviceTable.revNatOwner(index));
            return utf8(",\"service\":{\"name\":\"" + (name.isEmpty() ? "rev-nat " + index : name) + "\"");
        };
        this.resolvePolicy = policy -> {
            String name = escapeOrEmpty(names.policy(policy));
            return utf8(",\"policy\":\"" + (name.isEmpty() ? "policy " + policy : name) + "\"");
        };
        this.resolvePeer = peer -> {
            String name = escapeOrEmpty(names.identity(peer));
            return utf8(",\"peer_identity\":" + peer + (name.isEmpty() ? "" : ",\"peer\":\"" + name + "\"") + "}");
        };
    }

    /** Writes the line of frame {@code i} of a vector the pipeline ran with {@code trace} attached, and its newline. */
    void frame(LineBuffer b, FrameVector v, int i, FrameTrace trace, long frameIndex, long timestampNs) throws IOException {
        int verdict = v.verdict(i);
        b.bytes(FRAME);
        b.decimal(frameIndex);
        b.bytes(TIME);
        b.decimal(timestampNs);
        long headKey = (long) v.ingressPort(i) << 32 | (verdict & 0xFFFF_FFFFL);
        if (headKey != lastHeadKey) {
            lastHead = heads.computeIfAbsent(headKey, resolveHead);
            lastHeadKey = headKey;
        }
        b.bytes(lastHead);
        int decisions = decisionsBits(v.mark(i));
        if (memo.find(v, i, trace, decisions, EGRESS_SLOT, INGRESS_SLOT)) {
            memo.write(b);
            return;
        }
        long tailStart = b.written();
        if (v.hasFlag(i, FrameVector.FLAG_IPV4 | FrameVector.FLAG_IPV6)) {
            boolean ports = v.hasFlag(i, FrameVector.FLAG_L4);
            b.bytes(PROTOCOL);
            b.decimal(v.protocol(i));
            b.bytes(SRC);
            b.endpoint(v.srcHi(i), v.srcLo(i), ports ? v.srcPort(i) : -1);
            b.bytes(DST);
            b.endpoint(v.dstHi(i), v.dstLo(i), ports ? v.dstPort(i) : -1);
            b.bytes(SRC_IDENTITY);
            b.decimal(v.srcIdentity(i));
            b.bytes(DST_IDENTITY);
            b.decimal(v.dstIdentity(i));
            int ct = trace.ctStatus(i);
            if (ct != FrameTrace.NONE) {
                b.bytes(ctParts.computeIfAbsent(ct, resolveCt));
            }
            service(b, trace, i);
            nat(b, trace, i, ports);
            policy(b, trace, i);
        }
        b.bytes(DECISIONS[decisions]);
        b.ascii('\n');
        memo.store(b, tailStart);
    }

    /** Writes the line of a frame the feed skipped, and its newline: it never entered the pipeline (rare: built as text). */
    void skipped(LineBuffer b, CaptureFeed feed, int k) throws IOException {
        int iface = feed.skippedInterface(k);
        String ingress = feed.reader().interfaceName(iface);
        if (ingress == null || ingress.isEmpty()) {
            int port = feed.skippedReason(k) == CaptureFeed.SkipReason.UNMAPPED_INTERFACE ? -1 : feed.portOfInterface(iface);
            ingress = port >= 0 ? portName(port) : "interface-" + iface;
        }
        b.bytes(utf8("{\"frame\":" + feed.skippedFrameIndex(k)
                + ",\"time_ns\":" + feed.skippedTimestampNs(k)
                + ",\"ingress\":\"" + escape(ingress)
                + "\",\"verdict\":\"skipped\",\"skip_reason\":\"" + feed.skippedReason(k).label()
                + "\",\"captured_bytes\":" + feed.skippedCapturedLength(k)
                + ",\"original_bytes\":" + feed.skippedOriginalLength(k) + "}\n"));
    }

    /** Returns: lines whose tail was copied from an earlier frame of their flow ({@link LineMemo}). */
    long memoHits() {
        return memo.hits();
    }

    /** Returns: the name of a port ("underlay", "host", "namespace/pod"), or "port-N" when it has none. */
    String portName(int port) {
        return port >= 0 && port < portNames.length && portNames[port] != null ? portNames[port] : "port-" + port;
    }

    /** The ingress, verdict and egress or drop reason of a line, for the key (ingress port << 32 | verdict). */
    private byte[] head(long key) {
        int verdict = (int) key;
        StringBuilder b = new StringBuilder(",\"ingress\":\"").append(portName((int) (key >>> 32))).append('"');
        if (Verdict.isTx(verdict)) {
            b.append(",\"verdict\":\"forwarded\",\"egress\":\"").append(portName(Verdict.port(verdict))).append('"');
        } else {
            int code = Verdict.dropCode(verdict);
            DropReason reason = DropReason.ofCode(code);
            b.append(",\"verdict\":\"dropped\",\"drop_code\":").append(code)
                    .append(",\"drop_reason\":\"").append(reason == null ? "UNKNOWN" : reason.name()).append('"');
        }
        return utf8(b.toString());
    }

    private void service(LineBuffer b, FrameTrace trace, int i) throws IOException {
        int revNat = trace.revNatIndex(i);
        if (revNat == 0) {
            return;
        }
        b.bytes(serviceParts.computeIfAbsent(revNat, resolveService));
        int backendId = trace.backendId(i);
        b.bytes(backendId == 0 ? REPLY : backendParts.computeIfAbsent(backendId, resolveBackend));
    }

    /** The backend's id, address and pod, and the service object's end. */
    private byte[] backendPart(int backendId) {
        StringBuilder b = new StringBuilder(",\"backend_id\":").append(backendId);
        long backend = services.backend(backendId);
        if (backend != MapErrors.MISSING) {
            long hi = services.backendAddrHi(backend);
            long lo = services.backendAddrLo(backend);
            int port = services.backendPort(backend);
            b.append(",\"backend\":\"").append(Addresses.formatEndpoint(hi, lo, port)).append('"');
            String pod = escapeOrEmpty(names.pod(hi, lo));
            if (!pod.isEmpty()) {
                b.append(",\"backend_pod\":\"").append(pod).append('"');
            }
        }
        return utf8(b.append('}').toString());
    }

    private static void nat(LineBuffer b, FrameTrace trace, int i, boolean ports) throws IOException {
        int sides = trace.natSides(i);
        if (sides == 0) {
            return;
        }
        b.bytes(sides == (FrameTrace.NAT_SOURCE | FrameTrace.NAT_DESTINATION) ? NAT_BOTH
                : sides == FrameTrace.NAT_SOURCE ? NAT_SOURCE : NAT_DESTINATION);
        b.endpoint(trace.beforeSrcHi(i), trace.beforeSrcLo(i), ports ? trace.beforeSrcPort(i) : -1);
        b.bytes(DST);
        b.endpoint(trace.beforeDstHi(i), trace.beforeDstLo(i), ports ? trace.beforeDstPort(i) : -1);
        b.bytes(NAT_AFTER);
        b.endpoint(trace.afterSrcHi(i), trace.afterSrcLo(i), ports ? trace.afterSrcPort(i) : -1);
        b.bytes(DST);
        b.endpoint(trace.afterDstHi(i), trace.afterDstLo(i), ports ? trace.afterDstPort(i) : -1);
        b.bytes(NAT_END);
    }

    private void policy(LineBuffer b, FrameTrace trace, int i) throws IOException {
        int egressDecision = trace.policyDecision(i, EGRESS_SLOT);
        int ingressDecision = trace.policyDecision(i, INGRESS_SLOT);
        boolean hasEgress = egressDecision != FrameTrace.NONE;
        boolean hasIngress = ingressDecision != FrameTrace.NONE;
        if (!hasEgress && !hasIngress) {
            return;
        }
        b.bytes(POLICY);
        if (hasEgress) {
            policyDirection(b, egressVerdicts.computeIfAbsent(egressDecision, resolveEgressVerdict), trace, i, EGRESS_SLOT);
        }
        if (hasIngress) {
            if (hasEgress) {
                b.ascii(',');
            }
            policyDirection(b, ingressVerdicts.computeIfAbsent(ingressDecision, resolveIngressVerdict), trace, i, INGRESS_SLOT);
        }
        b.ascii('}');
    }

    private void policyDirection(LineBuffer b, byte[] verdict, FrameTrace trace, int i, int slot) throws IOException {
        b.bytes(verdict);
        int policyId = trace.policyId(i, slot);
        if (policyId != 0) {
            b.bytes(policyParts.computeIfAbsent(policyId, resolvePolicy));
        }
        b.bytes(peerParts.computeIfAbsent(trace.policyPeer(i, slot), resolvePeer));
    }

    private static byte[] verdictPart(String direction, int decision) {
        return utf8("\"" + direction + "\":{\"verdict\":\"" + decisionName(decision) + "\"");
    }

    /** Returns: which of the four marks the decisions list names {@code mark} carries, as an index of {@link #DECISIONS}. */
    private static int decisionsBits(int mark) {
        return ((mark & FrameMarks.SNAT_TO_NODE) != 0 ? 1 : 0) | ((mark & FrameMarks.REVERSE_NAT) != 0 ? 2 : 0)
                | ((mark & FrameMarks.CT_CREATED) != 0 ? 4 : 0) | ((mark & FrameMarks.CT_ACCOUNTED) != 0 ? 8 : 0);
    }

    /** Returns: the verdicts.jsonl spelling of a policy decision ({@link PolicyLookup} constants, or a reply). */
    static String decisionName(int decision) {
        return switch (decision) {
            case PolicyLookup.ALLOWED -> "allowed";
            case PolicyLookup.NOT_ENFORCED -> "not-enforced";
            case PolicyLookup.DENIED -> "denied";
            case PolicyLookup.AUDITED -> "audited";
            case PolicyLookup.FRAGMENT_DENIED -> "fragment-denied";
            case PolicyLookup.NO_POLICY -> "no-policy";
            case PolicyLookup.NO_ENDPOINT -> "no-endpoint";
            case PolicyEnforcer.TRACE_REPLY -> "reply";
            default -> "decision " + decision;
        };
    }

    /** Returns: the verdicts.jsonl spelling of a conntrack status. */
    static String ctState(int status) {
        return switch (status) {
            case CtStatus.NEW -> "new";
            case CtStatus.ESTABLISHED -> "established";
            case CtStatus.REPLY -> "reply";
            case CtStatus.RELATED -> "related";
            default -> "status " + status;
        };
    }

    /** Returns: the escaped name, or "" for none (cached too: a name that does not exist is not looked up per frame). */
    private static String escapeOrEmpty(String s) {
        return s == null ? "" : escape(s);
    }

    /** Escapes what JSON strings cannot hold raw (names come from manifests and captures). */
    static String escape(String s) {
        StringBuilder out = null;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '"' || c == '\\' || c < 0x20) {
                if (out == null) {
                    out = new StringBuilder(s.length() + 8).append(s, 0, k);
                }
                out.append(c == '"' ? "\\\"" : c == '\\' ? "\\\\" : String.format("\\u%04x", (int) c));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
