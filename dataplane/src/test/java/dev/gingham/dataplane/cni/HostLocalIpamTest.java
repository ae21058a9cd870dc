package dev.gingham.dataplane.cni;

import dev.gingham.nat.IpAddress;
import dev.gingham.packet.Cidr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostLocalIpamTest {
    private static final Set<IpAddress> GATEWAY = Set.of(IpAddress.parse("10.244.1.1"));
    @TempDir
    Path dir;

    private HostLocalIpam ipam(String... cidrs) {
        return new HostLocalIpam(dir, java.util.Arrays.stream(cidrs).map(Cidr::parse).toList(), GATEWAY);
    }

    @Test
    void shouldSkipNetworkAndGatewayWhenAllocatingTheFirstAddress() throws Exception {
        List<IpAddress> ips = ipam("10.244.1.0/24").allocate("c1", "eth0", a -> false);

        assertEquals(List.of(IpAddress.parse("10.244.1.2")), ips);
        assertEquals("c1\neth0\n", Files.readString(dir.resolve("10.244.1.2")), "one file per address naming container and ifname");
        assertEquals("10.244.1.2", Files.readString(dir.resolve("last_reserved_ip.0")));
    }

    @Test
    void shouldReturnTheSameAddressWhenTheSameContainerAndIfnameAddAgain() {
        HostLocalIpam ipam = ipam("10.244.1.0/24");
        List<IpAddress> first = ipam.allocate("c1", "eth0", a -> false);

        assertEquals(first, ipam.allocate("c1", "eth0", a -> false));
        assertEquals(List.of(IpAddress.parse("10.244.1.3")), ipam.allocate("c1", "net1", a -> false), "another ifname is another key");
    }

    @Test
    void shouldNotReuseAnAllocatedAddressWhenReopenedAfterARestart() {
        ipam("10.244.1.0/24").allocate("c1", "eth0", a -> false);

        List<IpAddress> afterRestart = new HostLocalIpam(dir, List.of(Cidr.parse("10.244.1.0/24")), GATEWAY).allocate("c2", "eth0", a -> false);

        assertEquals(List.of(IpAddress.parse("10.244.1.3")), afterRestart);
    }

    @Test
    void shouldReleaseOnlyTheOwnersAddressAndSucceedWhenReleasedTwice() {
        HostLocalIpam ipam = ipam("10.244.1.0/24");
        ipam.allocate("c1", "eth0", a -> false);
        ipam.allocate("c2", "eth0", a -> false);

        assertEquals(List.of(IpAddress.parse("10.244.1.2")), ipam.release("c1", "eth0"));
        assertEquals(List.of(), ipam.release("c1", "eth0"), "a second release finds nothing and succeeds");
        assertEquals(Set.of(IpAddress.parse("10.244.1.3")), ipam.allocations().keySet());
    }

    @Test
    void shouldContinueAfterTheLastReservedAddressRatherThanReuseAReleasedOne() {
        HostLocalIpam ipam = ipam("10.244.1.0/24");
        ipam.allocate("c1", "eth0", a -> false);
        ipam.release("c1", "eth0");

        assertEquals(List.of(IpAddress.parse("10.244.1.3")), ipam.allocate("c2", "eth0", a -> false));
    }

    @Test
    void shouldSkipAddressesInUseAndTheBroadcastAndFailWhenTheRangeIsFull() {
        HostLocalIpam ipam = ipam("10.244.1.0/29"); // .1 gateway, .2-.6 usable, .7 broadcast
        Set<IpAddress> manifestPods = Set.of(IpAddress.parse("10.244.1.3"));
        List<IpAddress> got = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            got.addAll(ipam.allocate("c" + i, "eth0", manifestPods::contains));
        }

        assertEquals(List.of("10.244.1.2", "10.244.1.4", "10.244.1.5", "10.244.1.6"), got.stream().map(IpAddress::toString).toList());
        CniError full = assertThrows(CniError.class, () -> ipam.allocate("c9", "eth0", manifestPods::contains));
        assertEquals(CniError.NO_ADDRESS_LEFT, full.code());
        assertTrue(full.getMessage().contains("10.244.1.0/29"), full.getMessage());
    }

    @Test
    void shouldGiveOneAddressPerFamilyWhenTheNodeIsDualStack() {
        List<IpAddress> ips = ipam("10.244.1.0/24", "fd00:10:244:1::/64").allocate("c1", "eth0", a -> false);

        assertEquals(List.of(IpAddress.parse("10.244.1.2"), IpAddress.parse("fd00:10:244:1::1")), ips);
    }

    @Test
    void shouldGiveDifferentAddressesWhenManyAddsRunAtOnce() throws Exception {
        int adds = 16;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<List<IpAddress>>> calls = new ArrayList<>();
            for (int i = 0; i < adds; i++) {
                String id = "c" + i;
                // a fresh instance per call, as separate processes would have
                calls.add(() -> new HostLocalIpam(dir, List.of(Cidr.parse("10.244.1.0/24")), GATEWAY).allocate(id, "eth0", a -> false));
            }
            Set<IpAddress> distinct = new HashSet<>();
            for (Future<List<IpAddress>> f : pool.invokeAll(calls, 30, TimeUnit.SECONDS)) {
                distinct.addAll(f.get());
            }
            assertEquals(adds, distinct.size(), "no address given twice: " + distinct);
            assertEquals(adds, ipam("10.244.1.0/24").allocations().size());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldRefuseARangeWithNoRoomForPods() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ipam("10.244.1.0/31"));

        assertTrue(e.getMessage().contains("10.244.1.0/31"), e.getMessage());
    }
}
