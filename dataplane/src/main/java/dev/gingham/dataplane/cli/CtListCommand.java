package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.api.ConntrackView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code gingham ct list}: the conntrack tables, filtered. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "List conntrack entries (both tables).")
public final class CtListCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ApiOptions api;

    @Option(names = "--limit", description = "at most this many entries (default ${DEFAULT-VALUE})")
    int limit = ConntrackView.DEFAULT_LIMIT;

    @Option(names = "--protocol", description = "tcp, udp, icmp, icmpv6, sctp or a number")
    String protocol;

    @Option(names = "--src", description = "source address")
    String src;

    @Option(names = "--dst", description = "destination address")
    String dst;

    @Option(names = "--port", description = "either side's port")
    Integer port;

    @Option(names = "--pod", description = "a local pod (namespace/name or name) on either side")
    String pod;

    @Option(names = "--table", description = "tcp or other")
    String table;

    @Override
    public Integer call() {
        String path = ApiCall.path("/v1/conntrack", ApiCall.parameters("limit", limit, "protocol", protocol, "src", src,
                "dst", dst, "port", port, "pod", pod, "table", table));
        return ApiCall.run(spec, api, path, ConntrackView.Conntrack.class, CtListCommand::render);
    }

    static String render(ConntrackView.Conntrack ct) {
        TextTable t = new TextTable("PROTO", "SOURCE", "DESTINATION", "STATE", "EXPIRES", "PACKETS", "BYTES", "FLAGS");
        for (ConntrackView.Entry e : ct.entries()) {
            String flags = String.join(",", e.flags());
            if (e.service()) {
                flags = flags.isEmpty() ? "service" : "service," + flags;
            }
            t.row(e.protocol(), e.source() + ":" + e.sourcePort(), e.destination() + ":" + e.destinationPort(),
                    e.state().isEmpty() || "NONE".equals(e.state()) ? "-" : e.state(), e.expiresInSeconds() + "s",
                    String.valueOf(e.packets()), String.valueOf(e.bytes()), flags.isEmpty() ? "-" : flags);
        }
        String summary = ct.truncated()
                ? "showing " + ct.entries().size() + " of " + ct.matched() + " matching entries (raise --limit)"
                : TextTable.count(ct.matched(), "entry", "entries");
        return t + summary + "; tables hold tcp " + ct.tcpEntries() + ", other " + ct.otherEntries() + "\n";
    }
}
