package dev.gingham.encap;

import dev.gingham.packet.Cidr;
import dev.gingham.maps.MapErrors;
import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class IpCacheTest {
    private static long lo4(String address) {
        return MappedAddress.lo4(PacketBuilder.ip4(address));
    }

    @Test
    void shouldReturnLongestPrefixFieldsWhenPrefixesNest() {
        try (IpCache cache = IpCache.create(64)) {
            assertEquals(0, cache.upsert(Cidr.parse("10.244.0.0/16"), 2, 0, 0, 0));
            assertEquals(0, cache.upsert(Cidr.parse("10.244.2.0/24"), 0, PacketBuilder.ip4("192.168.1.20"), 2,
                    IpCache.FLAG_TUNNEL));
            assertEquals(0, cache.upsert(Cidr.parse("10.244.2.7/32"), 70007, PacketBuilder.ip4("192.168.1.20"), 2,
                    IpCache.FLAG_TUNNEL));
            long pod = cache.lookup(0, lo4("10.244.2.7"));
            assertEquals(70007, cache.identity(pod));
            assertEquals(PacketBuilder.ip4("192.168.1.20"), cache.tunnelEndpoint(pod));
            assertEquals(2, cache.nodeId(pod));
            assertEquals(IpCache.FLAG_TUNNEL, cache.flags(pod));
            long cidr = cache.lookup4(PacketBuilder.ip4("10.244.2.8"));
            assertEquals(0, cache.identity(cidr));
            assertEquals(2, cache.nodeId(cidr));
            long wide = cache.lookup(0, lo4("10.244.9.1"));
            assertEquals(2, cache.identity(wide));
            assertEquals(0, cache.flags(wide));
            assertEquals(IpCache.MISSING, cache.lookup(0, lo4("10.245.0.1")));

            assertEquals(0, cache.remove(Cidr.parse("10.244.2.7/32")));
            assertEquals(0, cache.identity(cache.lookup(0, lo4("10.244.2.7"))), "falls back to the /24");
            assertEquals(MapErrors.ENOENT, cache.remove(Cidr.parse("10.244.2.7/32")));
            cache.reclaim();
            assertEquals(2, cache.count());
        }
    }

    @Test
    void shouldKeepFamiliesApartWhenIpv6PrefixesAreStored() {
        try (IpCache cache = IpCache.create(64)) {
            assertEquals(0, cache.upsert(Cidr.parse("fd00:2::/64"), 5, PacketBuilder.ip4("192.168.1.20"), 2,
                    IpCache.FLAG_TUNNEL));
            assertEquals(0, cache.upsert(Cidr.parse("10.0.0.0/8"), 6, 0, 0, 0));
            long[] a = PacketBuilder.ip6("fd00:2::1234");
            long slot = cache.lookup(a[0], a[1]);
            assertEquals(5, cache.identity(slot));
            assertEquals(2, cache.nodeId(slot));
            assertEquals(6, cache.identity(cache.lookup(0, lo4("10.1.2.3"))));
            long[] other = PacketBuilder.ip6("fd00:3::1");
            assertEquals(IpCache.MISSING, cache.lookup(other[0], other[1]));
            assertEquals(5, cache.identity(cache.lookupExact(Cidr.parse("fd00:2::/64"))));
            assertEquals(IpCache.MISSING, cache.lookupExact(Cidr.parse("fd00:2::/65")));
            assertEquals(MapErrors.EINVAL, cache.upsert(Cidr.parse("10.1.0.0/16"), 1, 0, 0x1_0000, 0));
            assertEquals(MapErrors.EINVAL, cache.upsert(Cidr.parse("10.1.0.0/16"), 1, 0, 0, 0x1_0000));
        }
    }

    @Test
    void shouldKeepEntriesWhenPinnedCacheIsReopened(@TempDir Path dir) {
        try (IpCache cache = IpCache.pinned(dir, 64)) {
            assertEquals(0, cache.upsert(Cidr.parse("10.244.2.0/24"), 9, PacketBuilder.ip4("192.168.1.20"), 2,
                    IpCache.FLAG_TUNNEL));
            assertEquals(0, cache.upsert(Cidr.parse("fd00:2::/64"), 10, 0, 0, 0));
        }
        try (IpCache cache = IpCache.pinned(dir, 64)) {
            assertEquals(9, cache.identity(cache.lookup(0, lo4("10.244.2.200"))));
            long[] a = PacketBuilder.ip6("fd00:2::9");
            assertEquals(10, cache.identity(cache.lookup(a[0], a[1])));
        }
    }

    @Test
    void shouldPruneOnlyRestoredPrefixesNobodyWroteAgainWhenARestoreEnds(@TempDir Path dir) {
        try (IpCache cache = IpCache.pinned(dir, 64)) {
            assertEquals(0, cache.upsert(Cidr.parse("10.244.2.0/24"), 9, PacketBuilder.ip4("192.168.1.20"), 2,
                    IpCache.FLAG_TUNNEL));
            assertEquals(0, cache.upsert(Cidr.parse("10.244.1.7/32"), 300, 0, 0, 0));
            assertEquals(0, cache.upsert(Cidr.parse("fd00:2::/64"), 10, 0, 0, 0));
            assertEquals(0, cache.upsert(Cidr.parse("fd00:1::7/128"), 301, 0, 0, 0));
        }
        try (IpCache cache = IpCache.pinned(dir, 64)) {
            assertEquals(List.of(Cidr.parse("10.244.2.0/24"), Cidr.parse("10.244.1.7/32"), Cidr.parse("fd00:2::/64"),
                    Cidr.parse("fd00:1::7/128")).stream().sorted(java.util.Comparator.comparing(Cidr::toString)).toList(),
                    cache.prefixes().stream().sorted(java.util.Comparator.comparing(Cidr::toString)).toList(),
                    "prefixes() reads back both families");
            assertEquals(4, cache.beginRestore());
            // the first apply: the /24 is written again (host bits set, as a careless caller might),
            // the IPv6 pod rewritten with a new identity, a new prefix added, the IPv4 pod and the
            // IPv6 /64 not mentioned (deleted while the daemon was down)
            assertEquals(0, cache.upsert(Cidr.parse("10.244.2.1/24"), 9, PacketBuilder.ip4("192.168.1.20"), 2,
                    IpCache.FLAG_TUNNEL));
            assertEquals(0, cache.upsert(Cidr.parse("fd00:1::7/128"), 302, 0, 0, 0));
            assertEquals(0, cache.upsert(Cidr.parse("10.244.1.8/32"), 303, 0, 0, 0));
            assertEquals(300, cache.identity(cache.lookup(0, lo4("10.244.1.7"))),
                    "until the restore ends, an unclaimed entry still answers as before");

            List<Cidr> pruned = cache.pruneUnclaimed();

            assertEquals(List.of("10.244.1.7/32", "fd00:2::/64"), pruned.stream().map(Cidr::toString).sorted().toList());
            assertEquals(3, cache.count());
            assertEquals(IpCache.MISSING, cache.lookupExact(Cidr.parse("10.244.1.7/32")));
            long[] gone = PacketBuilder.ip6("fd00:2::9");
            assertEquals(IpCache.MISSING, cache.lookup(gone[0], gone[1]));
            long[] kept = PacketBuilder.ip6("fd00:1::7");
            assertEquals(302, cache.identity(cache.lookup(kept[0], kept[1])));
            assertEquals(303, cache.identity(cache.lookup(0, lo4("10.244.1.8"))));
            assertThrows(IllegalStateException.class, cache::pruneUnclaimed, "a restore ends once");
        }
    }

    @Test
    void shouldParsePrefixesAndRejectBadOnes() {
        assertEquals("10.244.2.0/24", Cidr.parse("10.244.2.0/24").toString());
        assertEquals(32, Cidr.parseAddressOrPrefix("10.0.0.1").prefixLength());
        assertEquals(128, Cidr.parseAddressOrPrefix("fd00::1").prefixLength());
        assertEquals("fd00:2::/64", Cidr.parse("fd00:2::/64").toString());
        for (String bad : List.of("10.0.0.0/33", "fd00::/129", "10.0.0/8", "10.0.0.0/x", "hello")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cidr.parseAddressOrPrefix(bad));
            assertEquals(true, e.getMessage().contains(bad), e.getMessage());
        }
    }
}
