package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.api.EndpointsView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code gingham endpoint list}: this node's pods as endpoints. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List local pods: slot, address, MAC, identity, policy enforcement, labels.")
public final class EndpointListCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ApiOptions api;

    @Override
    public Integer call() {
        return ApiCall.run(spec, api, "/v1/endpoints", EndpointsView.Endpoints.class, EndpointListCommand::render);
    }

    static String render(EndpointsView.Endpoints endpoints) {
        TextTable t = new TextTable("ID", "POD", "ADDRESS", "MAC", "IDENTITY", "INGRESS", "EGRESS", "STATE", "LABELS");
        for (EndpointsView.Endpoint e : endpoints.endpoints()) {
            t.row(e.id(), e.namespace() + "/" + e.pod(), e.address(), e.mac(), e.identity(),
                    e.ingressEnforced() ? "enforced" : "open", e.egressEnforced() ? "enforced" : "open", e.state(),
                    labels(e.labels()));
        }
        return t.toString() + TextTable.count(endpoints.endpoints().size(), "endpoint", "endpoints") + " (" + endpoints.count() + " of " + endpoints.capacity()
                + " slots in the endpoint map)\n";
    }

    private static String labels(Map<String, String> labels) {
        return labels.isEmpty() ? "-" : labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
    }
}
