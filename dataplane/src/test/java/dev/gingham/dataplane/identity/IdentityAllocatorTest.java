package dev.gingham.dataplane.identity;

import dev.gingham.dataplane.k8s.Namespace;
import dev.gingham.dataplane.k8s.Pod;
import dev.gingham.maps.MapErrors;
import dev.gingham.packet.Cidr;
import dev.gingham.nat.IpAddress;
import dev.gingham.packet.header.Addresses;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdentityAllocatorTest {
    private static final Namespace SHOP = Namespace.of("shop", Map.of("team", "payments"));

    private static Pod pod(String name, Map<String, String> labels) {
        return new Pod("shop", name, labels, IpAddress.parse("10.0.0.1"), List.of());
    }

    @Test
    void shouldShareOneIdentityWhenLabelSetsAreEqual() {
        IdentityAllocator ids = new IdentityAllocator();
        int a = ids.acquire(SecurityLabels.of(pod("web-1", Map.of("app", "web")), SHOP));
        int b = ids.acquire(SecurityLabels.of(pod("web-2", Map.of("app", "web")), SHOP));
        int c = ids.acquire(SecurityLabels.of(pod("db-1", Map.of("app", "db")), SHOP));
        assertEquals(ReservedIdentity.MIN_POD_IDENTITY, a, "pod identities start at 256");
        assertEquals(a, b);
        assertNotEquals(a, c);
        assertEquals(2, ids.references(a));
        assertFalse(ids.release(a));
        assertTrue(ids.release(a));
        assertNull(ids.labels(a));
        assertThrows(IllegalArgumentException.class, () -> ids.release(a));
    }

    @Test
    void shouldNotReuseAReleasedNumberAtOnceWhenOthersAreFree() {
        IdentityAllocator ids = new IdentityAllocator(256, 259);
        int first = ids.acquire(SecurityLabels.of(pod("p", Map.of("v", "1")), SHOP));
        ids.release(first);
        int second = ids.acquire(SecurityLabels.of(pod("p", Map.of("v", "2")), SHOP));
        assertNotEquals(first, second);
        ids.acquire(SecurityLabels.of(pod("p", Map.of("v", "3")), SHOP));
        ids.acquire(SecurityLabels.of(pod("p", Map.of("v", "4")), SHOP));
        assertEquals(first, ids.acquire(SecurityLabels.of(pod("p", Map.of("v", "5")), SHOP)), "wraps around to the freed number");
        assertThrows(IllegalStateException.class, () -> ids.acquire(SecurityLabels.of(pod("p", Map.of("v", "6")), SHOP)));
    }

    @Test
    void shouldListNamespaceLabelsUnderCiliumsPrefixWhenFlattened() {
        SecurityLabels labels = SecurityLabels.of(pod("web-1", Map.of("app", "web",
                "io.cilium.k8s.namespace.labels.team", "spoofed", "io.kubernetes.pod.namespace", "kube-system")), SHOP);
        assertEquals(Map.of(
                "app", "web",
                "io.kubernetes.pod.namespace", "shop",
                "io.cilium.k8s.namespace.labels.team", "payments",
                "io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name", "shop"), labels.flat());
        assertEquals(Map.of("app", "web"), labels.podLabels(), "a pod cannot claim namespace labels");
    }

    @Test
    void shouldNumberReservedIdentitiesAsCiliumWhenNamed() {
        assertEquals("reserved:host", ReservedIdentity.name(1));
        assertEquals("reserved:world", ReservedIdentity.name(2));
        assertEquals("reserved:remote-node", ReservedIdentity.name(ReservedIdentity.REMOTE_NODE));
        assertEquals(6, ReservedIdentity.REMOTE_NODE);
        assertEquals("reserved:world-ipv4", ReservedIdentity.name(9));
        assertEquals("reserved:world-ipv6", ReservedIdentity.name(10));
        assertNull(ReservedIdentity.name(256));
        assertTrue(ReservedIdentity.isCidr(ReservedIdentity.MIN_CIDR_IDENTITY));
        assertFalse(ReservedIdentity.isCidr(ReservedIdentity.MAX_POD_IDENTITY));
    }

    @Test
    void shouldInstallAndResolveCidrIdentitiesWhenAcquired() {
        try (LpmPrefixSink ipcache = new LpmPrefixSink(64)) {
            CidrIdentityAllocator cidrs = new CidrIdentityAllocator(ipcache);
            int wide = cidrs.acquire(Cidr.parse("10.0.0.0/8"));
            int narrow = cidrs.acquire(Cidr.parse("10.1.0.0/16"));
            assertEquals(1 << 24 | 1, wide, "local scope bit, from 1");
            assertEquals(wide, cidrs.acquire(Cidr.parse("10.9.9.9/8")), "host bits do not make another prefix");
            assertEquals(narrow, ipcache.lookup4(Addresses.parseIpv4("10.1.2.3")), "longest prefix wins");
            assertEquals(wide, ipcache.lookup4(Addresses.parseIpv4("10.2.0.1")));
            assertTrue(cidrs.release(Cidr.parse("10.1.0.0/16")));
            assertEquals(wide, ipcache.lookup4(Addresses.parseIpv4("10.1.2.3")), "removed: the covering prefix answers");
            assertFalse(cidrs.release(Cidr.parse("10.0.0.0/8")));
            assertTrue(cidrs.release(Cidr.parse("10.0.0.0/8")));
            assertEquals(0, ipcache.count());
        }
    }

    @Test
    void shouldChangeNothingWhenTheIpcacheRefusesAPrefix() {
        PrefixIdentitySink full = new PrefixIdentitySink() {
            @Override
            public int upsert(Cidr prefix, int identity) {
                return MapErrors.E2BIG;
            }

            @Override
            public int remove(Cidr prefix) {
                return MapErrors.ENOENT;
            }
        };
        CidrIdentityAllocator cidrs = new CidrIdentityAllocator(full);
        assertThrows(IllegalStateException.class, () -> cidrs.acquire(Cidr.parse("192.168.0.0/16")));
        assertTrue(cidrs.snapshot().isEmpty());
        assertEquals(ReservedIdentity.UNKNOWN, cidrs.lookup(Cidr.parse("192.168.0.0/16")));
    }
}
