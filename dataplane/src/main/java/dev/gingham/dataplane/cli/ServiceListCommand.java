package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.api.ServicesView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code gingham service list}: the node's service frontends and their backends, from the service maps. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List service frontends (ClusterIP, NodePort, ...) with their backends.")
public final class ServiceListCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ApiOptions api;

    @Override
    public Integer call() {
        return ApiCall.run(spec, api, "/v1/services", ServicesView.Services.class, ServiceListCommand::render);
    }

    static String render(ServicesView.Services services) {
        TextTable t = new TextTable("ID", "SERVICE", "PORT", "FRONTEND", "TYPE", "BACKENDS");
        for (ServicesView.Frontend f : services.services()) {
            String type = f.type() + ("internal".equals(f.scope()) ? " (internal)" : "");
            String frontend = f.address() + ":" + f.port() + "/" + f.protocol();
            String service = f.service().isEmpty() ? "-" : f.service();
            String port = f.portName().isEmpty() ? "-" : f.portName();
            if (f.backends().isEmpty()) {
                t.row(f.id(), service, port, frontend, type, "(none)");
            }
            for (int i = 0; i < f.backends().size(); i++) {
                ServicesView.Backend b = f.backends().get(i);
                String backend = b.id() + " => " + b.address() + ":" + b.port() + " (" + b.state()
                        + (b.selected() || !"active".equals(b.state()) ? "" : ", not selected") + ")";
                if (i == 0) {
                    t.row(f.id(), service, port, frontend, type, backend);
                } else {
                    t.row("", "", "", "", "", backend);
                }
            }
        }
        return t.toString() + TextTable.count(services.services().size(), "frontend", "frontends") + "\n";
    }
}
