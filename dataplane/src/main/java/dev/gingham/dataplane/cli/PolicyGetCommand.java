package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.api.PolicyView;
import dev.gingham.dataplane.identity.SecurityLabels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code gingham policy get [POD]}: endpoints' policy as computed. */
@Command(name = "get", mixinStandardHelpOptions = true,
        description = "Show what each local pod (or POD) may receive and send: peers, protocols, ports, the policy allowing it.")
public final class PolicyGetCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ApiOptions api;

    @Parameters(arity = "0..1", paramLabel = "POD", description = "namespace/name, or a name unique on the node")
    String pod;

    @Override
    public Integer call() {
        return ApiCall.run(spec, api, ApiCall.path("/v1/policy", ApiCall.parameters("pod", pod)), PolicyView.Policies.class,
                PolicyGetCommand::render);
    }

    static String render(PolicyView.Policies policies) {
        StringBuilder out = new StringBuilder();
        for (PolicyView.EndpointRules e : policies.endpoints()) {
            if (!out.isEmpty()) {
                out.append('\n');
            }
            out.append(e.pod()).append("  identity ").append(e.identity());
            if (!e.labels().isEmpty()) {
                out.append("  ").append(shortLabels(e.labels()));
            }
            out.append('\n');
            direction(out, "ingress", e.ingress(), "FROM");
            direction(out, "egress", e.egress(), "TO");
        }
        if (policies.endpoints().isEmpty()) {
            out.append("no local pods\n");
        }
        return out.toString();
    }

    /**
     * Returns: an identity's flat labels for a person: namespace labels left out (the JSON has
     * them), the namespace label as {@code namespace=}.
     */
    static String shortLabels(String flat) {
        StringBuilder b = new StringBuilder();
        for (String label : flat.split(",")) {
            if (label.startsWith(NAMESPACE_LABELS)) {
                continue;
            }
            if (!b.isEmpty()) {
                b.append(',');
            }
            b.append(label.startsWith(NAMESPACE) ? "namespace=" + label.substring(NAMESPACE.length()) : label);
        }
        return b.toString();
    }

    private static final String NAMESPACE_LABELS = SecurityLabels.NAMESPACE_LABELS_PREFIX;
    private static final String NAMESPACE = SecurityLabels.NAMESPACE_LABEL + "=";

    private static void direction(StringBuilder out, String name, PolicyView.Direction d, String peerHeader) {
        out.append("  ").append(name).append(": ");
        if (!d.enforced()) {
            out.append("not enforced (everything allowed)\n");
            return;
        }
        out.append(d.audit() ? "audit (denials are reported, not dropped)" : "enforced");
        if (d.allowed().isEmpty()) {
            out.append(", nothing allowed\n");
            return;
        }
        out.append('\n');
        TextTable t = new TextTable(peerHeader, "PORTS", "POLICY");
        for (PolicyView.Allow a : d.allowed()) {
            String peer = a.peerIdentity() == 0 ? "any peer" : a.peerIdentity() + " " + shortLabels(a.peer());
            t.row(peer, String.join("; ", a.ports()), a.policy().isEmpty() ? "-" : a.policy());
        }
        t.toString().lines().forEach(line -> out.append("    ").append(line).append('\n'));
    }
}
