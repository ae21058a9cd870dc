package dev.gingham.nat.lb;

import dev.gingham.packet.FlowHash;
import dev.gingham.maps.ArrayMap;
import dev.gingham.maps.HashMap;
import dev.gingham.maps.LruHashMap;
import dev.gingham.maps.MapErrors;
import dev.gingham.maps.PerWorkerArray;
import dev.gingham.maps.UpdateFlags;
import dev.gingham.packet.DropReason;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The per-packet side of service load balancing (Cilium's lb4_lookup_service and
 * lb4_select_backend_id): find the frontend a packet addresses, then pick a backend for a new
 * flow. One instance per worker: it owns a small scratch segment for keys and that worker's
 * round-robin counters, so it is not thread-safe and needs no locks. Nothing here allocates,
 * blocks or throws for any packet; time is the caller's {@code nowNs} (a virtual clock in replays).
 *
 * <p>Reading a published backend set: {@link #selectBackend} reads the list generation, the
 * half it names (header, slots, Maglev table) and the affinity entry, then re-checks the
 * generation and retries if the control thread published meanwhile (see {@link BackendLists}).
 * Writes (round-robin counter, affinity entry) happen only after that check succeeds.
 *
 * <p>Round-robin state is per worker (the {@code lb-rr} per-worker array): no atomics and no
 * shared cache line; each worker cycles through the list in order, and the workers together
 * spread as evenly as IPVS rr does. Selection is for new flows; established flows follow their
 * conntrack entry (the integrator's job), which keeps terminating backends reachable.
 */
public final class ServiceLookup {
    private static final int NO_SERVICE = -DropReason.NO_SERVICE.code();
    private static final int NO_LOCAL_BACKEND = -DropReason.NO_LOCAL_BACKEND.code();
    /** What {@link #frontend} returns for SCTP to a TCP/UDP frontend's address and port. */
    public static final long UNSUPPORTED_PROTOCOL = -DropReason.SERVICE_UNSUPPORTED_PROTOCOL.code();
    private static final int MAX_READ_RETRIES = 1 << 16;
    private static final long NS_PER_SEC = 1_000_000_000L;

    private static final long FRONTEND_KEY = 0;
    private static final long AFFINITY_KEY = 32;
    private static final long AFFINITY_VALUE = 64;

    private final HashMap frontends;
    private final FrontendFilter frontendFilter;
    private final MemorySegment frontendSegment;
    private final HashMap backends;
    private final MemorySegment backendSegment;
    private final ArrayMap revNat;
    private final MemorySegment revNatSegment;
    private final BackendLists lists;
    private final MemorySegment listSegment;
    private final MaglevTables maglev;
    private final int maglevTableSize;
    private final LruHashMap affinity;
    private final MemorySegment affinitySegment;
    private final PerWorkerArray roundRobin;
    private final int worker;
    private final int maxBackendsPerService;
    private final MemorySegment scratch;

    private final long frontendSeed;
    private final long halfBytes;
    private final long touchOffset;

    private long affinityOffset;
    private long roundRobinCounter;
    /** Where the prefetch passes fold the words they touch, so the loads are not optimised away. */
    private long prefetchSink;

    /**
     * @param worker this worker's index, 0..workers-1 (selects its round-robin counters)
     */
    public ServiceLookup(LbMaps maps, int worker) {
        if (worker < 0 || worker >= maps.config().workers()) {
            throw new IllegalArgumentException("worker " + worker + ": must be 0.." + (maps.config().workers() - 1));
        }
        this.frontends = maps.frontends();
        this.frontendFilter = maps.frontendFilter();
        this.frontendSegment = frontends.segment();
        this.frontendSeed = frontends.seed();
        this.halfBytes = BackendLists.halfBytes(maps.lists().maxBackendsPerService());
        // The second line of a half, or its last word when the half is shorter.
        this.touchOffset = Math.min(64, halfBytes - 8);
        this.backends = maps.backends();
        this.backendSegment = backends.segment();
        this.revNat = maps.revNat();
        this.revNatSegment = revNat.segment();
        this.lists = maps.lists();
        this.listSegment = lists.segment();
        this.maglev = maps.maglev();
        this.maglevTableSize = maglev.tableSize();
        this.affinity = maps.affinity();
        this.affinitySegment = affinity.segment();
        this.roundRobin = maps.roundRobin();
        this.worker = worker;
        this.maxBackendsPerService = lists.maxBackendsPerService();
        this.scratch = Arena.ofAuto().allocate(96, 8);
    }

    /**
     * Finds the frontend a packet addresses.
     *
     * @param protocol IP protocol number (6, 17; 132 is answered specially, others are MISSING)
     * @param scope    {@link Scope#EXTERNAL} from outside the cluster, {@link Scope#INTERNAL} from pods and the node
     * @return the frontend's master value offset; {@link MapErrors#MISSING} when the destination is
     *         not a frontend; {@link #UNSUPPORTED_PROTOCOL} (-1021) for SCTP to an address:port that
     *         is a TCP or UDP frontend (drop with SERVICE_UNSUPPORTED_PROTOCOL)
     */
    public long frontend(long addrHi, long addrLo, int port, int protocol, int scope) {
        if (protocol != L4Protocol.TCP_NUMBER && protocol != L4Protocol.UDP_NUMBER) {
            return protocol == L4Protocol.SCTP_NUMBER ? sctp(addrHi, addrLo, port) : MapErrors.MISSING;
        }
        if (!frontendFilter.mayContain(addrHi, addrLo, port)) {
            return MapErrors.MISSING; // no frontend of any protocol has this address and port
        }
        FrontendEntry.key(scratch, FRONTEND_KEY, addrHi, addrLo, port, protocol, Scope.EXTERNAL);
        return scoped(frontends.lookup(scratch, FRONTEND_KEY), scope);
    }

    /** The INTERNAL-scope sibling of an EXTERNAL frontend when there is one and the client is in-cluster; the key is in scratch. */
    private long scoped(long external, int scope) {
        if (external == MapErrors.MISSING || scope != Scope.INTERNAL
                || (FrontendEntry.flags(FrontendEntry.read(frontendSegment, external)) & FrontendEntry.FLAG_TWO_SCOPES) == 0) {
            return external;
        }
        scratch.set(ValueLayout.JAVA_BYTE, FRONTEND_KEY + FrontendEntry.SCOPE_OFFSET, (byte) Scope.INTERNAL);
        long internal = frontends.lookup(scratch, FRONTEND_KEY);
        return internal == MapErrors.MISSING ? external : internal;
    }

    // ------------------------------------------------------------------ vector passes (prefetch)

    /**
     * First pass of a vector loop: the hash of the EXTERNAL-scope frontend key for a
     * destination, with the frontend map's slot for it touched. Looking frontends up frame by
     * frame in a large map, each lookup waits for its own cache miss; hashing and touching a
     * whole vector first in a tight loop lets the misses overlap (see {@code HashMap.prefetch}).
     *
     * @return the hash to hand to {@link #frontend(long, long, int, int, int, long)}
     */
    public long prefetchFrontend(long addrHi, long addrLo, int port, int protocol) {
        long hash = FrontendEntry.hash(frontendSeed, addrHi, addrLo, port, protocol, Scope.EXTERNAL);
        prefetchSink += frontends.prefetch(hash);
        return hash;
    }

    /**
     * {@link #frontend(long, long, int, int, int)} with the hash from {@link #prefetchFrontend}
     * (used for TCP and UDP; other protocols take the ordinary path).
     */
    public long frontend(long addrHi, long addrLo, int port, int protocol, int scope, long externalHash) {
        if (protocol != L4Protocol.TCP_NUMBER && protocol != L4Protocol.UDP_NUMBER) {
            return frontend(addrHi, addrLo, port, protocol, scope);
        }
        if (!frontendFilter.mayContain(addrHi, addrLo, port)) {
            return MapErrors.MISSING;
        }
        FrontendEntry.key(scratch, FRONTEND_KEY, addrHi, addrLo, port, protocol, Scope.EXTERNAL);
        long external = frontends.lookup(scratch, FRONTEND_KEY, externalHash);
        return scoped(external, scope);
    }

    /**
     * Second pass, after the frontends of a batch have been looked up: touches the backend list
     * of each found frontend ({@code frontends[from..to)}, negative entries skipped), so the
     * {@link #selectBackend} of the third pass finds it in cache. Both halves are touched from
     * their start (header and first slots, two cache lines each), whichever is active: reading
     * the generation first would make every touch wait for a miss. Maglev tables and affinity
     * entries are not touched: where they sit depends on what this pass is still fetching.
     */
    public void prefetchBackends(long[] frontends, int from, int to) {
        MemorySegment s = listSegment;
        long secondHalf = BackendLists.HALF_OFFSET + halfBytes;
        long sum = 0;
        for (int n = from; n < to; n++) {
            long frontend = frontends[n];
            if (frontend < 0) {
                continue;
            }
            long base = lists.base(FrontendEntry.listIndex(FrontendEntry.read(frontendSegment, frontend)));
            if (base == MapErrors.MISSING) {
                continue;
            }
            sum += s.get(ValueLayout.JAVA_LONG, base) + s.get(ValueLayout.JAVA_LONG, base + secondHalf)
                    + s.get(ValueLayout.JAVA_LONG, base + touchOffset) + s.get(ValueLayout.JAVA_LONG, base + secondHalf + touchOffset);
        }
        prefetchSink += sum;
    }

    private long sctp(long addrHi, long addrLo, int port) {
        if (!frontendFilter.mayContain(addrHi, addrLo, port)) {
            return MapErrors.MISSING;
        }
        FrontendEntry.key(scratch, FRONTEND_KEY, addrHi, addrLo, port, L4Protocol.TCP_NUMBER, Scope.EXTERNAL);
        if (frontends.lookup(scratch, FRONTEND_KEY) != MapErrors.MISSING) {
            return UNSUPPORTED_PROTOCOL;
        }
        scratch.set(ValueLayout.JAVA_BYTE, FRONTEND_KEY + FrontendEntry.PROTOCOL_OFFSET, (byte) L4Protocol.UDP_NUMBER);
        return frontends.lookup(scratch, FRONTEND_KEY) != MapErrors.MISSING ? UNSUPPORTED_PROTOCOL : MapErrors.MISSING;
    }

    /**
     * Picks a backend for a new flow to {@code frontend}: the client's fresh, still-usable
     * affinity backend if the service has affinity, else by the service's algorithm.
     *
     * @param frontend  a value offset from {@link #frontend}
     * @param flowHash  a hash of the flow's 5-tuple ({@link FlowHash#of}); RANDOM and MAGLEV use it
     * @param clientHi  client address (SOURCE_HASH and affinity use it)
     * @param nowNs     the caller's clock (affinity freshness)
     * @return a backend id (&gt; 0); {@code -158} (NO_SERVICE) when no backend is usable;
     *         {@code -1020} (NO_LOCAL_BACKEND) when a Local view is empty but other nodes have backends
     */
    public int selectBackend(long frontend, long flowHash, long clientHi, long clientLo, long nowNs) {
        if (frontend < 0) {
            return NO_SERVICE;
        }
        int list = FrontendEntry.listIndex(FrontendEntry.read(frontendSegment, frontend));
        long base = lists.base(list);
        if (base == MapErrors.MISSING) {
            return NO_SERVICE;
        }
        long hash = FlowHash.mix(flowHash);
        MemorySegment s = listSegment;
        for (int retries = 0; retries < MAX_READ_RETRIES; retries++) {
            long generation = lists.generation(base);
            long half = lists.half(base, generation);
            long header0 = s.get(ValueLayout.JAVA_LONG, half);
            long header1 = s.get(ValueLayout.JAVA_LONG, half + 8);
            int count = Math.min(BackendLists.count(header0), maxBackendsPerService);
            int flags = BackendLists.flags(header0);
            int result;
            boolean fromAffinity = false;
            roundRobinCounter = -1;
            if (count == 0) {
                result = (flags & (BackendLists.FLAG_LOCAL_ONLY | BackendLists.FLAG_REMOTE_ACTIVE))
                        == (BackendLists.FLAG_LOCAL_ONLY | BackendLists.FLAG_REMOTE_ACTIVE) ? NO_LOCAL_BACKEND : NO_SERVICE;
            } else {
                result = 0;
                if ((flags & BackendLists.FLAG_AFFINITY) != 0) {
                    result = affinityBackend(list, clientHi, clientLo, nowNs,
                            BackendLists.affinityTimeoutSec(header0) * NS_PER_SEC, BackendLists.serviceId(header1), flags);
                    fromAffinity = result > 0;
                }
                if (!fromAffinity) {
                    result = pick(BackendLists.algorithm(header0), half, generation, count, BackendLists.totalWeight(header1),
                            list, hash, clientHi, clientLo);
                }
            }
            VarHandle.acquireFence();
            if (lists.generation(base) != generation) {
                Thread.onSpinWait();
                continue;
            }
            if (result <= 0) {
                return result < 0 ? result : NO_SERVICE;
            }
            if (roundRobinCounter >= 0) {
                roundRobin.set(worker, list, 0, roundRobinCounter + 1);
            }
            if ((flags & BackendLists.FLAG_AFFINITY) != 0) {
                if (fromAffinity) {
                    AffinityEntry.touch(affinitySegment, affinityOffset, nowNs);
                } else {
                    AffinityEntry.value(scratch, AFFINITY_VALUE, result, nowNs);
                    affinity.update(scratch, AFFINITY_KEY, scratch, AFFINITY_VALUE, UpdateFlags.ANY);
                }
            }
            return result;
        }
        return NO_SERVICE;
    }

    private int pick(int algorithm, long half, long generation, int count, long totalWeight,
                     int list, long hash, long clientHi, long clientLo) {
        if (algorithm == Algorithm.ROUND_ROBIN.code()) {
            roundRobinCounter = roundRobin.get(worker, list, 0);
            int slot = (int) Long.remainderUnsigned(roundRobinCounter, count);
            return listSegment.get(ValueLayout.JAVA_INT, half + BackendLists.HEADER_BYTES + (long) BackendLists.SLOT_BYTES * slot);
        }
        if (algorithm == Algorithm.MAGLEV.code()) {
            int maglevIndex = BackendLists.maglevIndex(listSegment.get(ValueLayout.JAVA_LONG, half + 16));
            return maglev.backendId(maglevIndex, generation, (int) Long.remainderUnsigned(hash, maglevTableSize));
        }
        if (algorithm == Algorithm.SOURCE_HASH.code()) {
            return pickWeighted(half, count, totalWeight, FlowHash.ofClient(clientHi, clientLo));
        }
        return pickWeighted(half, count, totalWeight, hash);
    }

    /** Weighted pick: the slot whose cumulative-weight interval holds hash scaled to [0, total). */
    private int pickWeighted(long half, int count, long totalWeight, long hash) {
        long target = Math.unsignedMultiplyHigh(hash, totalWeight);
        long slots = half + BackendLists.HEADER_BYTES;
        int lo = 0;
        int hi = count - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            long cumulative = Integer.toUnsignedLong(listSegment.get(ValueLayout.JAVA_INT, slots + (long) BackendLists.SLOT_BYTES * mid + 4));
            if (cumulative > target) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return listSegment.get(ValueLayout.JAVA_INT, slots + (long) BackendLists.SLOT_BYTES * lo);
    }

    /** Returns: the client's affinity backend when fresh and still usable for this list, else 0. */
    private int affinityBackend(int list, long clientHi, long clientLo, long nowNs, long timeoutNs, int serviceId, int flags) {
        AffinityEntry.key(scratch, AFFINITY_KEY, clientHi, clientLo, list);
        long offset = affinity.lookup(scratch, AFFINITY_KEY);
        affinityOffset = offset;
        if (offset == MapErrors.MISSING) {
            return 0;
        }
        int id = AffinityEntry.backendId(affinitySegment, offset);
        long ageNs = nowNs - AffinityEntry.lastUsedNs(affinitySegment, offset);
        if (ageNs < 0 || ageNs >= timeoutNs) {
            return 0;
        }
        long backend = backends.lookup(Integer.toUnsignedLong(id));
        if (backend == MapErrors.MISSING
                || BackendEntry.state(backendSegment, backend) != BackendState.ACTIVE.code()
                || BackendEntry.weight(backendSegment, backend) == 0
                || BackendEntry.serviceId(backendSegment, backend) != serviceId
                || ((flags & BackendLists.FLAG_LOCAL_ONLY) != 0
                    && (BackendEntry.flags(backendSegment, backend) & BackendEntry.FLAG_NODE_LOCAL) == 0)) {
            return 0;
        }
        return id;
    }

    // ------------------------------------------------------------------ accessors for the integrator

    /** Returns: the rev-NAT index of a frontend (the service id conntrack records for replies). */
    public int revNatIndex(long frontend) {
        return FrontendEntry.revNatIndex(FrontendEntry.read(frontendSegment, frontend));
    }

    /** Returns: the {@link FrontendKind} code of a frontend. */
    public int frontendKind(long frontend) {
        return FrontendEntry.kind(FrontendEntry.read(frontendSegment, frontend));
    }

    /** Returns: true when a frontend without usable backends should be answered with ICMP port unreachable. */
    public boolean rejectsWhenNoBackend(long frontend) {
        long base = lists.base(FrontendEntry.listIndex(FrontendEntry.read(frontendSegment, frontend)));
        if (base == MapErrors.MISSING) {
            return false;
        }
        long half = lists.half(base, lists.generation(base));
        return (BackendLists.flags(listSegment.get(ValueLayout.JAVA_LONG, half)) & BackendLists.FLAG_REJECT) != 0;
    }

    /** Copies a frontend's usable backend ids into {@code out}, one publication's set; returns the count. */
    public int backends(long frontend, int[] out) {
        return lists.snapshot(FrontendEntry.listIndex(FrontendEntry.read(frontendSegment, frontend)), out);
    }

    /** Returns: the backend entry's offset for an id (terminating and quarantined ones too), or MISSING. */
    public long backend(int backendId) {
        return backends.lookup(Integer.toUnsignedLong(backendId));
    }

    public long backendAddrHi(long backend) {
        return BackendEntry.addrHi(backendSegment, backend);
    }

    public long backendAddrLo(long backend) {
        return BackendEntry.addrLo(backendSegment, backend);
    }

    /** Returns: the backend's target port (host order). */
    public int backendPort(long backend) {
        return BackendEntry.port(backendSegment, backend);
    }

    /** Returns: true when the backend runs on this node (its EndpointSlice names this node). */
    public boolean backendIsLocal(long backend) {
        return (BackendEntry.flags(backendSegment, backend) & BackendEntry.FLAG_NODE_LOCAL) != 0;
    }

    /** Returns: the backend's {@link BackendState} code. */
    public int backendState(long backend) {
        return BackendEntry.state(backendSegment, backend);
    }

    /** Returns: the rev-NAT entry's offset, or MISSING for index 0 or out of range. */
    public long revNat(int revNatIndex) {
        return revNatIndex == 0 ? MapErrors.MISSING : revNat.valueOffset(revNatIndex);
    }

    public long revNatAddrHi(long revNatEntry) {
        return RevNatEntry.addrHi(revNatSegment, revNatEntry);
    }

    public long revNatAddrLo(long revNatEntry) {
        return RevNatEntry.addrLo(revNatSegment, revNatEntry);
    }

    /** Returns: the frontend port replies must come from (host order). */
    public int revNatPort(long revNatEntry) {
        return RevNatEntry.port(revNatSegment, revNatEntry);
    }
}
