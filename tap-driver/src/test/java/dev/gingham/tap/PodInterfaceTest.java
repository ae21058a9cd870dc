package dev.gingham.tap;

import dev.gingham.packet.Netns;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.header.Addresses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static dev.gingham.tap.PodFixture.GATEWAY_IP;
import static dev.gingham.tap.PodFixture.GATEWAY_MAC;
import static dev.gingham.tap.PodFixture.POD_IP;
import static dev.gingham.tap.PodFixture.POD_MAC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A TAP moved into a pod namespace and configured there with Gingham's own netlink code, checked
 * from the kernel side: {@code ip} shows the configuration, and the pod's own {@code ping}
 * succeeds with this test answering ARP and ICMP on the TAP.
 */
@Timeout(60)
class PodInterfaceTest {
    private PodFixture pod;

    @BeforeEach
    void setUp() {
        TapTesting.assumeKernelTapAvailable();
    }

    private void startPod(TapConfig config) {
        pod = new PodFixture(config);
    }

    @AfterEach
    void tearDown() {
        if (pod != null) {
            pod.close();
        }
    }

    @Test
    void shouldShowPodConfigurationWhenIpInspectsTheNamespace() {
        startPod(TapConfig.of(TapTesting.uniqueName()));
        String ns = pod.namespace;

        String link = Netns.must("ip", "-n", ns, "-o", "link", "show", "eth0");
        assertTrue(link.contains("eth0: <") && link.contains(",UP") && link.contains("mtu 1500"), link);
        assertTrue(link.contains("link/ether " + POD_MAC), link);
        assertTrue(Netns.must("ip", "-n", ns, "-4", "-o", "addr", "show", "eth0").contains("inet " + POD_IP + "/32"));
        assertTrue(Netns.must("ip", "-n", ns, "-6", "-o", "addr", "show", "eth0").contains("inet6 fd00:77::5/128"));
        String routes4 = Netns.must("ip", "-n", ns, "-4", "route", "show");
        assertTrue(routes4.contains("default via " + GATEWAY_IP + " dev eth0 proto static onlink"), routes4);
        String routes6 = Netns.must("ip", "-n", ns, "-6", "route", "show", "default");
        assertTrue(routes6.contains("default via fe80::1 dev eth0 proto static") && routes6.contains("onlink"), routes6);
        assertTrue(Netns.must("ip", "-n", ns, "-o", "link", "show", "lo").contains(",UP"), "loopback up");
        assertEquals("eth0", pod.podLink.name());
        assertEquals(Addresses.parseMac(POD_MAC), pod.podLink.mac());
        assertEquals(1500, pod.podLink.mtuBytes());
        assertTrue(pod.podLink.isUp() && pod.podLink.isTap());
        String host = Netns.run("ip", "-o", "link", "show", pod.tap.name()).output();
        assertTrue(host.contains("does not exist"), "the TAP left the test's namespace: " + host);
    }

    @Test
    void shouldCompletePodPingWhenTestAnswersArpAndEchoOnTheTap() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/ping")) || Files.isExecutable(Path.of("/bin/ping")),
                "needs ping (Debian: iputils-ping; ./gingham test installs it)");
        startPod(TapConfig.of(TapTesting.uniqueName()));
        Process ping = pod.startInPod("ping", "-c1", "-W3", GATEWAY_IP);

        byte[] arp = pod.receiveFromPod(0x0806, -1, 5000);
        assertNotNull(arp, "no ARP request for the gateway within 5 s");
        assertArrayEquals(PacketBuilder.arpRequest(POD_MAC, POD_IP, GATEWAY_IP).build(), arp);
        assertEquals(TapQueue.SENT, TapTesting.send(pod.tap.queue(0), pod.vector,
                PacketBuilder.arpReply(GATEWAY_MAC, GATEWAY_IP, POD_MAC, POD_IP).build()));

        byte[] echo = pod.receiveFromPod(0x0800, 1, 5000);
        assertNotNull(echo, "no ICMP echo request after the ARP reply");
        assertArrayEquals(PacketBuilder.unhex("020000007701" + "020000007705" + "0800"), Arrays.copyOf(echo, 14));
        assertArrayEquals(PacketBuilder.unhex("0a4d0105" + "0a4d0101"), Arrays.copyOfRange(echo, 26, 34));
        assertEquals(8, echo[34], "echo request");
        int id = (echo[38] & 0xFF) << 8 | (echo[39] & 0xFF);
        int sequence = (echo[40] & 0xFF) << 8 | (echo[41] & 0xFF);
        byte[] data = Arrays.copyOfRange(echo, 42, echo.length);
        byte[] reply = PacketBuilder.icmp4Echo(GATEWAY_IP, POD_IP, id, sequence).icmpEchoReply()
                .srcMac(GATEWAY_MAC).dstMac(POD_MAC).payload(data).build();
        assertEquals(TapQueue.SENT, TapTesting.send(pod.tap.queue(0), pod.vector, reply));

        Netns.Result result = PodFixture.finish(ping, 10);
        assertEquals(0, result.exitCode(), "ping in the pod: " + result.output());
        assertTrue(result.output().contains("1 received"), result.output());
    }

    @Test
    void shouldCarryPodTrafficWhenRestartedDaemonReattachesPersistentTapInsideThePod() {
        TapConfig config = TapConfig.of(TapTesting.uniqueName()).withPersistent(true);
        startPod(config);
        pod.addGatewayNeighbour();
        pod.tap.close(); // the daemon dies: its descriptors close, the persistent device stays in the pod

        String link = Netns.must("ip", "-n", pod.namespace, "-o", "link", "show", "eth0");
        assertTrue(link.contains("NO-CARRIER"), "nobody attached: " + link);
        try (TapDevice restarted = TapDevice.open(config.withName("eth0").inNamespace(pod.namespace));
             Rtnetlink netlink = Rtnetlink.openIn(pod.namespace)) {
            assertEquals(pod.podLink.ifindex(), netlink.link("eth0").ifindex(), "the same device");
            pod.startInPod("bash", "-c", "echo -n again > /dev/udp/" + PodFixture.PEER_IP + "/9999");

            int i = TapTesting.receive(restarted, pod.vector, 5000,
                    j -> PodFixture.matches(PacketBuilder.bytesOf(pod.vector, j), 0x0800, 17));

            assertTrue(i >= 0, "no datagram from the pod through the re-attached device");
            byte[] frame = PacketBuilder.bytesOf(pod.vector, i);
            assertEquals("again", new String(frame, 42, 5, StandardCharsets.US_ASCII));
            assertTrue(Netns.must("ip", "-n", pod.namespace, "-4", "-o", "addr", "show", "eth0").contains(POD_IP + "/32"),
                    "the address survived the restart");
            pod.vector.releaseAll();
        }
    }

    @Test
    void shouldRestoreMtuMacAndAddressWhenReattachedPodInterfaceWasChangedMeanwhile() {
        TapConfig config = TapConfig.of(TapTesting.uniqueName()).withPersistent(true);
        startPod(config);
        pod.tap.close(); // the daemon dies; meanwhile someone changes the pod's interface
        String ns = pod.namespace;
        Netns.must("ip", "-n", ns, "link", "set", "eth0", "down");
        Netns.must("ip", "-n", ns, "link", "set", "eth0", "mtu", "1400", "address", "02:00:00:00:77:99");
        Netns.must("ip", "-n", ns, "addr", "del", POD_IP + "/32", "dev", "eth0");

        try (TapDevice restarted = TapDevice.open(config.withName("eth0").inNamespace(ns))) {
            LinkInfo link = PodInterface.reconfigure(pod.settings());

            assertEquals(pod.podLink.ifindex(), link.ifindex(), "the same device");
            assertEquals(1500, link.mtuBytes());
            assertEquals(Addresses.parseMac(POD_MAC), link.mac());
            assertTrue(link.isUp());
            assertTrue(Netns.must("ip", "-n", ns, "-4", "-o", "addr", "show", "eth0").contains("inet " + POD_IP + "/32"),
                    "the address is back");
            assertTrue(Netns.must("ip", "-n", ns, "-6", "-o", "addr", "show", "eth0").contains("inet6 fd00:77::5/128"),
                    "the address that stayed is kept");
            assertTrue(Netns.must("ip", "-n", ns, "-4", "route", "show").contains("default via " + GATEWAY_IP + " dev eth0"),
                    "the default route is back (it went with the interface down)");
        }
    }
}
