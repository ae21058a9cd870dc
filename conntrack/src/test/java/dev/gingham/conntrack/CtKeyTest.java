package dev.gingham.conntrack;

import dev.gingham.packet.MappedAddress;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CtKeyTest {
    private final Frames frames = new Frames();
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment memory = arena.allocate(2 * CtKey.LENGTH, 8);
    private final CtKey key = new CtKey().wrap(memory, 0);
    private final CtKey other = new CtKey().wrap(memory, CtKey.LENGTH);

    @AfterEach
    void tearDown() {
        frames.close();
        arena.close();
    }

    private byte[] keyBytes(CtKey k) {
        return k.segment().asSlice(k.offset(), CtKey.LENGTH).toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void shouldLayOutTupleInNetworkOrderWhenKeyIsFilledFromTcp4Frame() {
        int i = frames.only(PacketBuilder.tcp4("10.0.0.1", 40000, "10.0.0.2", 80).flags(PacketBuilder.SYN).build());
        key.fromFrame(frames.vector, i);
        assertEquals(PacketBuilder.hex(PacketBuilder.unhex("""
                0000000000000000 0000ffff0a000001
                0000000000000000 0000ffff0a000002
                9c40 0050 06 00 0000""")), PacketBuilder.hex(keyBytes(key)));
        assertTrue(key.ipv4());
        assertEquals("6 10.0.0.1:40000 -> 10.0.0.2:80 flags 0", key.toString());
    }

    @Test
    void shouldHashLikeTheMapWhenHashedFromFieldsInRegisters() {
        try (dev.gingham.maps.HashMap map = dev.gingham.maps.HashMap.create(
                dev.gingham.maps.MapSpec.hash("ct", CtKey.LENGTH, CtEntry.LENGTH, 16), 0x5EEDL)) {
            long[][] tuples = {
                    {0, 0x0000_FFFF_0A00_0001L, 0, 0x0000_FFFF_0A60_0001L, 40000, 80, 6, 0},
                    {0x2001_0DB8_0000_0001L, 2, 0x2001_0DB8_0000_0002L, 0xFFFF_FFFF_FFFF_FFFFL, 65535, 1, 17, CtKey.FLAG_SERVICE},
                    {0, 0x0000_FFFF_C0A8_0101L, 0, 0x0000_FFFF_0808_0808L, 7, 7, 1, 0},
            };
            for (long[] t : tuples) {
                key.set(t[0], t[1], t[2], t[3], (int) t[4], (int) t[5], (int) t[6], (int) t[7]);
                assertEquals(map.hash(memory, 0),
                        CtKey.hash(map.seed(), t[0], t[1], t[2], t[3], (int) t[4], (int) t[5], (int) t[6], (int) t[7]),
                        key.toString());
            }
        }
    }

    @Test
    void shouldStoreAnIpv4KeyIn16BytesAndLoadItBackUnchanged() {
        int i = frames.only(PacketBuilder.tcp4("10.0.0.1", 40000, "10.0.0.2", 80).flags(PacketBuilder.SYN).build());
        key.fromFrame(frames.vector, i).flags(CtKey.FLAG_SERVICE);
        MemorySegment stored = arena.allocate(CtKey.LENGTH4, 8);
        CtKey.storeIpv4(memory, 0, stored, 0);
        assertEquals(PacketBuilder.hex(PacketBuilder.unhex("0a000001 0a000002 9c40 0050 06 01 0000")),
                PacketBuilder.hex(stored.toArray(ValueLayout.JAVA_BYTE)));
        other.loadIpv4(stored, 0);
        assertArrayEquals(keyBytes(key), keyBytes(other), "the 40-byte form comes back byte for byte");
    }

    @Test
    void shouldHashTheStoredIpv4FormLikeTheMapWhenHashedFromFields() {
        try (dev.gingham.maps.HashMap map = dev.gingham.maps.HashMap.create(
                dev.gingham.maps.MapSpec.hash("ct4", CtKey.LENGTH4, CtEntry.LENGTH, 16), 0x5EEDL)) {
            MemorySegment stored = arena.allocate(CtKey.LENGTH4, 8);
            int[][] tuples = {{0x0A00_0001, 0x0A60_0001, 40000, 80, 6, 0}, {0xC0A8_0101, 0x0808_0808, 7, 7, 1, 0},
                    {0xFFFF_FFFF, 0x0000_0000, 65535, 0, 17, CtKey.FLAG_SERVICE}};
            for (int[] t : tuples) {
                key.set(0, MappedAddress.lo4(t[0]), 0, MappedAddress.lo4(t[1]), t[2], t[3], t[4], t[5]);
                assertTrue(CtKey.ipv4(memory, 0));
                CtKey.storeIpv4(memory, 0, stored, 0);
                assertEquals(map.hash(stored, 0), CtKey.hash4(map.seed(), t[0], t[1], t[2], t[3], t[4], t[5]), key.toString());
            }
        }
    }

    @Test
    void shouldTellIpv4KeysFromIpv6AndMixedOnes() {
        key.set(0, MappedAddress.lo4(0x0A00_0001), 0, MappedAddress.lo4(0x0A00_0002), 1, 2, 6, 0);
        assertTrue(key.ipv4());
        key.set(0x2001_0DB8_0000_0000L, 1, 0, MappedAddress.lo4(0x0A00_0002), 1, 2, 6, 0);
        assertFalse(key.ipv4(), "one IPv6 address: the IPv6 maps");
        key.set(0, 0x0000_FFFE_0A00_0001L, 0, MappedAddress.lo4(0x0A00_0002), 1, 2, 6, 0);
        assertFalse(key.ipv4(), "::fffe:... is not IPv4-mapped");
    }

    @Test
    void shouldSwapAddressesAndPortsWhenKeyIsReversed() {
        int i = frames.only(PacketBuilder.udp4("10.0.0.1", 5353, "10.96.0.10", 53).build());
        key.fromFrameReversed(frames.vector, i);
        assertEquals(PacketBuilder.hex(PacketBuilder.unhex("""
                0000000000000000 0000ffff0a60000a
                0000000000000000 0000ffff0a000001
                0035 14e9 11 00 0000""")), PacketBuilder.hex(keyBytes(key)));
        other.fromFrame(frames.vector, i).reverse();
        assertArrayEquals(keyBytes(key), keyBytes(other));
        other.reverse();
        key.fromFrame(frames.vector, i);
        assertArrayEquals(keyBytes(key), keyBytes(other), "reversing twice is the identity");
    }

    @Test
    void shouldHoldFullAddressesWhenFrameIsTcp6() {
        int i = frames.only(PacketBuilder.tcp6("fd00::1:5", 443, "2001:db8::9", 51000).build());
        key.fromFrame(frames.vector, i);
        assertEquals(PacketBuilder.hex(PacketBuilder.unhex("""
                fd00000000000000 0000000000010005
                20010db800000000 0000000000000009
                01bb c738 06 00 0000""")), PacketBuilder.hex(keyBytes(key)));
        assertFalse(key.ipv4());
    }

    @Test
    void shouldMakeEchoReplyTheReverseOfItsRequestWhenFramesAreIcmpEcho() {
        int request = frames.only(PacketBuilder.icmp4Echo("10.0.0.1", "8.8.8.8", 0x4242, 1).build());
        key.fromFrame(frames.vector, request);
        assertEquals(PacketBuilder.hex(PacketBuilder.unhex("""
                0000000000000000 0000ffff0a000001
                0000000000000000 0000ffff08080808
                4242 4242 01 00 0000""")), PacketBuilder.hex(keyBytes(key)));
        int reply = frames.add(PacketBuilder.icmp4Echo("8.8.8.8", "10.0.0.1", 0x4242, 1).icmpEchoReply().build());
        other.fromFrameReversed(frames.vector, reply);
        assertArrayEquals(keyBytes(key), keyBytes(other), "the reply's reversed tuple is the request's");

        int request6 = frames.add(PacketBuilder.icmp6Echo("fd00::1", "fd00::2", 7, 1).build());
        int reply6 = frames.add(PacketBuilder.icmp6Echo("fd00::2", "fd00::1", 7, 1).icmpEchoReply().build());
        key.fromFrame(frames.vector, request6);
        other.fromFrameReversed(frames.vector, reply6);
        assertArrayEquals(keyBytes(key), keyBytes(other));
        assertEquals(58, key.protocol());
    }

    @Test
    void shouldZeroPadAndKeepFlagsWhenKeyIsSetExplicitly() {
        memory.fill((byte) 0x5A);
        key.set(0, 0x0000_FFFF_0A00_0001L, 0, 0x0000_FFFF_0A60_0001L, 1234, 80, 6, CtKey.FLAG_SERVICE);
        byte[] bytes = keyBytes(key);
        assertEquals(0, bytes[38]);
        assertEquals(0, bytes[39]);
        assertEquals(CtKey.FLAG_SERVICE, key.flags());
        key.reverse();
        assertEquals(CtKey.FLAG_SERVICE, key.flags(), "reversal keeps the tuple flags");
        assertEquals(80, key.srcPort());
        assertEquals(1234, key.dstPort());
        assertEquals(6, CtKey.protocol(memory, 0));
    }
}
