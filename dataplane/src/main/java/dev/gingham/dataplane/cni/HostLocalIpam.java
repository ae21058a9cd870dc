package dev.gingham.dataplane.cni;

import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Pod addresses from the node's pod CIDRs, kept on disk the way the reference {@code host-local}
 * IPAM plugin keeps them, so they survive a restart of the daemon (no address is handed out twice)
 * and an operator can read them:
 * <pre>
 *   DIR/lock                   held with an exclusive {@link FileLock} around every change
 *   DIR/10.244.1.5             one file per address in use: "CONTAINER_ID\nIFNAME\n"
 *   DIR/last_reserved_ip.0     the last address handed out from range 0 (the next search starts after it)
 * </pre>
 * One address per range (a range per pod CIDR, so a dual-stack node gives one per family). Never
 * handed out: the network address, the IPv4 broadcast address, the {@code excluded} addresses (the
 * pods' gateway) and whatever {@code inUse} says is taken (pods whose address a manifest fixes).
 * The search goes round the range from the address after the last one reserved, as host-local
 * does, so a released address is not reused at once.
 *
 * <p>Why the lock: the daemon serializes allocations on its control thread, but the files are the
 * truth and another process (a second daemon by mistake, an operator's tool) must never see or
 * make a half-done change; an address file is created with CREATE_NEW, so even without the lock no
 * two allocations can own one address. Inside one JVM {@code FileChannel.lock} would throw for a
 * second thread, so threads of one JVM queue on a monitor per directory first.
 */
public final class HostLocalIpam {
    private static final String LOCK_FILE = "lock";
    private static final String LAST_RESERVED = "last_reserved_ip.";
    /** Longest walk round a range (an IPv6 /64 is never walked whole). */
    private static final long MAX_PROBES = 1 << 20;
    private static final Map<Path, Object> MONITORS = new ConcurrentHashMap<>();

    private final Path directory;
    private final List<Cidr> ranges;
    private final Set<IpAddress> excluded;

    /** Who holds an address. */
    public record Owner(String containerId, String ifname) {
    }

    /**
     * @param directory where the files live (created if missing)
     * @param ranges    the pod CIDRs, at most one per family
     * @param excluded  addresses never handed out (the gateway)
     * @throws IllegalArgumentException for a range too small to hold a pod (IPv4 /31, /32; IPv6 /127, /128)
     */
    public HostLocalIpam(Path directory, List<Cidr> ranges, Set<IpAddress> excluded) {
        for (Cidr range : ranges) {
            if (hostBits(range) < 2) {
                throw new IllegalArgumentException("pod CIDR " + range + " has no room for pod addresses");
            }
        }
        this.directory = directory.toAbsolutePath().normalize();
        this.ranges = List.copyOf(ranges);
        this.excluded = Set.copyOf(excluded);
        try {
            Files.createDirectories(this.directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the IPAM directory " + this.directory + ": " + e.getMessage(), e);
        }
    }

    /**
     * Returns: the addresses of {@code (containerId, ifname)}, one per range: the ones it holds
     * already (ADD repeated), else new ones.
     *
     * @throws CniError 102 when a range has no free address, 5 when the files cannot be written
     *                  (nothing stays reserved then)
     */
    public List<IpAddress> allocate(String containerId, String ifname, Predicate<IpAddress> inUse) {
        return locked(() -> {
            Map<IpAddress, Owner> held = readAllocations();
            Owner owner = new Owner(containerId, ifname);
            List<IpAddress> result = new ArrayList<>();
            List<Path> created = new ArrayList<>();
            try {
                for (int r = 0; r < ranges.size(); r++) {
                    Cidr range = ranges.get(r);
                    IpAddress mine = held.entrySet().stream()
                            .filter(e -> e.getValue().equals(owner) && range.contains(e.getKey().hi(), e.getKey().lo()))
                            .map(Map.Entry::getKey).findFirst().orElse(null);
                    if (mine == null) {
                        mine = reserve(r, range, owner, held, inUse);
                        created.add(file(mine));
                    }
                    result.add(mine);
                }
            } catch (RuntimeException e) {
                for (Path p : created) {
                    deleteQuietly(p);
                }
                throw e;
            }
            return result;
        });
    }

    /** Releases every address of {@code (containerId, ifname)}; returns them (none: already released, fine). */
    public List<IpAddress> release(String containerId, String ifname) {
        return locked(() -> {
            Owner owner = new Owner(containerId, ifname);
            List<IpAddress> released = new ArrayList<>();
            for (Map.Entry<IpAddress, Owner> e : readAllocations().entrySet()) {
                if (e.getValue().equals(owner)) {
                    deleteQuietly(file(e.getKey()));
                    released.add(e.getKey());
                }
            }
            return released;
        });
    }

    /** Returns: every address in use and its owner, as the files say now. */
    public Map<IpAddress, Owner> allocations() {
        return locked(this::readAllocations);
    }

    private IpAddress reserve(int rangeIndex, Cidr range, Owner owner, Map<IpAddress, Owner> held, Predicate<IpAddress> inUse) {
        BigInteger network = value(range.masked());
        int hostBits = hostBits(range);
        BigInteger size = BigInteger.ONE.shiftLeft(hostBits);
        // usable offsets: 1 .. size-2 for IPv4 (no network, no broadcast), 1 .. size-1 for IPv6
        BigInteger lastOffset = range.ipv4() ? size.subtract(BigInteger.TWO) : size.subtract(BigInteger.ONE);
        BigInteger start = BigInteger.ONE;
        IpAddress last = readLastReserved(rangeIndex);
        if (last != null && range.contains(last.hi(), last.lo())) {
            start = value(last).subtract(network).add(BigInteger.ONE);
        }
        long probes = Math.min(MAX_PROBES, lastOffset.min(BigInteger.valueOf(MAX_PROBES)).longValueExact());
        BigInteger offset = start;
        for (long i = 0; i < probes; i++) {
            if (offset.compareTo(lastOffset) > 0 || offset.signum() <= 0) {
                offset = BigInteger.ONE;
            }
            IpAddress candidate = address(network.add(offset), range.ipv4());
            offset = offset.add(BigInteger.ONE);
            if (held.containsKey(candidate) || excluded.contains(candidate) || inUse.test(candidate)) {
                continue;
            }
            try {
                Files.writeString(file(candidate), owner.containerId() + "\n" + owner.ifname() + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException taken) {
                continue; // made since we read the directory: by someone not honouring the lock
            } catch (IOException e) {
                throw new CniError(CniError.IO_FAILURE, "cannot reserve " + candidate + ": " + e.getMessage(), file(candidate).toString());
            }
            writeLastReserved(rangeIndex, candidate);
            return candidate;
        }
        throw new CniError(CniError.NO_ADDRESS_LEFT, "no free address left in pod CIDR " + range + " ("
                + held.size() + " in use under " + directory + ")", range.toString());
    }

    private Map<IpAddress, Owner> readAllocations() {
        Map<IpAddress, Owner> held = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path p : files.sorted().toList()) {
                String name = p.getFileName().toString();
                if (name.equals(LOCK_FILE) || name.startsWith(LAST_RESERVED) || name.startsWith(".")) {
                    continue;
                }
                IpAddress address;
                try {
                    address = IpAddress.parse(name);
                } catch (IllegalArgumentException notAnAddress) {
                    continue;
                }
                List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
                held.put(address, new Owner(lines.isEmpty() ? "" : lines.get(0).trim(), lines.size() < 2 ? "" : lines.get(1).trim()));
            }
        } catch (IOException e) {
            throw new CniError(CniError.IO_FAILURE, "cannot read the IPAM directory " + directory + ": " + e.getMessage(),
                    directory.toString());
        }
        return held;
    }

    private IpAddress readLastReserved(int rangeIndex) {
        Path p = directory.resolve(LAST_RESERVED + rangeIndex);
        try {
            return Files.exists(p) ? IpAddress.parse(Files.readString(p, StandardCharsets.UTF_8).trim()) : null;
        } catch (IOException | IllegalArgumentException e) {
            return null; // unreadable: start at the beginning; the address files still say what is taken
        }
    }

    private void writeLastReserved(int rangeIndex, IpAddress address) {
        Path target = directory.resolve(LAST_RESERVED + rangeIndex);
        Path temporary = directory.resolve("." + LAST_RESERVED + rangeIndex + ".tmp");
        try {
            Files.writeString(temporary, address.toString(), StandardCharsets.UTF_8);
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // a hint only: the address files are the truth
        }
    }

    private <T> T locked(java.util.function.Supplier<T> body) {
        synchronized (MONITORS.computeIfAbsent(directory, d -> new Object())) {
            try (FileChannel lock = FileChannel.open(directory.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
                 FileLock held = lock.lock()) {
                return body.get();
            } catch (IOException e) {
                throw new CniError(CniError.IO_FAILURE, "cannot lock " + directory.resolve(LOCK_FILE) + ": " + e.getMessage(),
                        directory.toString());
            }
        }
    }

    private Path file(IpAddress address) {
        return directory.resolve(address.toString());
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // left behind: it only keeps one address reserved
        }
    }

    private static int hostBits(Cidr range) {
        return (range.ipv4() ? 32 : 128) - range.prefixLength();
    }

    /** The address as a 128-bit number (IPv4 in its IPv4-mapped form, as Cidr and IpAddress hold it). */
    private static BigInteger value(Cidr cidr) {
        return value(new IpAddress(cidr.hi(), cidr.lo()));
    }

    private static BigInteger value(IpAddress address) {
        return new BigInteger(Long.toUnsignedString(address.hi())).shiftLeft(64).or(new BigInteger(Long.toUnsignedString(address.lo())));
    }

    private static IpAddress address(BigInteger value, boolean ipv4) {
        IpAddress a = new IpAddress(value.shiftRight(64).longValue(), value.longValue());
        if (ipv4 != a.ipv4()) {
            throw new IllegalStateException("address arithmetic left the family: " + a);
        }
        return a;
    }
}
