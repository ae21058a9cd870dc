package dev.gingham.tap;

import dev.gingham.packet.Cidr;
import dev.gingham.packet.Netns;
import dev.gingham.packet.header.Addresses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rtnetlink against the kernel, on a veth pair inside a namespace the test owns; checked with {@code ip}. */
@Timeout(60)
class RtnetlinkTest {
    private final Netns netns = new Netns();
    private String ns;
    private Rtnetlink netlink;
    private int a;

    @BeforeEach
    void setUp() {
        TapTesting.assumeKernelTapAvailable();
        ns = netns.create("nl");
        Netns.must("ip", "-n", ns, "link", "add", "va", "type", "veth", "peer", "name", "vb");
        netlink = Rtnetlink.openIn(ns);
        a = netlink.link("va").ifindex();
    }

    @AfterEach
    void tearDown() {
        if (netlink != null) {
            netlink.close();
        }
        netns.close();
    }

    private String ipLink(String name) {
        return Netns.must("ip", "-n", ns, "-o", "link", "show", name);
    }

    @Test
    void shouldChangeMacMtuAndStateWhenLinkIsConfigured() {
        netlink.setMac(a, Addresses.parseMac("02:00:00:00:aa:01"));
        netlink.setMtu(a, 1400);
        netlink.setUp(a, true);

        String shown = ipLink("va");
        assertTrue(shown.contains("mtu 1400") && shown.contains("link/ether 02:00:00:00:aa:01") && shown.contains(",UP"), shown);
        LinkInfo info = netlink.link(a);
        assertEquals("va", info.name());
        assertEquals(0x0200_0000_aa01L, info.mac());
        assertEquals(1400, info.mtuBytes());
        assertTrue(info.isUp());
        assertEquals("veth", info.kind());
        assertNull(info.tun());

        netlink.setUp(a, false);

        assertFalse(ipLink("va").contains(",UP"));
        assertFalse(netlink.link("va").isUp());
    }

    @Test
    void shouldRenameLinkWhenNameIsFreeAndRefuseWhenTaken() {
        netlink.rename(a, "eth0");

        assertEquals("eth0", netlink.link(a).name());
        assertTrue(ipLink("eth0").startsWith(a + ": eth0@vb"), ipLink("eth0"));
        NetDeviceException e = assertThrows(NetDeviceException.class, () -> netlink.rename(a, "vb"));
        assertEquals(NetDeviceException.Reason.NAME_IN_USE, e.reason());
        assertTrue(e.getMessage().contains("'vb'") && e.getMessage().contains(ns), e.getMessage());
    }

    @Test
    void shouldAddAddressRouteAndNeighbourWhenAsked() {
        netlink.setUp(a, true);
        netlink.addAddress(a, Cidr.parse("10.77.5.2/24"));
        netlink.addRoute(a, Cidr.parse("10.78.0.0/16"), Cidr.parseAddressOrPrefix("192.0.2.1"), true);
        netlink.addNeighbour(a, Cidr.parseAddressOrPrefix("10.77.5.1"), Addresses.parseMac("02:00:00:00:aa:fe"));

        assertTrue(Netns.must("ip", "-n", ns, "-4", "-o", "addr", "show", "va").contains("inet 10.77.5.2/24"));
        String routes = Netns.must("ip", "-n", ns, "route", "show");
        assertTrue(routes.contains("10.78.0.0/16 via 192.0.2.1 dev va proto static onlink"), routes);
        String neighbours = Netns.must("ip", "-n", ns, "neigh", "show", "dev", "va");
        assertTrue(neighbours.contains("10.77.5.1 lladdr 02:00:00:00:aa:fe PERMANENT"), neighbours);
    }

    @Test
    void shouldReportAlreadyExistsWhenAddressIsAddedTwice() {
        netlink.addAddress(a, Cidr.parse("10.77.5.2/32"));

        NetDeviceException e = assertThrows(NetDeviceException.class, () -> netlink.addAddress(a, Cidr.parse("10.77.5.2/32")));

        assertEquals(NetDeviceException.Reason.ALREADY_EXISTS, e.reason());
        assertEquals(Libc.EEXIST, e.errno());
        assertTrue(e.getMessage().contains("add address 10.77.5.2/32 to link " + a) && e.getMessage().contains("EEXIST"),
                e.getMessage());
    }

    @Test
    void shouldReportNoSuchDeviceWhenLinkIsMissing() {
        assertNull(netlink.findLink("nothere"));
        NetDeviceException byName = assertThrows(NetDeviceException.class, () -> netlink.link("nothere"));
        assertEquals(NetDeviceException.Reason.NO_SUCH_DEVICE, byName.reason());
        assertTrue(byName.getMessage().contains("no interface 'nothere' in network namespace '" + ns + "'"), byName.getMessage());

        NetDeviceException byIndex = assertThrows(NetDeviceException.class, () -> netlink.setMtu(99_999, 1400));

        assertEquals(NetDeviceException.Reason.NO_SUCH_DEVICE, byIndex.reason());
    }

    @Test
    void shouldRejectRouteWhenGatewayIsUnreachableWithoutOnlink() {
        netlink.setUp(a, true);

        NetDeviceException e = assertThrows(NetDeviceException.class, () -> netlink.addRoute(a, Cidr.parse("0.0.0.0/0"),
                Cidr.parseAddressOrPrefix("10.99.0.1"), false));

        assertEquals(NetDeviceException.Reason.SYSTEM_ERROR, e.reason());
        assertTrue(e.getMessage().contains("add route 0.0.0.0/0 via 10.99.0.1/32 dev " + a), e.getMessage());
        assertTrue(e.getMessage().contains("kernel says: Nexthop has invalid gateway"), e.getMessage());
    }

    @Test
    void shouldMoveLinkWhenTargetNamespaceExistsAndReportWhenMissing() {
        String other = netns.create("nl2");

        netlink.moveToNamespace(netlink.link("vb").ifindex(), other);

        assertNull(netlink.findLink("vb"));
        try (Rtnetlink there = Rtnetlink.openIn(other)) {
            assertEquals("veth", there.link("vb").kind());
        }
        NetDeviceException e = assertThrows(NetDeviceException.class, () -> netlink.moveToNamespace(a, other + "-gone"));
        assertEquals(NetDeviceException.Reason.NAMESPACE_MISSING, e.reason());
    }

    @Test
    void shouldDeleteLinkWhenAsked() {
        netlink.deleteLink(a);

        assertNull(netlink.findLink("va"));
        assertNull(netlink.findLink("vb"), "a veth goes with its peer");
    }
}
