package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.api.ConntrackView;
import dev.gingham.dataplane.api.NatView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code gingham nat list}: the SNAT mappings (masquerade and egress gateway). */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List SNAT mappings: each flow's original source and the address and port it leaves with.")
public final class NatListCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ApiOptions api;

    @Option(names = "--limit", description = "at most this many mappings (default ${DEFAULT-VALUE})")
    int limit = ConntrackView.DEFAULT_LIMIT;

    @Option(names = "--protocol", description = "tcp, udp, icmp, icmpv6 or a number")
    String protocol;

    @Option(names = "--src", description = "original source address")
    String src;

    @Option(names = "--dst", description = "destination address")
    String dst;

    @Option(names = "--pod", description = "a local pod (namespace/name or name) as the source")
    String pod;

    @Override
    public Integer call() {
        String path = ApiCall.path("/v1/nat", ApiCall.parameters("limit", limit, "protocol", protocol, "src", src,
                "dst", dst, "pod", pod));
        return ApiCall.run(spec, api, path, NatView.Nat.class, NatListCommand::render);
    }

    static String render(NatView.Nat nat) {
        TextTable t = new TextTable("PROTO", "SOURCE", "DESTINATION", "NAT", "AGE");
        for (NatView.Mapping m : nat.mappings()) {
            t.row(m.protocol(), m.source() + ":" + m.sourcePort(), m.destination() + ":" + m.destinationPort(),
                    m.natAddress() + ":" + m.natPort(), m.ageSeconds() + "s");
        }
        String summary = nat.truncated()
                ? "showing " + nat.mappings().size() + " of " + nat.matched() + " matching mappings (raise --limit)"
                : TextTable.count(nat.matched(), "mapping", "mappings");
        return t + summary + "; " + nat.count() + " of " + nat.capacity() + " in use\n";
    }
}
