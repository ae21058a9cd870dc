package dev.gingham.tap;

import dev.gingham.packet.Cidr;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The rtnetlink requests byte for byte (x86-64 / aarch64 little-endian), as strace shows iproute2's. */
class RtnetlinkEncodingTest {
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer = arena.allocate(4096);
    private final NetlinkMessage message = new NetlinkMessage(buffer);

    @AfterEach
    void close() {
        arena.close();
    }

    private byte[] written() {
        return buffer.asSlice(0, message.length()).toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void shouldEncodeNewAddressWhenIpv4HostAddressIsAdded() {
        Rtnetlink.encodeAddAddress(message, 7, 5, Cidr.parse("10.244.1.5/32"));

        assertArrayEquals(PacketBuilder.unhex(
                "28000000 1400 0506 07000000 00000000"      // nlmsghdr: 40 bytes, RTM_NEWADDR, REQUEST|ACK|EXCL|CREATE
                        + "02 20 00 00 05000000"            // ifaddrmsg: AF_INET /32 flags 0 scope universe ifindex 5
                        + "0800 0200 0af40105"              // IFA_LOCAL 10.244.1.5
                        + "0800 0100 0af40105"),            // IFA_ADDRESS 10.244.1.5
                written());
    }

    @Test
    void shouldEncodeAClsactQdiscAsTcQdiscAddDoes() {
        Rtnetlink.encodeAddClsact(message, 7, 5);

        assertArrayEquals(PacketBuilder.unhex(
                "30000000 2400 0506 07000000 00000000"      // nlmsghdr: 48 bytes, RTM_NEWQDISC, REQUEST|ACK|EXCL|CREATE
                        + "00 00 0000 05000000"             // tcmsg: AF_UNSPEC, ifindex 5
                        + "0000ffff f1ffffff 00000000"      // handle ffff:0, parent clsact, info 0
                        + "0b00 0100 636c736163740000"),    // TCA_KIND "clsact"
                written());
    }

    @Test
    void shouldEncodeADirectActionBpfClassifierOnTheIngressHookForEveryProtocol() {
        Rtnetlink.encodeReplaceIngressBpf(message, 7, 5, 1, 0x6768, 9, "gingham_rx_drop");

        assertArrayEquals(PacketBuilder.unhex(
                "54000000 2c00 0505 07000000 00000000"      // nlmsghdr: 84 bytes, RTM_NEWTFILTER, REQUEST|ACK|REPLACE|CREATE
                        + "00 00 0000 05000000"             // tcmsg: AF_UNSPEC, ifindex 5
                        + "68670000 f2ffffff 00030100"      // handle 0x6768, parent clsact ingress, prio 1 protocol all
                        + "0800 0100 62706600"              // TCA_KIND "bpf"
                        + "2800 0200"                       // TCA_OPTIONS, 40 bytes:
                        + "0800 0600 09000000"              //   TCA_BPF_FD 9
                        + "1400 0700 67696e6768616d5f72785f64726f7000" //   TCA_BPF_NAME
                        + "0800 0800 01000000"),            //   TCA_BPF_FLAGS direct action
                written());
    }

    @Test
    void shouldEncodeNoDadWhenIpv6AddressIsAdded() {
        Rtnetlink.encodeAddAddress(message, 1, 2, Cidr.parse("fd00::5/128"));

        byte[] bytes = written();
        assertEquals(16 + 8 + 2 * 20, bytes.length);
        assertEquals(10, bytes[16], "AF_INET6");
        assertEquals((byte) 128, bytes[17]);
        assertEquals(0x02, bytes[18], "IFA_F_NODAD");
        assertArrayEquals(PacketBuilder.unhex("fd000000000000000000000000000005"), java.util.Arrays.copyOfRange(bytes, 28, 44));
    }

    @Test
    void shouldEncodeOnlinkDefaultRouteWhenGatewayIsOutsideThePodPrefix() {
        Rtnetlink.encodeAddRoute(message, 3, 9, Cidr.parse("0.0.0.0/0"), Cidr.parseAddressOrPrefix("10.244.1.1"), true);

        assertArrayEquals(PacketBuilder.unhex(
                "2c000000 1800 0506 03000000 00000000"      // nlmsghdr: 44 bytes, RTM_NEWROUTE
                        + "02 00 00 00 fe 04 00 01 04000000" // rtmsg: AF_INET /0, main table, static, universe, unicast, ONLINK
                        + "0800 0500 0af40101"              // RTA_GATEWAY 10.244.1.1 (no RTA_DST for /0)
                        + "0800 0400 09000000"),            // RTA_OIF 9
                written());
    }

    @Test
    void shouldEncodeMaskedDestinationWhenRouteHasNoGateway() {
        Rtnetlink.encodeAddRoute(message, 4, 2, Cidr.parse("10.1.2.3/24"), null, false);

        assertArrayEquals(PacketBuilder.unhex(
                "2c000000 1800 0506 04000000 00000000"
                        + "02 18 00 00 fe 04 fd 01 00000000" // scope link, no flags
                        + "0800 0100 0a010200"              // RTA_DST 10.1.2.0
                        + "0800 0400 02000000"),
                written());
    }

    @Test
    void shouldRejectRouteWhenGatewayIsAPrefix() {
        assertThrows(IllegalArgumentException.class, () -> Rtnetlink.encodeAddRoute(message, 1, 1,
                Cidr.parse("0.0.0.0/0"), Cidr.parse("10.0.0.0/24"), true));
    }

    @Test
    void shouldFindAttributeWhenRepliesAreWalked() {
        message.begin(16, 0, 1).u32(0).u32(0).u32(0).u32(0);
        message.attributeU32(4, 1500);
        message.attributeString(3, "eth0");
        message.finish();

        long at = NetlinkMessage.find(buffer, 32, message.length(), 3);

        assertEquals(40, at);
        assertEquals("eth0", NetlinkMessage.string(buffer, at + 4, NetlinkMessage.attributeLength(buffer, at) - 4));
        assertEquals(-1, NetlinkMessage.find(buffer, 32, message.length(), 1));
    }
}
