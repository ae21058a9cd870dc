package dev.gingham.nat.lb;

import dev.gingham.maps.ArrayMap;
import dev.gingham.maps.HashMap;
import dev.gingham.maps.LruHashMap;
import dev.gingham.maps.MapSpec;
import dev.gingham.maps.PerWorkerArray;
import java.nio.file.Path;

/**
 * The load balancer's maps, all maps-module maps so they can be pinned and survive a restart of
 * the daemon (the lb4 maps of Cilium):
 * <pre>
 *  lb-frontends      HASH   24 B key -> 8 B master word      2 * maxFrontends (two scopes)
 *  lb-backends       HASH    8 B id  -> 32 B backend         maxBackends
 *  lb-revnat         ARRAY  index    -> 24 B VIP:port        maxFrontends + 1 (0 unused)
 *  lb-backend-lists  ARRAY  list     -> gen + 2 halves       2 * maxServices
 *  lb-maglev         ARRAY  row      -> 4096 u32 ids         2 * rows(M) * maxMaglevTables
 *  lb-affinity       LRU    24 B key -> 16 B                 maxAffinityEntries
 *  lb-rr             PER_WORKER_ARRAY list -> u64 counter    2 * maxServices per worker
 * </pre>
 * Layouts: {@link FrontendEntry}, {@link BackendEntry}, {@link RevNatEntry}, {@link BackendLists},
 * {@link MaglevTables}, {@link AffinityEntry}. Beside the frontend map, on the heap, a
 * {@link FrontendFilter} answers most non-service lookups without a probe. The specs derive from the {@link LbConfig}, so
 * reopening pinned maps with another config fails with the differing field named.
 */
public final class LbMaps implements AutoCloseable {
    public static final String FRONTENDS = "lb-frontends";
    public static final String BACKENDS = "lb-backends";
    public static final String REV_NAT = "lb-revnat";
    public static final String LISTS = "lb-backend-lists";
    public static final String MAGLEV = "lb-maglev";
    public static final String AFFINITY = "lb-affinity";
    public static final String ROUND_ROBIN = "lb-rr";

    private final LbConfig config;
    private final HashMap frontends;
    private final HashMap backends;
    private final ArrayMap revNat;
    private final ArrayMap listMap;
    private final ArrayMap maglevMap;
    private final LruHashMap affinity;
    private final PerWorkerArray roundRobin;
    private final BackendLists lists;
    private final MaglevTables maglev;
    private final FrontendFilter frontendFilter;

    private LbMaps(LbConfig config, HashMap frontends, HashMap backends, ArrayMap revNat, ArrayMap listMap,
                   ArrayMap maglevMap, LruHashMap affinity, PerWorkerArray roundRobin) {
        this.config = config;
        this.frontends = frontends;
        this.backends = backends;
        this.revNat = revNat;
        this.listMap = listMap;
        this.maglevMap = maglevMap;
        this.affinity = affinity;
        this.roundRobin = roundRobin;
        this.lists = new BackendLists(listMap, config.maxBackendsPerService());
        this.maglev = new MaglevTables(maglevMap, config.maglevTableSize(), config.maxMaglevTables());
        this.frontendFilter = FrontendFilter.forFrontends(config.maxFrontends());
        if (frontends.count() > 0) {
            frontendFilter.rebuild(frontends); // a reopened pinned map: the filter lives on the heap only
        }
    }

    /** Creates anonymous maps; {@code seed} seeds the hash maps (fixed seeds make replays reproducible). */
    public static LbMaps create(LbConfig config, long seed) {
        return new LbMaps(config,
                HashMap.create(frontendSpec(config), seed),
                HashMap.create(backendSpec(config), seed + 1),
                ArrayMap.create(revNatSpec(config)),
                ArrayMap.create(listSpec(config)),
                ArrayMap.create(maglevSpec(config)),
                LruHashMap.create(affinitySpec(config), seed + 2),
                PerWorkerArray.create(roundRobinSpec(config)));
    }

    /**
     * Opens (creating when absent) the maps pinned under {@code dir}, one file per map named
     * after it; reopened maps keep their services.
     *
     * @throws dev.gingham.maps.MapPinException when a file was written for another config or is
     *                                          already open for writing
     */
    public static LbMaps pinned(Path dir, LbConfig config) {
        return new LbMaps(config,
                HashMap.pinned(frontendSpec(config), dir.resolve(FRONTENDS)),
                HashMap.pinned(backendSpec(config), dir.resolve(BACKENDS)),
                ArrayMap.pinned(revNatSpec(config), dir.resolve(REV_NAT)),
                ArrayMap.pinned(listSpec(config), dir.resolve(LISTS)),
                ArrayMap.pinned(maglevSpec(config), dir.resolve(MAGLEV)),
                LruHashMap.pinned(affinitySpec(config), dir.resolve(AFFINITY)),
                PerWorkerArray.pinned(roundRobinSpec(config), dir.resolve(ROUND_ROBIN)));
    }

    static MapSpec frontendSpec(LbConfig c) {
        return MapSpec.hash(FRONTENDS, FrontendEntry.KEY_BYTES, FrontendEntry.VALUE_BYTES, 2 * c.maxFrontends());
    }

    static MapSpec backendSpec(LbConfig c) {
        return MapSpec.hash(BACKENDS, BackendEntry.KEY_BYTES, BackendEntry.VALUE_BYTES, c.maxBackends());
    }

    static MapSpec revNatSpec(LbConfig c) {
        return MapSpec.array(REV_NAT, RevNatEntry.VALUE_BYTES, c.maxFrontends() + 1);
    }

    static MapSpec listSpec(LbConfig c) {
        return MapSpec.array(LISTS, BackendLists.valueBytes(c.maxBackendsPerService()), 2 * c.maxServices());
    }

    static MapSpec maglevSpec(LbConfig c) {
        return MapSpec.array(MAGLEV, MaglevTables.ROW_BYTES, MaglevTables.elements(c.maglevTableSize(), c.maxMaglevTables()));
    }

    static MapSpec affinitySpec(LbConfig c) {
        return MapSpec.lruHash(AFFINITY, AffinityEntry.KEY_BYTES, AffinityEntry.VALUE_BYTES, c.maxAffinityEntries());
    }

    static MapSpec roundRobinSpec(LbConfig c) {
        return MapSpec.perWorkerArray(ROUND_ROBIN, 8, 2 * c.maxServices(), c.workers());
    }

    public LbConfig config() {
        return config;
    }

    public HashMap frontends() {
        return frontends;
    }

    /** Returns: the prefilter of {@link #frontends()} ({@link FrontendFilter}); its writers keep it in step with the map. */
    public FrontendFilter frontendFilter() {
        return frontendFilter;
    }

    public HashMap backends() {
        return backends;
    }

    public ArrayMap revNat() {
        return revNat;
    }

    public BackendLists lists() {
        return lists;
    }

    public MaglevTables maglev() {
        return maglev;
    }

    public LruHashMap affinity() {
        return affinity;
    }

    public PerWorkerArray roundRobin() {
        return roundRobin;
    }

    @Override
    public void close() {
        frontends.close();
        backends.close();
        revNat.close();
        listMap.close();
        maglevMap.close();
        affinity.close();
        roundRobin.close();
    }
}
