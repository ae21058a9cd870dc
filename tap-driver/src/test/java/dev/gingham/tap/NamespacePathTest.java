package dev.gingham.tap;

import dev.gingham.packet.Cidr;
import dev.gingham.packet.Netns;
import dev.gingham.packet.header.Addresses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A namespace given as a path, as a container runtime gives it to a CNI plugin
 * ({@code /var/run/netns/NAME} or {@code /proc/PID/ns/net}), and the address dump CNI CHECK reads.
 */
@Timeout(60)
class NamespacePathTest {
    private final Netns netns = new Netns();

    @BeforeEach
    void setUp() {
        TapTesting.assumeKernelTapAvailable();
    }

    @AfterEach
    void tearDown() {
        netns.close();
    }

    @Test
    void shouldMoveAndConfigureThePodWhenItsNamespaceIsGivenAsAPath() {
        String name = netns.create("nspath");
        String path = NetworkNamespace.DIRECTORY.resolve(name).toString();
        try (TapDevice tap = TapDevice.create(TapConfig.of(TapTesting.uniqueName()))) {
            LinkInfo link = PodInterface.moveAndConfigure(tap.name(), new PodInterface.Settings(path, "net1",
                    Addresses.parseMac("02:00:00:00:78:05"), 1400, Cidr.parse("10.78.1.5/32"), Cidr.parse("10.78.1.1/32"),
                    Cidr.parse("fd00:78::5/128"), null));

            assertEquals("net1", link.name());
            String shown = Netns.must("ip", "-n", name, "-o", "addr", "show", "net1");
            assertTrue(shown.contains("inet 10.78.1.5/32"), shown);
            try (Rtnetlink pod = Rtnetlink.openIn(path)) {
                List<Cidr> addresses = pod.addresses(pod.link("net1").ifindex());
                assertTrue(addresses.contains(Cidr.parse("10.78.1.5/32")), addresses.toString());
                assertTrue(addresses.contains(Cidr.parse("fd00:78::5/128")), addresses.toString());
                assertEquals(List.of(), pod.addresses(pod.link("lo").ifindex()).stream()
                        .filter(a -> a.equals(Cidr.parse("10.78.1.5/32"))).toList(), "only the asked interface's addresses");
            }
        }
    }

    @Test
    void shouldNameThePathWhenTheNamespaceFileIsMissing() {
        NetDeviceException e = assertThrows(NetDeviceException.class,
                () -> Rtnetlink.openIn("/var/run/netns/ghtest-no-such-namespace-" + ProcessHandle.current().pid()));

        assertEquals(NetDeviceException.Reason.NAMESPACE_MISSING, e.reason());
        assertTrue(e.getMessage().contains("ghtest-no-such-namespace") && !e.getMessage().contains("ip netns add"), e.getMessage());
    }

    @Test
    void shouldRefuseAPathWithDotDotComponents() {
        NetDeviceException e = assertThrows(NetDeviceException.class, () -> NetworkNamespace.path("/var/run/netns/../x"));

        assertTrue(e.getMessage().contains("not a normalized absolute path"), e.getMessage());
    }
}
