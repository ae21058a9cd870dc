package dev.gingham.dataplane.fuzz;

import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.header.Addresses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The frame writer's bytes against PacketBuilder's golden frames (its own checksum oracle). */
class FrameWriterTest {
    private static final long SRC_MAC = 0x02_00_00_00_00_01L;
    private static final long DST_MAC = 0x02_00_00_00_00_02L;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment memory = arena.allocate(4096);
    private final FrameWriter w = new FrameWriter().begin(memory, 100, 2048);

    @AfterEach
    void close() {
        arena.close();
    }

    private String bytes() {
        return HexFormat.of().formatHex(memory.asSlice(100, w.length()).toArray(ValueLayout.JAVA_BYTE));
    }

    private void payload(int n) {
        int at = w.append(n);
        for (int k = 0; k < n; k++) {
            w.u8(at + k, k);
        }
    }

    private static int ip(String address) {
        return Addresses.parseIpv4(address);
    }

    @Test
    void shouldEqualPacketBuilderWhenWritingATcpSynWithMss() {
        w.ethernet(DST_MAC, SRC_MAC, 0x0800).ipv4(0, 1, 0, 64, 6, ip("10.0.0.1"), ip("10.0.0.2"), 0)
                .tcp(40000, 80, 0, 0, PacketBuilder.SYN, 65535, 1);
        w.u32(w.start(2) + 20, 0x0204_05B4);
        payload(11);
        w.finish();
        byte[] golden = PacketBuilder.tcp4("10.0.0.1", 40000, "10.0.0.2", 80).flags(PacketBuilder.SYN).mss(1460)
                .payload(11).build();
        assertEquals(HexFormat.of().formatHex(golden), bytes());
    }

    @Test
    void shouldEqualPacketBuilderWhenWritingUdpOverIpv6() {
        long[] src = new long[2];
        long[] dst = new long[2];
        Addresses.parseIpv6("fd00::1", src);
        Addresses.parseIpv6("fd00::2", dst);
        w.ethernet(DST_MAC, SRC_MAC, 0x86DD).ipv6(0, 0, 17, 64, src[0], src[1], dst[0], dst[1]).udp(5353, 53);
        payload(33);
        w.finish();
        assertEquals(HexFormat.of().formatHex(PacketBuilder.udp6("fd00::1", 5353, "fd00::2", 53).payload(33).build()), bytes());
    }

    @Test
    void shouldEqualPacketBuilderWhenWritingIcmpEchoAndVlan() {
        w.ethernetVlan(DST_MAC, SRC_MAC, 7, 0x0800).ipv4(0, 1, 0, 64, 1, ip("10.0.0.1"), ip("10.0.0.9"), 0)
                .icmp4(8, 0, 0x1234_0005);
        payload(20);
        w.finish();
        assertEquals(HexFormat.of().formatHex(PacketBuilder.icmp4Echo("10.0.0.1", "10.0.0.9", 0x1234, 5).vlan(7)
                .payload(20).build()), bytes());
    }

    @Test
    void shouldEqualPacketBuilderWhenWritingVxlanWithInnerChecksumsFirst() {
        w.ethernet(DST_MAC, SRC_MAC, 0x0800).ipv4(0, 1, 0, 64, 17, ip("192.168.1.1"), ip("192.168.1.2"), 0)
                .udp(49152, 8472).noChecksum().vxlan(42)
                .ethernet(DST_MAC, SRC_MAC, 0x0800).ipv4(0, 1, 0, 64, 6, ip("10.1.0.1"), ip("10.2.0.2"), 0)
                .tcp(1, 2, 0, 0, PacketBuilder.ACK, 65535, 0);
        payload(5);
        w.finish();
        byte[] inner = PacketBuilder.tcp4("10.1.0.1", 1, "10.2.0.2", 2).payload(5).build();
        assertEquals(HexFormat.of().formatHex(PacketBuilder.vxlan("192.168.1.1", "192.168.1.2", 42, inner).build()), bytes());
    }

    @Test
    void shouldClaimMissingBytesAndKeepChecksumsWhenLayersArePartial() {
        w.ethernet(DST_MAC, SRC_MAC, 0x0800).ipv4(0, 1, 0x2000, 64, 17, ip("10.0.0.1"), ip("10.0.0.2"), 0)
                .partial(1000).udp(1, 2).whole();
        w.u16(w.start(2) + 6, 0xABCD);
        payload(16);
        w.finish();
        assertEquals(20 + 8 + 16, w.u16(w.start(1) + 2), "the fragment's own IP length");
        assertEquals(8 + 16 + 1000, w.u16(w.start(2) + 4), "the datagram's UDP length");
        assertEquals(0xABCD, w.u16(w.start(2) + 6), "a partial checksum is left as written");
        assertTrue(w.isPartial(2));
        assertFalse(w.isPartial(1));
    }

    @Test
    void shouldRefuseCapacitiesBelowTheMinimumAndFramesBeyondTheCapacity() {
        assertEquals("capacity 100 is below 1024 bytes",
                assertThrows(IllegalArgumentException.class, () -> new FrameWriter().begin(memory, 0, 100)).getMessage());
        w.append(2000);
        assertEquals("frame of 2049 bytes exceeds the capacity of 2048",
                assertThrows(IllegalStateException.class, () -> w.append(49)).getMessage());
        assertEquals(48, w.randomBytes(100, new FuzzRandom(1)), "random bytes stop at the capacity");
    }
}
