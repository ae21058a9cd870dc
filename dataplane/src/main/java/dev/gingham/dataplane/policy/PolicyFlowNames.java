package dev.gingham.dataplane.policy;

import dev.gingham.dataplane.flow.FlowNames;
import dev.gingham.dataplane.identity.ReservedIdentity;
import dev.gingham.dataplane.identity.SecurityLabels;
import dev.gingham.packet.Cidr;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@link FlowNames} over the {@link PolicyEngine}'s live state: pods by address, identities by
 * number (reserved names, CIDR prefixes, pod label sets) and policies by id. Used by the flow
 * reader, never by workers.
 */
public final class PolicyFlowNames implements FlowNames {
    private final PolicyEngine engine;

    public PolicyFlowNames(PolicyEngine engine) {
        this.engine = engine;
    }

    @Override
    public String pod(long hi, long lo) {
        return engine.podAt(hi, lo);
    }

    @Override
    public String identity(int identity) {
        String reserved = ReservedIdentity.name(identity);
        if (reserved != null) {
            return reserved;
        }
        if (ReservedIdentity.isCidr(identity)) {
            Cidr prefix = engine.cidrs().prefix(identity);
            return prefix == null ? "" : "cidr:" + prefix;
        }
        SecurityLabels labels = engine.identities().labels(identity);
        if (labels == null) {
            return "";
        }
        return labels.flat().entrySet().stream().map(Map.Entry::toString).collect(Collectors.joining(","));
    }

    @Override
    public String namespace(int identity) {
        SecurityLabels labels = engine.identities().labels(identity);
        return labels == null ? "" : labels.namespace();
    }

    @Override
    public String policy(int policyId) {
        return policyId == 0 ? "" : engine.policyName(policyId);
    }
}
