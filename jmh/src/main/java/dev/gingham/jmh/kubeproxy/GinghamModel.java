package dev.gingham.jmh.kubeproxy;

import dev.gingham.jmh.nat.BenchServices;
import dev.gingham.nat.lb.Algorithm;
import dev.gingham.nat.lb.LbMaps;
import dev.gingham.nat.lb.Scope;
import dev.gingham.nat.lb.ServiceLookup;
import dev.gingham.nat.lb.ServiceSpec;
import dev.gingham.nat.lb.ServiceTable;
import dev.gingham.packet.FlowHash;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.MappedAddress;

/**
 * Gingham's own service maps, called exactly as the pipeline's service program
 * ({@code nat.ServiceNat}) calls them for a connection's first packet: the frontend lookup
 * ({@link ServiceLookup#frontend}, scope INTERNAL: traffic from a pod), the flow hash of the
 * 5-tuple, {@link ServiceLookup#selectBackend} (random or Maglev) and the backend's address and
 * port. Conntrack and the DNAT rewrite, which ServiceNat adds, are left out as they are left
 * out of the kube-proxy models.
 *
 * <p>Updates go through {@link ServiceTable#upsert} and {@link ServiceTable#delete}, the control
 * plane's own path (validation, index allocation, backend entries, backend list and Maglev table
 * written off to the side, then published).
 *
 * <p>Sizing: the maps are created for {@link ServiceCatalog#MAX_SERVICES} whatever the number of
 * services loaded, so only occupancy changes between runs. Maglev uses tables of
 * {@code maglevTableSize} entries: the comparison runs M = 1021 (a size Cilium accepts, 100 times
 * the 10 backends, as the Maglev paper advises) because the default M = 16381 needs 128 KiB per
 * service, 13 GB at 100k services.
 */
public final class GinghamModel implements ServiceDataplane {
    private final Algorithm algorithm;
    private final LbMaps maps;
    private final ServiceTable table;
    private final ServiceLookup lookup;
    private int cachedSpecService = -1;
    private ServiceSpec cachedSpec;
    private final long nowNs = 1_000_000_000L;
    private int services;

    /**
     * @param algorithm       {@link Algorithm#RANDOM} or {@link Algorithm#MAGLEV}
     * @param maglevTables    Maglev tables to allocate (services that may be installed at once)
     * @param maglevTableSize M, a prime
     */
    public GinghamModel(Algorithm algorithm, int maglevTables, int maglevTableSize) {
        this.algorithm = algorithm;
        this.maps = LbMaps.create(BenchServices.config(ServiceCatalog.MAX_SERVICES, ServiceCatalog.BACKENDS,
                algorithm == Algorithm.MAGLEV ? maglevTables : 1, maglevTableSize), 7L);
        this.table = new ServiceTable(maps);
        this.lookup = new ServiceLookup(maps, 0);
    }

    @Override
    public long select(FrameVector v, int i) {
        int protocol = v.protocol(i);
        long dstHi = v.dstHi(i);
        long dstLo = v.dstLo(i);
        int dstPort = v.dstPort(i);
        long frontend = lookup.frontend(dstHi, dstLo, dstPort, protocol, Scope.INTERNAL);
        if (frontend < 0) {
            return NO_SERVICE;
        }
        long srcHi = v.srcHi(i);
        long srcLo = v.srcLo(i);
        long hash = FlowHash.of(srcHi, srcLo, dstHi, dstLo, v.srcPort(i), dstPort, protocol);
        int backendId = lookup.selectBackend(frontend, hash, srcHi, srcLo, nowNs);
        if (backendId <= 0) {
            return NO_SERVICE;
        }
        long backend = lookup.backend(backendId);
        return ServiceDataplane.backend(MappedAddress.ip4(lookup.backendAddrLo(backend)), lookup.backendPort(backend));
    }

    /**
     * Upserts service s (a service not installed yet). The {@link ServiceSpec} (what the API
     * server would hand over) is built once per service and kept, so the figure is the table's
     * work, not the record's construction.
     */
    @Override
    public void addService(int s) {
        if (cachedSpecService != s) {
            cachedSpec = BenchServices.clusterIp(s, ServiceCatalog.BACKENDS, algorithm);
            cachedSpecService = s;
        }
        table.upsert(cachedSpec);
        services++;
    }

    @Override
    public boolean removeService(int s) {
        if (!table.delete(BenchServices.NAMESPACE, BenchServices.name(s))) {
            return false;
        }
        services--;
        return true;
    }

    @Override
    public int services() {
        return services;
    }

    @Override
    public void close() {
        maps.close();
    }
}
