package dev.gingham.dataplane.api;

import dev.gingham.nat.IpAddress;
import dev.gingham.nat.lb.BackendEntry;
import dev.gingham.nat.lb.BackendState;
import dev.gingham.nat.lb.FrontendEntry;
import dev.gingham.nat.lb.FrontendKind;
import dev.gingham.nat.lb.LbMaps;
import dev.gingham.nat.lb.Scope;
import dev.gingham.nat.lb.ServiceSpec;
import dev.gingham.maps.HashMap;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * {@code /v1/services}: the service maps as the data path reads them (like {@code cilium-dbg
 * service list}): one row per frontend entry, with the backends of its service port and whether
 * each is in the frontend's live backend list (only those take new flows). Names come from the
 * installed service specs, matched by frontend; a frontend no spec names (restored from pinned
 * maps, not yet claimed) shows with an empty name.
 *
 * <p>Read from any thread while the control agent writes: frontend and backend entries are read
 * with {@code forEachCopy} (a torn or vanished entry is skipped) and backend lists with their
 * seqlock snapshot, so a row never mixes two publications of one list.
 */
public final class ServicesView {
    /**
     * @param services every frontend entry, by address, port, protocol and scope
     */
    public record Services(List<Frontend> services) {
    }

    /**
     * One frontend entry.
     *
     * @param id        its rev-NAT index (what conntrack entries of its flows carry)
     * @param service   "namespace/name", or "" when no installed service claims it
     * @param portName  the service port's name ("" for an unnamed port)
     * @param type      ClusterIP, NodePort, LoadBalancer or ExternalIP
     * @param scope     "external", or "internal" for the in-cluster view of a service whose traffic policies differ
     * @param backends  the service port's backends (selected first)
     */
    public record Frontend(int id, String service, String portName, String address, int port, String protocol,
                           String type, String scope, List<Backend> backends) {
    }

    /**
     * One backend of a service port.
     *
     * @param id        backend id
     * @param state     active, terminating or quarantined
     * @param selected  in this frontend's live backend list: new flows may be sent to it
     * @param nodeLocal the backend runs on this node
     */
    public record Backend(int id, String address, int port, String state, int weight, boolean selected, boolean nodeLocal) {
    }

    private record BackendRow(int serviceId, Backend backend) {
    }

    private record PortKey(IpAddress address, int port, int protocol) {
    }

    private record Name(String service, String portName) {
    }

    private static final Name UNNAMED = new Name("", "");

    private ServicesView() {
    }

    /** Returns: the frontends of {@code maps}, named from {@code specs}, sorted by service, address, port. */
    public static Services of(LbMaps maps, Collection<ServiceSpec> specs) {
        List<BackendRow> backends = backends(maps.backends());
        Map<PortKey, Name> byAddress = new java.util.HashMap<>();
        Map<PortKey, Name> byNodePort = new java.util.HashMap<>();
        for (ServiceSpec spec : specs) {
            for (ServiceSpec.Port p : spec.ports()) {
                Name name = new Name(spec.id(), p.name());
                int protocol = p.protocol().number();
                for (List<IpAddress> addresses : List.of(spec.clusterIps(), spec.externalIps(), spec.loadBalancerIps())) {
                    for (IpAddress a : addresses) {
                        byAddress.put(new PortKey(a, p.port(), protocol), name);
                    }
                }
                if (p.nodePort() != 0) {
                    byNodePort.put(new PortKey(null, p.nodePort(), protocol), name);
                }
            }
        }
        List<Frontend> rows = new ArrayList<>();
        int maxBackends = maps.lists().maxBackendsPerService();
        int[] ids = new int[maxBackends];
        maps.frontends().forEachCopy((s, k, v) -> {
                IpAddress address = new IpAddress(s.get(ValueLayout.JAVA_LONG_UNALIGNED, k + FrontendEntry.ADDR_HI_OFFSET),
                        s.get(ValueLayout.JAVA_LONG_UNALIGNED, k + FrontendEntry.ADDR_LO_OFFSET));
                int port = Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, k + FrontendEntry.PORT_OFFSET));
                int protocol = Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, k + FrontendEntry.PROTOCOL_OFFSET));
                int scope = Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, k + FrontendEntry.SCOPE_OFFSET));
                long word = s.get(ValueLayout.JAVA_LONG_UNALIGNED, v);
                FrontendKind kind = FrontendKind.ofCode(FrontendEntry.kind(word));
                int list = FrontendEntry.listIndex(word);
                int selectedCount = Math.max(0, maps.lists().snapshot(list, ids));
                int[] selected = Arrays.copyOf(ids, selectedCount);
                Arrays.sort(selected);
                int serviceId = list >>> 1; // service port p owns lists 2p and 2p+1 (BackendLists)
                List<Backend> mine = new ArrayList<>();
                for (BackendRow row : backends) {
                    if (row.serviceId == serviceId) {
                        Backend b = row.backend;
                        mine.add(new Backend(b.id, b.address, b.port, b.state, b.weight,
                                Arrays.binarySearch(selected, b.id) >= 0, b.nodeLocal));
                    }
                }
                mine.sort(Comparator.comparing(Backend::selected).reversed().thenComparingInt(Backend::id));
                Name name = kind == FrontendKind.NODE_PORT
                        ? byNodePort.getOrDefault(new PortKey(null, port, protocol), UNNAMED)
                        : byAddress.getOrDefault(new PortKey(address, port, protocol), UNNAMED);
                rows.add(new Frontend(FrontendEntry.revNatIndex(word), name.service, name.portName, address.toString(), port,
                        IpProtocols.name(protocol), typeName(kind), scope == Scope.INTERNAL ? "internal" : "external",
                        List.copyOf(mine)));
        });
        rows.sort(Comparator.comparing(Frontend::service).thenComparing(Frontend::type).thenComparing(Frontend::address)
                .thenComparingInt(Frontend::port).thenComparing(Frontend::scope));
        return new Services(List.copyOf(rows));
    }

    /** Returns: every backend entry with its owning service port. */
    private static List<BackendRow> backends(HashMap map) {
        List<BackendRow> out = new ArrayList<>();
        map.forEachCopy((s, k, v) -> {
                int id = (int) s.get(ValueLayout.JAVA_LONG_UNALIGNED, k);
                IpAddress address = new IpAddress(BackendEntry.addrHi(s, v), BackendEntry.addrLo(s, v));
                out.add(new BackendRow(BackendEntry.serviceId(s, v), new Backend(id, address.toString(), BackendEntry.port(s, v),
                        stateName(BackendEntry.state(s, v)), BackendEntry.weight(s, v), false,
                        (BackendEntry.flags(s, v) & BackendEntry.FLAG_NODE_LOCAL) != 0)));
        });
        return out;
    }

    /** Returns: the Kubernetes spelling of a frontend kind. */
    static String typeName(FrontendKind kind) {
        if (kind == null) {
            return "?";
        }
        return switch (kind) {
            case CLUSTER_IP -> "ClusterIP";
            case NODE_PORT -> "NodePort";
            case LOAD_BALANCER -> "LoadBalancer";
            case EXTERNAL_IP -> "ExternalIP";
        };
    }

    private static String stateName(int code) {
        for (BackendState state : BackendState.values()) {
            if (state.code() == code) {
                return state.name().toLowerCase(java.util.Locale.ROOT);
            }
        }
        return "unknown(" + code + ")";
    }
}
