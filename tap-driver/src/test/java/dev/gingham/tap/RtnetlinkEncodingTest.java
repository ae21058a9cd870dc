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
