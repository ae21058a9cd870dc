package dev.gingham.nat.lb;

import dev.gingham.nat.IpAddress;

import dev.gingham.maps.ArrayMap;
import dev.gingham.maps.MapErrors;
import dev.gingham.maps.UpdateFlags;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The control plane of service load balancing (what kube-proxy does for Services): turns
 * {@link ServiceSpec}s into frontend, backend, rev-NAT, backend-list and Maglev entries, and
 * removes them again. Run by one control thread; workers read the maps meanwhile.
 *
 * <h2>What an upsert guarantees</h2>
 * <ul>
 *   <li>Validation first: a bad spec throws {@link IllegalArgumentException} naming the field
 *       (e.g. {@code ports[0].protocol SCTP}) and nothing changes.</li>
 *   <li>Capacity next: every index and map entry the spec needs beyond what it already holds is
 *       counted against what is free; when something does not fit the upsert throws
 *       {@link IllegalStateException} naming the map and nothing changes (no half-apply). New
 *       entries are counted before old ones are released, so an upsert that replaces all
 *       backends needs room for both sets.</li>
 *   <li>Then the writes, ordered so a worker never follows a reference to something unwritten:
 *       backend entries, then each backend list (its inactive half and Maglev table, then one
 *       generation flip per list: the atomic switch of the backend set), then rev-NAT entries,
 *       then frontend entries (INTERNAL before the EXTERNAL entry that points to it), and only
 *       then the removal of what is no longer referenced.</li>
 * </ul>
 *
 * <h2>Identity</h2>
 * A service is "namespace/name"; a service port is the service plus the port's name and protocol
 * and owns a service id {@code p} with backend lists {@code 2p} (Cluster view) and {@code 2p+1}
 * (Local view). A backend is one entry per service port (see {@link BackendEntry}); an endpoint
 * keeps its backend id across upserts while it stays in the spec. Each frontend
 * (address:port:protocol) has a rev-NAT index of its own.
 *
 * <h2>Restart</h2>
 * Built over reopened pinned maps, the table adopts what it finds: every index in use stays
 * reserved and the data path keeps serving. An upsert that names a restored frontend takes it
 * over, keeping its rev-NAT index so existing connections still reverse-translate, and adopts the
 * service id behind it with the backend ids of the endpoints it still has: conntrack entries name
 * their backend by id, and affinity and round-robin state are kept per backend list (the service
 * id), so established flows keep their backend and affinity survives. Without the adoption every
 * restart would hand out new ids (the old ones stay reserved until the prune), and a flow whose
 * backend id was pruned would lose its backend. Once the daemon has replayed every service,
 * {@link #pruneRestored()} removes whatever was not claimed.
 */
public final class ServiceTable {
    private static final String RESTORED = "(restored)";
    private static final int CLUSTER = 0;
    private static final int LOCAL = 1;
    /** Scratch layout: values at 0 (up to 32 bytes), frontend keys at 32, backend keys at 56. */
    private static final long FRONTEND_KEY = 32;
    private static final long BACKEND_KEY = 56;

    private final LbConfig config;
    private final dev.gingham.maps.HashMap frontends;
    private final FrontendFilter frontendFilter;
    private final dev.gingham.maps.HashMap backends;
    private final ArrayMap revNat;
    private final BackendLists lists;
    private final MaglevTables maglev;
    private final IndexAllocator serviceIds;
    private final IndexAllocator backendIds;
    private final IndexAllocator revNatIds;
    private final IndexAllocator maglevIds;
    private final MemorySegment scratch = Arena.ofAuto().allocate(64, 8);
    private final int[] maglevTable;

    private final Map<String, Map<PortId, PortState>> services = new LinkedHashMap<>();
    private final Map<FrontendKey, String> owners = new java.util.HashMap<>();
    private final Map<FrontendKey, Installed> restoredFrontends = new java.util.HashMap<>();
    private final Set<Integer> restoredServiceIds = new HashSet<>();
    private final Set<Integer> restoredBackendIds = new HashSet<>();
    /** The service id each restored frontend's EXTERNAL entry points to. */
    private final Map<FrontendKey, Integer> restoredFrontendServices = new java.util.HashMap<>();
    /** Restored backends by service id, for an adopting upsert. */
    private final Map<Integer, Map<BackendKey, Integer>> restoredBackends = new java.util.HashMap<>();
    /** Restored Maglev table index per service id and view (-1: none). */
    private final Map<Integer, int[]> restoredMaglev = new java.util.HashMap<>();

    /** A frontend's identity: its EXTERNAL-scope key without the scope. */
    record FrontendKey(long hi, long lo, int port, int protocol) {
    }

    private record PortId(String name, L4Protocol protocol) {
    }

    private record BackendKey(IpAddress address, int port) {
    }

    private record Installed(FrontendKind kind, int revNat, boolean twoScopes) {
    }

    private record FrontendPlan(FrontendKey key, FrontendKind kind, int externalView, int internalView) {
        boolean twoScopes() {
            return internalView >= 0;
        }
    }

    private record PortPlan(PortId id, ServiceSpec.Port port, PortState previous, List<FrontendPlan> frontends,
                            List<ServiceSpec.Backend> backends, boolean[] viewsNeeded) {
    }

    private static final class PortState {
        final int serviceId;
        Map<BackendKey, Integer> backendIds = new LinkedHashMap<>();
        Map<FrontendKey, Installed> frontends = new LinkedHashMap<>();
        final int[] maglevIndex = {-1, -1};
        final boolean[] listLive = new boolean[2];

        PortState(int serviceId) {
            this.serviceId = serviceId;
        }
    }

    public ServiceTable(LbMaps maps) {
        this.config = maps.config();
        this.frontends = maps.frontends();
        this.frontendFilter = maps.frontendFilter();
        this.backends = maps.backends();
        this.revNat = maps.revNat();
        this.lists = maps.lists();
        this.maglev = maps.maglev();
        this.serviceIds = new IndexAllocator("service ids", 0, config.maxServices());
        this.backendIds = new IndexAllocator("backend ids", 1, config.maxBackends());
        this.revNatIds = new IndexAllocator("rev-NAT indices", 1, config.maxFrontends());
        this.maglevIds = new IndexAllocator("Maglev tables", 0, config.maxMaglevTables());
        this.maglevTable = new int[config.maglevTableSize()];
        restore();
    }

    // ------------------------------------------------------------------ upsert

    /**
     * Creates or replaces a service (all its ports, frontends and backends).
     *
     * @throws IllegalArgumentException naming the field, for a bad spec (nothing changed)
     * @throws IllegalStateException    naming the map, when the spec does not fit (nothing changed)
     */
    public void upsert(ServiceSpec spec) {
        validate(spec);
        String id = spec.id();
        Map<PortId, PortState> old = services.getOrDefault(id, Map.of());
        List<PortPlan> plans = plan(spec, id, old);
        checkCapacity(id, spec.algorithm(), plans);

        // Ports that disappear (or were renamed) go first: a renamed port may reuse their frontends.
        Set<PortId> kept = new HashSet<>();
        plans.forEach(plan -> kept.add(plan.id()));
        for (Map.Entry<PortId, PortState> e : old.entrySet()) {
            if (!kept.contains(e.getKey())) {
                removePort(e.getValue());
            }
        }
        Map<PortId, PortState> installed = new LinkedHashMap<>();
        for (PortPlan plan : plans) {
            installed.put(plan.id(), apply(spec, id, plan));
        }
        services.put(id, installed);
    }

    /** Removes a service; returns false when it was not installed. */
    public boolean delete(String namespace, String name) {
        Map<PortId, PortState> ports = services.remove(namespace + "/" + name);
        if (ports == null) {
            return false;
        }
        ports.values().forEach(this::removePort);
        return true;
    }

    /**
     * Checks a whole set of changes before any of it is written, so a caller can apply them all or
     * none (a manifests reload): validates every spec; refuses two specs deriving one frontend and
     * a frontend owned by a service the batch neither deletes nor moves it from; checks capacity
     * for the batch as a whole, counting what the deletes free but not what the upserts free
     * (a sufficient condition: each upsert still counts its new entries before releasing its old
     * ones). Nothing changes.
     *
     * @param upserts services to create or replace
     * @param deletes "namespace/name" of services to remove
     * @return the upserts in an order that applies cleanly after the deletes: a service taking a
     *         frontend from another service of the batch comes after it
     * @throws IllegalArgumentException naming the service and field, for a bad spec or a conflict
     *         (including two services exchanging frontends in one batch: apply it in two steps)
     * @throws IllegalStateException naming the map, when the batch does not fit
     */
    public List<ServiceSpec> checkBatch(List<ServiceSpec> upserts, java.util.Collection<String> deletes) {
        Map<String, ServiceSpec> byId = new LinkedHashMap<>();
        for (ServiceSpec spec : upserts) {
            validate(spec);
            if (byId.put(spec.id(), spec) != null) {
                throw bad(spec, "given twice in one batch");
            }
            if (deletes.contains(spec.id())) {
                throw bad(spec, "both deleted and upserted in one batch");
            }
        }
        Map<String, Set<FrontendKey>> derived = new java.util.HashMap<>();
        Map<FrontendKey, String> derivedBy = new java.util.HashMap<>();
        for (ServiceSpec spec : upserts) {
            Set<FrontendKey> keys = new HashSet<>();
            for (PortPlan plan : plan(spec, spec.id(), services.getOrDefault(spec.id(), Map.of()), null)) {
                for (FrontendPlan fp : plan.frontends()) {
                    keys.add(fp.key());
                    String other = derivedBy.putIfAbsent(fp.key(), spec.id());
                    if (other != null && !other.equals(spec.id())) {
                        throw bad(spec, "frontend " + text(fp.key()) + " is also derived by service " + other);
                    }
                }
            }
            derived.put(spec.id(), keys);
        }
        Set<FrontendKey> released = new HashSet<>();
        Map<FrontendKey, String> movedFrom = new java.util.HashMap<>();
        owners.forEach((key, owner) -> {
            if (deletes.contains(owner)) {
                released.add(key);
            } else if (byId.containsKey(owner) && !derived.get(owner).contains(key)) {
                released.add(key);
                movedFrom.put(key, owner);
            }
        });
        int[] needs = new int[NEEDS];
        for (ServiceSpec spec : upserts) {
            int[] n = needs(spec.algorithm(), plan(spec, spec.id(), services.getOrDefault(spec.id(), Map.of()), released));
            for (int i = 0; i < NEEDS; i++) {
                needs[i] += n[i];
            }
        }
        int[] freed = new int[NEEDS];
        for (String id : deletes) {
            int[] h = held(services.getOrDefault(id, Map.of()));
            for (int i = 0; i < NEEDS; i++) {
                freed[i] += h[i];
            }
        }
        requireRoom("the batch of " + upserts.size() + " services", needs, freed);
        return order(upserts, derived, movedFrom);
    }

    /** Orders upserts so that a service giving up a frontend comes before the one taking it. */
    private static List<ServiceSpec> order(List<ServiceSpec> upserts, Map<String, Set<FrontendKey>> derived,
                                           Map<FrontendKey, String> movedFrom) {
        Map<String, Set<String>> after = new LinkedHashMap<>();
        for (ServiceSpec spec : upserts) {
            Set<String> first = new HashSet<>();
            for (FrontendKey key : derived.get(spec.id())) {
                String from = movedFrom.get(key);
                if (from != null && !from.equals(spec.id())) {
                    first.add(from);
                }
            }
            after.put(spec.id(), first);
        }
        List<ServiceSpec> ordered = new ArrayList<>();
        Set<String> done = new HashSet<>();
        while (ordered.size() < upserts.size()) {
            boolean progress = false;
            for (ServiceSpec spec : upserts) {
                if (!done.contains(spec.id()) && done.containsAll(after.get(spec.id()))) {
                    ordered.add(spec);
                    done.add(spec.id());
                    progress = true;
                }
            }
            if (!progress) {
                ServiceSpec stuck = upserts.stream().filter(s -> !done.contains(s.id())).findFirst().orElseThrow();
                String other = after.get(stuck.id()).stream().filter(id -> !done.contains(id)).findFirst().orElse("?");
                throw bad(stuck, "exchanges frontends with service " + other + " in one batch; change one of them first");
            }
        }
        return ordered;
    }

    /** Returns: the installed services' "namespace/name". */
    public Set<String> services() {
        return Set.copyOf(services.keySet());
    }

    /**
     * Returns: the service port a rev-NAT index (a frontend, as conntrack entries and replay's
     * trace name it) belongs to, as "namespace/name:port" (the port's name, or its number when
     * unnamed), or null when no installed frontend has it. Control plane: walks the services.
     */
    public String revNatOwner(int revNatIndex) {
        for (Map.Entry<String, Map<PortId, PortState>> service : services.entrySet()) {
            for (Map.Entry<PortId, PortState> port : service.getValue().entrySet()) {
                for (Map.Entry<FrontendKey, Installed> frontend : port.getValue().frontends.entrySet()) {
                    if (frontend.getValue().revNat() == revNatIndex) {
                        String name = port.getKey().name();
                        return service.getKey() + ":" + (name == null || name.isEmpty()
                                ? String.valueOf(frontend.getKey().port()) : name);
                    }
                }
            }
        }
        return null;
    }

    /** Returns: free backend ids (for tests and metrics). */
    public int freeBackendIds() {
        return backendIds.available();
    }

    /** Returns: free rev-NAT indices. */
    public int freeRevNatIndices() {
        return revNatIds.available();
    }

    /** Returns: free Maglev tables. */
    public int freeMaglevTables() {
        return maglevIds.available();
    }

    /** Returns: free service ids (service ports). */
    public int freeServiceIds() {
        return serviceIds.available();
    }

    private List<PortPlan> plan(ServiceSpec spec, String id, Map<PortId, PortState> old) {
        return plan(spec, id, old, Set.of());
    }

    /**
     * @param released frontends another service gives up in the same batch (they may be taken);
     *                 null to skip the ownership check (the first pass of {@link #checkBatch})
     */
    private List<PortPlan> plan(ServiceSpec spec, String id, Map<PortId, PortState> old, Set<FrontendKey> released) {
        List<PortPlan> plans = new ArrayList<>();
        Set<FrontendKey> seen = new HashSet<>();
        int ext = spec.externalTrafficPolicy() == ServiceSpec.TrafficPolicy.LOCAL ? LOCAL : CLUSTER;
        int in = spec.internalTrafficPolicy() == ServiceSpec.TrafficPolicy.LOCAL ? LOCAL : CLUSTER;
        boolean ipv4 = spec.clusterIps().getFirst().ipv4();
        for (int i = 0; i < spec.ports().size(); i++) {
            ServiceSpec.Port port = spec.ports().get(i);
            PortId portId = new PortId(port.name(), port.protocol());
            int proto = port.protocol().number();
            List<FrontendPlan> fps = new ArrayList<>();
            for (IpAddress ip : spec.clusterIps()) {
                fps.add(new FrontendPlan(key(ip, port.port(), proto), FrontendKind.CLUSTER_IP, in, -1));
            }
            for (IpAddress ip : spec.externalIps()) {
                fps.add(new FrontendPlan(key(ip, port.port(), proto), FrontendKind.EXTERNAL_IP, ext, in != ext ? in : -1));
            }
            if (spec.type() != ServiceSpec.Type.CLUSTER_IP) {
                for (IpAddress ip : config.nodeAddresses()) {
                    if (ip.ipv4() == ipv4) {
                        fps.add(new FrontendPlan(key(ip, port.nodePort(), proto), FrontendKind.NODE_PORT, ext, in != ext ? in : -1));
                    }
                }
            }
            for (IpAddress ip : spec.loadBalancerIps()) {
                fps.add(new FrontendPlan(key(ip, port.port(), proto), FrontendKind.LOAD_BALANCER, ext, in != ext ? in : -1));
            }
            boolean[] views = new boolean[2];
            for (FrontendPlan fp : fps) {
                if (!seen.add(fp.key())) {
                    throw bad(spec, "ports[" + i + "]: frontend " + text(fp.key()) + " is derived twice (an address is listed twice)");
                }
                String owner = released == null ? null : owners.get(fp.key());
                if (owner != null && !owner.equals(id) && !owner.equals(RESTORED) && !released.contains(fp.key())) {
                    throw bad(spec, "ports[" + i + "]: frontend " + text(fp.key()) + " (" + fp.kind() + ") already belongs to " + owner);
                }
                views[fp.externalView()] = true;
                if (fp.twoScopes()) {
                    views[fp.internalView()] = true;
                }
            }
            List<ServiceSpec.Backend> portBackends = new ArrayList<>();
            for (ServiceSpec.Backend b : spec.backends()) {
                if (b.portName().equals(port.name())) {
                    portBackends.add(b);
                }
            }
            plans.add(new PortPlan(portId, port, old.get(portId), fps, portBackends, views));
        }
        return plans;
    }

    private void checkCapacity(String id, Algorithm algorithm, List<PortPlan> plans) {
        requireRoom("service " + id, needs(algorithm, plans), new int[NEEDS]);
    }

    /** Indexes of a needs/held vector: service ids, backends, rev-NAT indices, frontend entries, Maglev tables. */
    private static final int NEEDS = 5;

    /** Returns: what {@code plans} need beyond what their ports already hold. */
    private int[] needs(Algorithm algorithm, List<PortPlan> plans) {
        int newServiceIds = 0;
        int newBackends = 0;
        int newRevNats = 0;
        int newEntries = 0;
        int newMaglev = 0;
        for (PortPlan plan : plans) {
            PortState prev = plan.previous();
            int adoptable = prev == null ? adoptableServiceId(plan) : -1;
            if (prev == null && adoptable < 0) {
                newServiceIds++;
            }
            Map<BackendKey, Integer> known = prev != null ? prev.backendIds
                    : restoredBackends.getOrDefault(adoptable, Map.of());
            for (ServiceSpec.Backend b : plan.backends()) {
                if (!known.containsKey(new BackendKey(b.address(), b.targetPort()))) {
                    newBackends++;
                }
            }
            for (FrontendPlan fp : plan.frontends()) {
                Installed existing = prev != null ? prev.frontends.get(fp.key()) : null;
                if (existing == null) {
                    existing = restoredFrontends.get(fp.key());
                }
                int have = existing == null ? 0 : existing.twoScopes() ? 2 : 1;
                newEntries += Math.max(0, (fp.twoScopes() ? 2 : 1) - have);
                newRevNats += existing == null ? 1 : 0;
            }
            int[] maglevHeld = prev != null ? prev.maglevIndex : restoredMaglev.getOrDefault(adoptable, new int[] {-1, -1});
            for (int view = 0; view < 2; view++) {
                if (plan.viewsNeeded()[view] && algorithm == Algorithm.MAGLEV && maglevHeld[view] < 0) {
                    newMaglev++;
                }
            }
        }
        return new int[] {newServiceIds, newBackends, newRevNats, newEntries, newMaglev};
    }

    /** Returns: what installed ports hold (and give back when removed). */
    private static int[] held(Map<PortId, PortState> ports) {
        int[] held = new int[NEEDS];
        for (PortState st : ports.values()) {
            held[0]++;
            held[1] += st.backendIds.size();
            held[2] += st.frontends.size();
            for (Installed installed : st.frontends.values()) {
                held[3] += installed.twoScopes() ? 2 : 1;
            }
            for (int index : st.maglevIndex) {
                held[4] += index >= 0 ? 1 : 0;
            }
        }
        return held;
    }

    private void requireRoom(String what, int[] needs, int[] freed) {
        requireRoom(what, LbMaps.LISTS + " (service ids)", needs[0], serviceIds.available() + freed[0]);
        requireRoom(what, LbMaps.BACKENDS, needs[1],
                Math.min(backendIds.available(), backends.spec().maxEntries() - backends.count()) + freed[1]);
        requireRoom(what, LbMaps.REV_NAT, needs[2], revNatIds.available() + freed[2]);
        requireRoom(what, LbMaps.FRONTENDS, needs[3], frontends.spec().maxEntries() - frontends.count() + freed[3]);
        requireRoom(what, LbMaps.MAGLEV, needs[4], maglevIds.available() + freed[4]);
    }

    private static void requireRoom(String what, String map, int needed, int free) {
        if (needed > free) {
            throw new IllegalStateException(what + ": " + map + " full: needs " + needed
                    + " more, " + free + " free; nothing changed");
        }
    }

    private PortState apply(ServiceSpec spec, String id, PortPlan plan) {
        PortState st = plan.previous() != null ? plan.previous() : adoptOrAllocate(plan);
        int protocol = plan.id().protocol().number();

        // 1. backend entries (new ids, or rewritten in place with new state/weight)
        Map<BackendKey, Integer> ids = new LinkedHashMap<>();
        for (ServiceSpec.Backend b : plan.backends()) {
            BackendKey key = new BackendKey(b.address(), b.targetPort());
            Integer known = st.backendIds.get(key);
            int backendId = known != null ? known : backendIds.allocate();
            BackendEntry.write(scratch, 0, b.address(), b.targetPort(), protocol, b.state().code(), b.weight(),
                    b.nodeLocal() ? BackendEntry.FLAG_NODE_LOCAL : 0, st.serviceId, b.zone());
            scratch.set(ValueLayout.JAVA_LONG, BACKEND_KEY, Integer.toUnsignedLong(backendId));
            check(LbMaps.BACKENDS, backends.update(scratch, BACKEND_KEY, scratch, 0, UpdateFlags.ANY));
            ids.put(key, backendId);
        }

        // 2. backend lists: write the inactive half, flip the generation
        List<Integer> maglevToFree = new ArrayList<>();
        for (int view = 0; view < 2; view++) {
            if (plan.viewsNeeded()[view]) {
                if (spec.algorithm() == Algorithm.MAGLEV && st.maglevIndex[view] < 0) {
                    st.maglevIndex[view] = maglevIds.allocate();
                }
                publishList(spec, st, view, plan.backends(), ids);
                if (spec.algorithm() != Algorithm.MAGLEV && st.maglevIndex[view] >= 0) {
                    maglevToFree.add(st.maglevIndex[view]);
                    st.maglevIndex[view] = -1;
                }
                st.listLive[view] = true;
            }
        }

        // 3. rev-NAT entries and 4. frontend entries
        Map<FrontendKey, Installed> installed = new LinkedHashMap<>();
        for (FrontendPlan fp : plan.frontends()) {
            Installed prev = st.frontends.get(fp.key());
            if (prev == null) {
                prev = restoredFrontends.remove(fp.key());
            }
            int revNatIndex;
            if (prev != null) {
                revNatIndex = prev.revNat();
            } else {
                revNatIndex = revNatIds.allocate();
                RevNatEntry.write(scratch, 0, fp.key().hi(), fp.key().lo(), fp.key().port(), fp.key().protocol());
                check(LbMaps.REV_NAT, revNat.update(revNatIndex, scratch, 0));
            }
            int externalList = 2 * st.serviceId + fp.externalView();
            if (fp.twoScopes()) {
                putFrontend(fp.key(), Scope.INTERNAL,
                        FrontendEntry.word(2 * st.serviceId + fp.internalView(), revNatIndex, fp.kind().code(), 0));
            }
            putFrontend(fp.key(), Scope.EXTERNAL, FrontendEntry.word(externalList, revNatIndex, fp.kind().code(),
                    fp.twoScopes() ? FrontendEntry.FLAG_TWO_SCOPES : 0));
            if (prev != null && prev.twoScopes() && !fp.twoScopes()) {
                deleteFrontendEntry(fp.key(), Scope.INTERNAL);
            }
            owners.put(fp.key(), id);
            installed.put(fp.key(), new Installed(fp.kind(), revNatIndex, fp.twoScopes()));
        }

        // 5. what is no longer referenced
        for (Map.Entry<FrontendKey, Installed> e : st.frontends.entrySet()) {
            if (!installed.containsKey(e.getKey())) {
                removeFrontend(e.getKey(), e.getValue());
            }
        }
        st.frontends = installed;
        for (int view = 0; view < 2; view++) {
            if (!plan.viewsNeeded()[view] && st.listLive[view]) {
                retireList(st, view);
            }
        }
        maglevToFree.forEach(maglevIds::free);
        for (Map.Entry<BackendKey, Integer> e : st.backendIds.entrySet()) {
            if (!ids.containsKey(e.getKey())) {
                deleteBackend(e.getValue());
            }
        }
        st.backendIds = ids;
        return st;
    }

    private void publishList(ServiceSpec spec, PortState st, int view, List<ServiceSpec.Backend> portBackends,
                             Map<BackendKey, Integer> ids) {
        int max = lists.maxBackendsPerService();
        int[] usableIds = new int[max];
        int[] weights = new int[max];
        long[] keys = new long[max];
        int n = 0;
        boolean remoteActive = false;
        for (ServiceSpec.Backend b : portBackends) {
            boolean usable = b.state() == BackendState.ACTIVE && b.weight() > 0;
            remoteActive |= usable && !b.nodeLocal();
            if (usable && (view == CLUSTER || b.nodeLocal())) {
                usableIds[n] = ids.get(new BackendKey(b.address(), b.targetPort()));
                weights[n] = b.weight();
                keys[n] = Maglev.backendKey(b.address(), b.targetPort());
                n++;
            }
        }
        int flags = (spec.affinityTimeoutSec() > 0 ? BackendLists.FLAG_AFFINITY : 0)
                | (view == LOCAL ? BackendLists.FLAG_LOCAL_ONLY : 0)
                | (remoteActive ? BackendLists.FLAG_REMOTE_ACTIVE : 0)
                | (spec.noBackendAction() == ServiceSpec.NoBackendAction.REJECT ? BackendLists.FLAG_REJECT : 0);
        int list = 2 * st.serviceId + view;
        int half = lists.beginWrite(list);
        int maglevIndex = BackendLists.NO_MAGLEV;
        if (spec.algorithm() == Algorithm.MAGLEV) {
            maglevIndex = st.maglevIndex[view];
            if (n > 0) {
                Maglev.build(n, usableIds, keys, weights, maglevTable.length, maglevTable);
                maglev.write(maglevIndex, half, maglevTable);
            }
        }
        lists.writeHalf(list, half, n, spec.algorithm().code(), flags, spec.affinityTimeoutSec(), maglevIndex,
                st.serviceId, usableIds, weights);
        lists.publish(list);
    }

    /** Publishes an empty half (a straggling reader gets NO_SERVICE) and frees the list's Maglev table. */
    private void retireList(PortState st, int view) {
        emptyList(2 * st.serviceId + view, st.serviceId);
        if (st.maglevIndex[view] >= 0) {
            maglevIds.free(st.maglevIndex[view]);
            st.maglevIndex[view] = -1;
        }
        st.listLive[view] = false;
    }

    private void emptyList(int list, int serviceId) {
        int half = lists.beginWrite(list);
        lists.writeHalf(list, half, 0, Algorithm.RANDOM.code(), 0, 0, BackendLists.NO_MAGLEV, serviceId, new int[0], new int[0]);
        lists.publish(list);
    }

    private void removePort(PortState st) {
        for (Map.Entry<FrontendKey, Installed> e : st.frontends.entrySet()) {
            removeFrontend(e.getKey(), e.getValue());
        }
        for (int view = 0; view < 2; view++) {
            if (st.listLive[view]) {
                retireList(st, view);
            }
        }
        st.backendIds.values().forEach(this::deleteBackend);
        serviceIds.free(st.serviceId);
    }

    private void removeFrontend(FrontendKey key, Installed installed) {
        deleteFrontendEntry(key, Scope.EXTERNAL);
        if (installed.twoScopes()) {
            deleteFrontendEntry(key, Scope.INTERNAL);
        }
        revNatIds.free(installed.revNat());
        owners.remove(key);
    }

    private void putFrontend(FrontendKey key, int scope, long word) {
        FrontendEntry.key(scratch, FRONTEND_KEY, key.hi(), key.lo(), key.port(), key.protocol(), scope);
        long offset = frontends.lookup(scratch, FRONTEND_KEY);
        if (offset != MapErrors.MISSING) {
            FrontendEntry.publish(frontends.segment(), offset, word);
            return;
        }
        scratch.set(ValueLayout.JAVA_LONG, 0, word);
        frontendFilter.add(key.hi(), key.lo(), key.port()); // before the entry is published: see FrontendFilter
        check(LbMaps.FRONTENDS, frontends.update(scratch, FRONTEND_KEY, scratch, 0, UpdateFlags.NOEXIST));
    }

    private void deleteFrontendEntry(FrontendKey key, int scope) {
        FrontendEntry.key(scratch, FRONTEND_KEY, key.hi(), key.lo(), key.port(), key.protocol(), scope);
        if (frontends.delete(scratch, FRONTEND_KEY) == MapErrors.OK) {
            frontendFilter.remove(key.hi(), key.lo(), key.port());
        }
    }

    private void deleteBackend(int backendId) {
        backends.delete(Integer.toUnsignedLong(backendId));
        backendIds.free(backendId);
    }

    private static void check(String map, int rc) {
        if (rc != MapErrors.OK) {
            // Capacity was checked before any write; reaching this is a bug, not a full map.
            throw new IllegalStateException(map + ": " + MapErrors.name(rc) + " after the capacity check");
        }
    }

    private static FrontendKey key(IpAddress ip, int port, int protocol) {
        return new FrontendKey(ip.hi(), ip.lo(), port, protocol);
    }

    private static String text(FrontendKey key) {
        IpAddress ip = new IpAddress(key.hi(), key.lo());
        String address = ip.ipv4() ? ip.toString() : "[" + ip + "]";
        return address + ":" + key.port() + "/" + (key.protocol() == L4Protocol.TCP_NUMBER ? "TCP" : "UDP");
    }

    // ------------------------------------------------------------------ validation

    private static IllegalArgumentException bad(ServiceSpec spec, String message) {
        return new IllegalArgumentException("service " + spec.namespace() + "/" + spec.name() + ": " + message);
    }

    private void validate(ServiceSpec spec) {
        if (spec == null) {
            throw new IllegalArgumentException("spec: required");
        }
        require(spec, spec.namespace() != null && !spec.namespace().isBlank(), "namespace: required");
        require(spec, spec.name() != null && !spec.name().isBlank(), "name: required");
        require(spec, spec.type() != null, "type: required");
        require(spec, spec.clusterIps() != null && !spec.clusterIps().isEmpty(), "clusterIPs: at least one is required");
        require(spec, spec.externalIps() != null, "externalIPs: required (may be empty)");
        require(spec, spec.loadBalancerIps() != null, "loadBalancerIPs: required (may be empty)");
        require(spec, spec.ports() != null && !spec.ports().isEmpty(), "ports: at least one is required");
        require(spec, spec.algorithm() != null, "algorithm: required");
        require(spec, spec.externalTrafficPolicy() != null, "externalTrafficPolicy: required");
        require(spec, spec.internalTrafficPolicy() != null, "internalTrafficPolicy: required");
        require(spec, spec.noBackendAction() != null, "noBackendAction: required");
        require(spec, spec.backends() != null, "backends: required (may be empty)");
        require(spec, spec.affinityTimeoutSec() >= 0 && spec.affinityTimeoutSec() <= ServiceSpec.MAX_AFFINITY_TIMEOUT_SEC,
                "affinityTimeoutSec " + spec.affinityTimeoutSec() + ": must be 0 (no affinity) or 1.."
                        + ServiceSpec.MAX_AFFINITY_TIMEOUT_SEC);
        require(spec, spec.loadBalancerIps().isEmpty() || spec.type() == ServiceSpec.Type.LOAD_BALANCER,
                "loadBalancerIPs: only a LoadBalancer service has ingress IPs");
        IpAddress first = spec.clusterIps().getFirst();
        requireFamily(spec, "clusterIPs", spec.clusterIps(), first);
        requireFamily(spec, "externalIPs", spec.externalIps(), first);
        requireFamily(spec, "loadBalancerIPs", spec.loadBalancerIps(), first);
        Set<String> portNames = new HashSet<>();
        for (int i = 0; i < spec.ports().size(); i++) {
            ServiceSpec.Port p = spec.ports().get(i);
            String field = "ports[" + i + "]";
            require(spec, p != null, field + ": null");
            require(spec, p.name() != null, field + ".name: required (\"\" for a single unnamed port)");
            require(spec, portNames.add(p.name()), field + ".name '" + p.name() + "': duplicate");
            require(spec, p.protocol() != null, field + ".protocol: required");
            require(spec, p.protocol() != L4Protocol.SCTP,
                    field + ".protocol SCTP: not supported by the service load balancer (TCP and UDP only)");
            require(spec, p.port() >= 1 && p.port() <= 65_535, field + ".port " + p.port() + ": must be 1..65535");
            if (spec.type() == ServiceSpec.Type.CLUSTER_IP) {
                require(spec, p.nodePort() == 0, field + ".nodePort " + p.nodePort() + ": a ClusterIP service has none (0)");
            } else {
                require(spec, p.nodePort() >= config.nodePortMin() && p.nodePort() <= config.nodePortMax(),
                        field + ".nodePort " + p.nodePort() + ": must be in " + config.nodePortMin() + "-" + config.nodePortMax());
            }
        }
        Map<String, Integer> perPort = new java.util.HashMap<>();
        Set<List<Object>> seen = new HashSet<>();
        for (int j = 0; j < spec.backends().size(); j++) {
            ServiceSpec.Backend b = spec.backends().get(j);
            String field = "backends[" + j + "]";
            require(spec, b != null, field + ": null");
            require(spec, b.portName() != null && portNames.contains(b.portName()),
                    field + ".portName '" + b.portName() + "': no such port");
            require(spec, b.address() != null, field + ".address: required");
            require(spec, b.address().ipv4() == first.ipv4(), field + ".address " + b.address()
                    + ": family differs from clusterIPs[0] " + first + " (one spec per family)");
            require(spec, b.targetPort() >= 1 && b.targetPort() <= 65_535, field + ".targetPort " + b.targetPort() + ": must be 1..65535");
            require(spec, b.state() != null, field + ".state: required");
            require(spec, b.weight() >= 0 && b.weight() <= 65_535, field + ".weight " + b.weight() + ": must be 0..65535");
            require(spec, b.zone() >= 0 && b.zone() <= 65_535, field + ".zone " + b.zone() + ": must be 0..65535");
            require(spec, seen.add(List.of(b.portName(), b.address(), b.targetPort())),
                    field + ": duplicate of an earlier backend (same port, address and targetPort)");
            int n = perPort.merge(b.portName(), 1, Integer::sum);
            require(spec, n <= lists.maxBackendsPerService(), "backends: port '" + b.portName() + "' has more than "
                    + lists.maxBackendsPerService() + " backends (maxBackendsPerService)");
        }
    }

    private static void require(ServiceSpec spec, boolean ok, String message) {
        if (!ok) {
            throw bad(spec, message);
        }
    }

    private static void requireFamily(ServiceSpec spec, String field, List<IpAddress> addresses, IpAddress first) {
        for (int i = 0; i < addresses.size(); i++) {
            IpAddress a = addresses.get(i);
            require(spec, a != null, field + "[" + i + "]: null");
            require(spec, a.ipv4() == first.ipv4(), field + "[" + i + "] " + a + ": family differs from clusterIPs[0] "
                    + first + " (one spec per family)");
        }
    }

    // ------------------------------------------------------------------ restart

    /** Returns: the restored service id a new port plan takes over (through a restored frontend it names), or -1. */
    private int adoptableServiceId(PortPlan plan) {
        for (FrontendPlan fp : plan.frontends()) {
            Integer serviceId = restoredFrontendServices.get(fp.key());
            if (serviceId != null && restoredFrontends.containsKey(fp.key()) && restoredServiceIds.contains(serviceId)) {
                return serviceId;
            }
        }
        return -1;
    }

    /**
     * Returns: the state of a port that had none: the restored service behind one of its frontends
     * with the backend ids and Maglev tables found for it (they leave the restored sets, so the
     * prune keeps them), or a new service id.
     */
    private PortState adoptOrAllocate(PortPlan plan) {
        int serviceId = adoptableServiceId(plan);
        if (serviceId < 0) {
            return new PortState(serviceIds.allocate());
        }
        restoredServiceIds.remove(serviceId);
        PortState st = new PortState(serviceId);
        Map<BackendKey, Integer> adopted = restoredBackends.remove(serviceId);
        if (adopted != null) {
            st.backendIds = new LinkedHashMap<>(adopted);
            restoredBackendIds.removeAll(adopted.values());
        }
        int[] maglevIndex = restoredMaglev.remove(serviceId);
        if (maglevIndex != null) {
            System.arraycopy(maglevIndex, 0, st.maglevIndex, 0, 2);
        }
        st.listLive[CLUSTER] = true; // both lists hold what the last run published: a view no longer needed is emptied
        st.listLive[LOCAL] = true;
        return st;
    }

    private void restore() {
        frontends.forEach((segment, keyOffset, valueOffset) -> {
            long word = FrontendEntry.read(segment, valueOffset);
            int serviceId = FrontendEntry.listIndex(word) >>> 1;
            serviceIds.reserve(serviceId);
            restoredServiceIds.add(serviceId);
            if (segment.get(ValueLayout.JAVA_BYTE, keyOffset + FrontendEntry.SCOPE_OFFSET) != Scope.EXTERNAL) {
                return;
            }
            FrontendKey key = new FrontendKey(segment.get(ValueLayout.JAVA_LONG_UNALIGNED, keyOffset),
                    segment.get(ValueLayout.JAVA_LONG_UNALIGNED, keyOffset + 8),
                    Short.toUnsignedInt(segment.get(ValueLayout.JAVA_SHORT_UNALIGNED, keyOffset + FrontendEntry.PORT_OFFSET)),
                    Byte.toUnsignedInt(segment.get(ValueLayout.JAVA_BYTE, keyOffset + FrontendEntry.PROTOCOL_OFFSET)));
            revNatIds.reserve(FrontendEntry.revNatIndex(word));
            FrontendKind kind = FrontendKind.ofCode(FrontendEntry.kind(word));
            restoredFrontends.put(key, new Installed(kind == null ? FrontendKind.CLUSTER_IP : kind, FrontendEntry.revNatIndex(word),
                    (FrontendEntry.flags(word) & FrontendEntry.FLAG_TWO_SCOPES) != 0));
            owners.put(key, RESTORED);
            restoredFrontendServices.put(key, serviceId);
        });
        backends.forEach((segment, keyOffset, valueOffset) -> {
            int id = (int) segment.get(ValueLayout.JAVA_LONG_UNALIGNED, keyOffset);
            backendIds.reserve(id);
            restoredBackendIds.add(id);
            IpAddress address = new IpAddress(BackendEntry.addrHi(segment, valueOffset), BackendEntry.addrLo(segment, valueOffset));
            restoredBackends.computeIfAbsent(BackendEntry.serviceId(segment, valueOffset), k -> new LinkedHashMap<>())
                    .put(new BackendKey(address, BackendEntry.port(segment, valueOffset)), id);
        });
        MemorySegment s = lists.segment();
        for (int serviceId : restoredServiceIds) {
            for (int view = 0; view < 2; view++) {
                long base = lists.base(2 * serviceId + view);
                long half = lists.half(base, lists.generation(base));
                long header0 = s.get(ValueLayout.JAVA_LONG, half);
                int maglevIndex = BackendLists.maglevIndex(s.get(ValueLayout.JAVA_LONG, half + 8));
                if (BackendLists.algorithm(header0) == Algorithm.MAGLEV.code() && maglevIndex != BackendLists.NO_MAGLEV) {
                    maglevIds.reserve(maglevIndex);
                    restoredMaglev.computeIfAbsent(serviceId, k -> new int[] {-1, -1})[view] = maglevIndex;
                }
            }
        }
    }

    /**
     * Removes everything restored from pinned maps that no upsert has claimed since: call once
     * after the daemon has replayed all services (Cilium's restore-then-sync).
     *
     * @return the number of restored frontends removed
     */
    public int pruneRestored() {
        int removed = restoredFrontends.size();
        for (Map.Entry<FrontendKey, Installed> e : restoredFrontends.entrySet()) {
            removeFrontend(e.getKey(), e.getValue());
        }
        restoredFrontends.clear();
        MemorySegment s = lists.segment();
        for (int serviceId : restoredServiceIds) {
            for (int view = 0; view < 2; view++) {
                int list = 2 * serviceId + view;
                long base = lists.base(list);
                long half = lists.half(base, lists.generation(base));
                long header0 = s.get(ValueLayout.JAVA_LONG, half);
                int maglevIndex = BackendLists.maglevIndex(s.get(ValueLayout.JAVA_LONG, half + 8));
                if (BackendLists.algorithm(header0) == Algorithm.MAGLEV.code() && maglevIds.inUse(maglevIndex)) {
                    maglevIds.free(maglevIndex);
                }
                emptyList(list, serviceId);
            }
            serviceIds.free(serviceId);
        }
        restoredServiceIds.clear();
        restoredBackendIds.forEach(this::deleteBackend);
        restoredBackendIds.clear();
        restoredFrontendServices.clear();
        restoredBackends.clear();
        restoredMaglev.clear();
        return removed;
    }
}
