package dev.gingham.dataplane.api;

import dev.gingham.dataplane.flow.FlowEvent;
import dev.gingham.dataplane.flow.FlowRecord;
import dev.gingham.packet.DropReason;

import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The filters of a flow stream ({@code /v1/flows?verdict=&pod=&reason=}, {@code gingham monitor
 * --verdict --pod --reason}); every given filter must match.
 *
 * @param verdict FORWARDED, DROPPED or AUDIT (Hubble's spellings), or null
 * @param pod     "namespace/name" or a pod name, matching either side of the flow, or null
 * @param reason  a drop reason, or null
 */
public record FlowQuery(String verdict, String pod, DropReason reason) implements Predicate<FlowEvent> {
    /** The verdicts a filter may name. */
    public static final Set<String> VERDICTS = Set.of(FlowRecord.verdictName(FlowRecord.VERDICT_FORWARDED),
            FlowRecord.verdictName(FlowRecord.VERDICT_DROPPED), FlowRecord.verdictName(FlowRecord.VERDICT_AUDIT));

    /**
     * Parses the three filters (each may be null).
     *
     * @throws IllegalArgumentException naming the bad filter and what is accepted
     */
    public static FlowQuery parse(String verdict, String pod, String reason) {
        String v = null;
        if (verdict != null) {
            v = verdict.toUpperCase(Locale.ROOT);
            if (!VERDICTS.contains(v)) {
                throw new IllegalArgumentException("verdict '" + verdict + "' is not one of FORWARDED, DROPPED, AUDIT");
            }
        }
        return new FlowQuery(v, pod, reason == null ? null : reason(reason));
    }

    /** Returns: the drop reason of a name (any case) or a code. */
    static DropReason reason(String text) {
        try {
            return DropReason.valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException notAName) {
            try {
                DropReason r = DropReason.ofCode(Integer.parseInt(text));
                if (r != null) {
                    return r;
                }
            } catch (NumberFormatException notACode) {
                // reported below
            }
            throw new IllegalArgumentException("reason '" + text + "' is no drop reason (a name such as POLICY or a code "
                    + "such as 133; see docs/drop-reasons.md)");
        }
    }

    @Override
    public boolean test(FlowEvent e) {
        return (verdict == null || verdict.equals(e.verdict()))
                && (reason == null || reason.code() == e.dropCode())
                && (pod == null || isPod(e.source()) || isPod(e.destination()));
    }

    private boolean isPod(FlowEvent.Peer peer) {
        if (peer.pod().isEmpty()) {
            return false;
        }
        return pod.equals(peer.pod()) || pod.equals(peer.namespace() + "/" + peer.pod());
    }
}
