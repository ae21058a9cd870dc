package dev.gingham.dataplane.api;

import dev.gingham.nat.IpAddress;
import dev.gingham.nat.snat.SnatTable;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code /v1/nat}: the SNAT mappings (like {@code cilium-dbg bpf nat list}): each masqueraded or
 * egress-gateway flow's original source and the address and port it leaves with. Read through
 * {@link SnatTable#forEachMapping}, which skips entries caught half written.
 */
public final class NatView {
    /**
     * @param count     mappings in the table
     * @param capacity  the table's size (masquerade.mapEntries)
     * @param matched   mappings that pass the filters
     * @param truncated more matched than the limit let through
     */
    public record Nat(List<Mapping> mappings, int count, int capacity, int matched, boolean truncated) {
    }

    /**
     * One mapping: {@code source:sourcePort -> destination:destinationPort} leaves as
     * {@code natAddress:natPort}.
     *
     * @param ageSeconds seconds since the mapping was made (node clock)
     */
    public record Mapping(String protocol, String source, int sourcePort, String destination, int destinationPort,
                          String natAddress, int natPort, long ageSeconds) {
    }

    /**
     * What a request asks for; null fields do not filter.
     *
     * @param source the original source (a pod's address for {@code pod=})
     */
    public record Filter(Integer protocol, IpAddress source, IpAddress destination, int limit) {
    }

    private NatView() {
    }

    public static Nat of(SnatTable table, Filter filter, long nowNs) {
        List<Mapping> rows = new ArrayList<>();
        int[] matched = {0};
        table.forEachMapping((protocol, srcHi, srcLo, srcPort, dstHi, dstLo, dstPort, natHi, natLo, natPort, createdNs) -> {
            IpAddress src = new IpAddress(srcHi, srcLo);
            IpAddress dst = new IpAddress(dstHi, dstLo);
            if ((filter.protocol() != null && filter.protocol() != protocol)
                    || (filter.source() != null && !filter.source().equals(src))
                    || (filter.destination() != null && !filter.destination().equals(dst))) {
                return;
            }
            matched[0]++;
            if (rows.size() < filter.limit()) {
                rows.add(new Mapping(IpProtocols.name(protocol), src.toString(), srcPort, dst.toString(), dstPort,
                        new IpAddress(natHi, natLo).toString(), natPort, Math.floorDiv(nowNs - createdNs, 1_000_000_000L)));
            }
        });
        rows.sort(Comparator.comparing(Mapping::source).thenComparingInt(Mapping::sourcePort)
                .thenComparing(Mapping::destination).thenComparingInt(Mapping::destinationPort));
        return new Nat(List.copyOf(rows), table.count(), table.config().mapEntries(), matched[0], matched[0] > rows.size());
    }
}
