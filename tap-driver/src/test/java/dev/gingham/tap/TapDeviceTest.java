package dev.gingham.tap;

import dev.gingham.packet.Cidr;
import dev.gingham.packet.Netns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TAP devices against the real tun driver (root; skipped otherwise). Every device is created in a
 * namespace the test owns, so deleting the namespace removes whatever a failed test left.
 */
@Timeout(60)
class TapDeviceTest {
    private final Netns netns = new Netns();
    private final List<AutoCloseable> opened = new ArrayList<>();
    private String ns;

    @BeforeEach
    void setUp() {
        TapTesting.assumeKernelTapAvailable();
        ns = netns.create("tap");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : opened.reversed()) {
            c.close();
        }
        netns.close();
    }

    private <T extends AutoCloseable> T keep(T closeable) {
        opened.add(closeable);
        return closeable;
    }

    @Test
    void shouldCreateMultiQueueTapWithVnetHeaderWhenConfigAsksForIt() {
        String name = TapTesting.uniqueName();

        TapDevice tap = keep(TapDevice.create(TapConfig.of(name).withQueues(3).inNamespace(ns)));

        assertEquals(name, tap.name());
        assertEquals(3, tap.queueCount());
        Set<Integer> fds = new HashSet<>();
        for (int q = 0; q < 3; q++) {
            assertTrue(tap.queue(q).fd() >= 0);
            fds.add(tap.queue(q).fd());
        }
        assertEquals(3, fds.size(), "one file descriptor per queue");
        LinkInfo link = keep(Rtnetlink.openIn(ns)).link(name);
        assertTrue(link.isTap(), link.toString());
        assertTrue(link.tun().vnetHeader() && link.tun().multiQueue() && !link.tun().persistent(), link.toString());
        assertEquals(3, link.tun().queues());
        String details = Netns.must("ip", "-n", ns, "-d", "link", "show", name);
        assertTrue(details.contains("tun type tap pi off vnet_hdr on multi_queue numqueues 3"), details);
    }

    @Test
    void shouldCreatePlainTapWhenVnetHeaderIsOff() {
        String name = TapTesting.uniqueName();

        keep(TapDevice.create(TapConfig.of(name).withVnetHeader(false).inNamespace(ns)));

        String details = Netns.must("ip", "-n", ns, "-d", "link", "show", name);
        assertTrue(details.contains("tun type tap pi off vnet_hdr off"), details);
        assertFalse(details.contains("multi_queue"), details);
    }

    @Test
    void shouldDisappearWhenNonPersistentTapIsClosed() {
        String name = TapTesting.uniqueName();
        TapDevice tap = TapDevice.create(TapConfig.of(name).inNamespace(ns));
        Rtnetlink netlink = keep(Rtnetlink.openIn(ns));
        assertTrue(netlink.findLink(name) != null);

        tap.close();

        assertNull(netlink.findLink(name));
    }

    @Test
    void shouldReattachPersistentTapWhenReopenedAfterClose() {
        String name = TapTesting.uniqueName();
        TapConfig config = TapConfig.of(name).withQueues(2).withPersistent(true).inNamespace(ns);
        Rtnetlink netlink = keep(Rtnetlink.openIn(ns));
        TapDevice first = TapDevice.create(config);
        int ifindex = netlink.link(name).ifindex();
        netlink.addAddress(ifindex, Cidr.parse("10.77.0.2/32"));
        first.close(); // the daemon died

        LinkInfo orphan = netlink.link(name);
        assertTrue(orphan.tun().persistent());
        assertEquals(0, orphan.tun().queues(), "nobody attached");

        TapDevice again = keep(TapDevice.open(config));

        assertEquals(2, again.queueCount());
        LinkInfo attached = netlink.link(name);
        assertEquals(ifindex, attached.ifindex(), "the same device, not a new one");
        assertEquals(2, attached.tun().queues());
        assertTrue(Netns.must("ip", "-n", ns, "-4", "addr", "show", name).contains("inet 10.77.0.2/32"),
                "configuration survives the restart");

        again.setPersistent(false);
        again.close();
        assertNull(netlink.findLink(name), "not persistent any more: gone with its last descriptor");
    }

    @Test
    void shouldReportNameInUseWhenCreateFindsAnExistingTap() {
        String name = TapTesting.uniqueName();
        keep(TapDevice.create(TapConfig.of(name).withPersistent(true).inNamespace(ns)));

        NetDeviceException e = assertThrows(NetDeviceException.class,
                () -> TapDevice.create(TapConfig.of(name).inNamespace(ns)));

        assertEquals(NetDeviceException.Reason.NAME_IN_USE, e.reason());
        assertTrue(e.getMessage().contains("a TAP of that name exists already"), e.getMessage());
    }

    @Test
    void shouldReportNameInUseWhenNameBelongsToAVethInterface() {
        String name = TapTesting.uniqueName();
        Netns.must("ip", "-n", ns, "link", "add", name, "type", "veth", "peer", "name", name + "p");

        NetDeviceException e = assertThrows(NetDeviceException.class,
                () -> TapDevice.open(TapConfig.of(name).inNamespace(ns)));

        assertEquals(NetDeviceException.Reason.NAME_IN_USE, e.reason());
        assertTrue(e.getMessage().contains("existing veth interface") && e.getMessage().contains(ns), e.getMessage());
        NetDeviceException exclusive = assertThrows(NetDeviceException.class,
                () -> TapDevice.create(TapConfig.of(name).inNamespace(ns)));
        assertEquals(NetDeviceException.Reason.NAME_IN_USE, exclusive.reason());
        assertTrue(exclusive.getMessage().contains("veth"), exclusive.getMessage());
    }

    @Test
    void shouldReportNameInUseWhenSingleQueueTapIsAttachedElsewhere() {
        String name = TapTesting.uniqueName();
        keep(TapDevice.create(TapConfig.of(name).inNamespace(ns)));

        NetDeviceException e = assertThrows(NetDeviceException.class,
                () -> TapDevice.open(TapConfig.of(name).inNamespace(ns)));

        assertEquals(NetDeviceException.Reason.NAME_IN_USE, e.reason());
        assertTrue(e.getMessage().contains("attached by another process"), e.getMessage());
    }

    @Test
    void shouldReportNameInUseWhenQueueModeDiffersOnReattach() {
        String name = TapTesting.uniqueName();
        keep(TapDevice.create(TapConfig.of(name).withQueues(2).withPersistent(true).inNamespace(ns))).close();

        NetDeviceException e = assertThrows(NetDeviceException.class,
                () -> TapDevice.open(TapConfig.of(name).inNamespace(ns)));

        assertEquals(NetDeviceException.Reason.NAME_IN_USE, e.reason());
        assertTrue(e.getMessage().contains("multi_queue on"), e.getMessage());
    }

    @Test
    void shouldReportNamespaceMissingWhenNamespaceDoesNotExist() {
        String missing = ns + "-gone";

        NetDeviceException e = assertThrows(NetDeviceException.class,
                () -> TapDevice.create(TapConfig.of(TapTesting.uniqueName()).inNamespace(missing)));

        assertEquals(NetDeviceException.Reason.NAMESPACE_MISSING, e.reason());
        assertTrue(e.getMessage().contains("'" + missing + "' does not exist"), e.getMessage());
    }

    @Test
    void shouldReportNoTunDeviceWhenCloneDeviceIsMissing() {
        NetDeviceException e = assertThrows(NetDeviceException.class,
                () -> TapDevice.open(TapConfig.of(TapTesting.uniqueName()), Path.of("/dev/net/no-such-tun"), true));

        assertEquals(NetDeviceException.Reason.NO_TUN_DEVICE, e.reason());
        assertEquals(Libc.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("/dev/net/no-such-tun does not exist"), e.getMessage());
    }
}
