package dev.gingham.packet.checksum;

import static dev.gingham.packet.PacketBuilder.icmp4Echo;
import static dev.gingham.packet.PacketBuilder.ip6;
import static dev.gingham.packet.PacketBuilder.referenceChecksum;
import static dev.gingham.packet.PacketBuilder.tcp4;
import static dev.gingham.packet.PacketBuilder.tcp6;
import static dev.gingham.packet.PacketBuilder.udp4;
import static dev.gingham.packet.PacketBuilder.udp6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gingham.packet.NetworkOrder;
import dev.gingham.packet.PacketBuilder;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * IncrementalChecksum as NAT uses it: rewrite addresses and ports of PacketBuilder frames, patch
 * the checksums incrementally, and assert the frame is byte for byte the one the builder makes
 * with the new values (so both checksums equal a full recompute by the oracle), and that a
 * receiver's verification passes.
 */
class IncrementalChecksumTest {
    private static final int IP = PacketBuilder.ETHERNET_HEADER_LENGTH;
    private static final int L4 = IP + 20;
    private static final int L4_6 = IP + 40;
    private static final int TRIALS = 5000;

    private static String v4(int address) {
        return (address >>> 24) + "." + (address >>> 16 & 0xFF) + "." + (address >>> 8 & 0xFF) + "." + (address & 0xFF);
    }

    private static String v6(long hi, long lo) {
        StringBuilder text = new StringBuilder();
        for (int k = 0; k < 8; k++) {
            long half = k < 4 ? hi : lo;
            text.append(k == 0 ? "" : ":").append(Integer.toHexString((int) (half >>> (48 - 16 * (k % 4))) & 0xFFFF));
        }
        return text.toString();
    }

    /** What NAT would rewrite: an IPv4 flow. */
    private record Flow4(int protocol, int src, int srcPort, int dst, int dstPort, int payload, boolean udpZero) {
        byte[] build() {
            return switch (protocol) {
                case TransportChecksum.TCP -> tcp4(v4(src), srcPort, v4(dst), dstPort).payload(payload).build();
                case TransportChecksum.UDP -> udpZero
                        ? udp4(v4(src), srcPort, v4(dst), dstPort).payload(payload).udpChecksumZero().build()
                        : udp4(v4(src), srcPort, v4(dst), dstPort).payload(payload).build();
                default -> icmp4Echo(v4(src), v4(dst), srcPort, 1).payload(payload).build();
            };
        }
    }

    /**
     * Rewrites {@code frame} (built from {@code from}) into {@code to}'s addresses and ports,
     * patching the IPv4 header checksum and the L4 checksum incrementally, as NAT does.
     */
    private static void rewrite4(byte[] frame, Flow4 from, Flow4 to) {
        MemorySegment s = MemorySegment.ofArray(frame);
        int ipChecksum = NetworkOrder.u16(s, IP + 10);
        ipChecksum = IncrementalChecksum.replace32(ipChecksum, from.src(), to.src());
        ipChecksum = IncrementalChecksum.replace32(ipChecksum, from.dst(), to.dst());
        NetworkOrder.u16(s, IP + 10, ipChecksum);
        NetworkOrder.u32(s, IP + 12, to.src());
        NetworkOrder.u32(s, IP + 16, to.dst());
        switch (from.protocol()) {
            case TransportChecksum.TCP -> {
                int c = NetworkOrder.u16(s, L4 + 16);
                c = IncrementalChecksum.replace32(c, from.src(), to.src());
                c = IncrementalChecksum.replace32(c, from.dst(), to.dst());
                c = IncrementalChecksum.replace16(c, from.srcPort(), to.srcPort());
                c = IncrementalChecksum.replace16(c, from.dstPort(), to.dstPort());
                NetworkOrder.u16(s, L4 + 16, c);
            }
            case TransportChecksum.UDP -> {
                int before = NetworkOrder.u16(s, L4 + 6);
                int c = IncrementalChecksum.udpReplace32(before, from.src(), to.src());
                c = IncrementalChecksum.udpReplace32(c, from.dst(), to.dst());
                c = IncrementalChecksum.udpReplace16(c, from.srcPort(), to.srcPort());
                c = IncrementalChecksum.udpReplace16(c, from.dstPort(), to.dstPort());
                if (before != 0) {
                    assertNotEquals(0, c, "a UDP checksum never becomes 'none' by an update");
                }
                NetworkOrder.u16(s, L4 + 6, c);
            }
            default -> {
                // ICMP echo: no pseudo-header; the identifier is the "port" (ICMP NAT rewrites it).
                int c = IncrementalChecksum.replace16(NetworkOrder.u16(s, L4 + 2), from.srcPort(), to.srcPort());
                NetworkOrder.u16(s, L4 + 2, c);
            }
        }
        if (from.protocol() != TransportChecksum.TCP && from.protocol() != TransportChecksum.UDP) {
            NetworkOrder.u16(s, L4 + 4, to.srcPort());
        } else {
            NetworkOrder.u16(s, L4, to.srcPort());
            NetworkOrder.u16(s, L4 + 2, to.dstPort());
        }
    }

    private static void assertReceiverVerifies4(byte[] frame, Flow4 flow) {
        MemorySegment s = MemorySegment.ofArray(frame);
        assertTrue(InternetChecksum.verifies(s, IP, 20), "IPv4 header verifies");
        int l4Length = frame.length - L4;
        switch (flow.protocol()) {
            case TransportChecksum.TCP, TransportChecksum.UDP -> {
                if (!flow.udpZero()) {
                    assertTrue(TransportChecksum.verifies4(s, L4, l4Length, flow.src(), flow.dst(), flow.protocol()), "L4 verifies");
                }
            }
            default -> assertTrue(InternetChecksum.verifies(s, L4, l4Length), "ICMP verifies");
        }
    }

    private static Flow4 randomFlow4(Random random, int protocol, boolean udpZero) {
        return new Flow4(protocol, random.nextInt(), random.nextInt(65536), random.nextInt(), random.nextInt(65536),
                random.nextInt(64), udpZero);
    }

    /** Changes a random non-empty subset of the addresses and ports. */
    private static Flow4 randomRewrite(Random random, Flow4 flow) {
        int which = 1 + random.nextInt(15);
        return new Flow4(flow.protocol(),
                (which & 1) != 0 ? random.nextInt() : flow.src(),
                (which & 2) != 0 ? random.nextInt(65536) : flow.srcPort(),
                (which & 4) != 0 ? random.nextInt() : flow.dst(),
                (which & 8) != 0 ? random.nextInt(65536) : flow.dstPort(),
                flow.payload(), flow.udpZero());
    }

    private static void assertRewrite4(Flow4 from, Flow4 to) {
        byte[] frame = from.build();
        rewrite4(frame, from, to);
        assertEquals(PacketBuilder.hex(to.build()), PacketBuilder.hex(frame), from + " -> " + to);
        assertReceiverVerifies4(frame, to);
    }

    @Test
    void shouldEqualAFullRecomputeWhenIpv4AddressesAndPortsAreRewritten() {
        Random random = new Random(1624);
        int[] protocols = {TransportChecksum.TCP, TransportChecksum.UDP, PacketBuilder.PROTO_ICMP};
        for (int trial = 0; trial < TRIALS; trial++) {
            Flow4 from = randomFlow4(random, protocols[trial % 3], false);
            assertRewrite4(from, randomRewrite(random, from));
        }
    }

    @Test
    void shouldKeepAZeroUdpChecksumZeroWhenRewritten() {
        Random random = new Random(768);
        for (int trial = 0; trial < 1000; trial++) {
            Flow4 from = randomFlow4(random, TransportChecksum.UDP, true);
            Flow4 to = randomRewrite(random, from);
            byte[] frame = from.build();
            rewrite4(frame, from, to);
            assertEquals(0, NetworkOrder.u16(MemorySegment.ofArray(frame), L4 + 6));
            assertEquals(PacketBuilder.hex(to.build()), PacketBuilder.hex(frame));
        }
    }

    @Test
    void shouldGiveAllOnesNotZeroWhenAUdpRewriteSumsToZero() {
        // Search (fixed seed) for a rewrite of the destination port after which the full
        // recompute gives 0, sent as 0xFFFF: the incremental update must agree.
        Random random = new Random(0xFFFF);
        int found = 0;
        for (int trial = 0; trial < 200 && found < 3; trial++) {
            Flow4 from = randomFlow4(random, TransportChecksum.UDP, false);
            // Scan from a hint: the checksum with port 0 is the port that completes the sum to 0xFFFF.
            int hint = NetworkOrder.u16(MemorySegment.ofArray(new Flow4(from.protocol(), from.src(), from.srcPort(), from.dst(), 0,
                    from.payload(), false).build()), L4 + 6);
            for (int k = 0; k < 65536; k++) {
                int port = (hint + k) & 0xFFFF;
                Flow4 to = new Flow4(from.protocol(), from.src(), from.srcPort(), from.dst(), port, from.payload(), false);
                byte[] expected = to.build();
                if (NetworkOrder.u16(MemorySegment.ofArray(expected), L4 + 6) == 0xFFFF) {
                    int before = NetworkOrder.u16(MemorySegment.ofArray(from.build()), L4 + 6);
                    assertEquals(0, IncrementalChecksum.replace16(before, from.dstPort(), port), "raw RFC 1624 result");
                    assertEquals(0xFFFF, IncrementalChecksum.udpReplace16(before, from.dstPort(), port), "UDP rule");
                    assertRewrite4(from, to);
                    // And back: starting from 0xFFFF (a computed zero) must work too.
                    assertRewrite4(to, from);
                    found++;
                    break;
                }
            }
        }
        assertEquals(3, found, "the search found corner cases");
    }

    @Test
    void shouldGiveZeroWhenATcpRewriteSumsToZero() {
        // TCP has no "none": when the full recompute is 0, the incremental result is 0 too.
        Random random = new Random(793);
        int found = 0;
        for (int trial = 0; trial < 200 && found < 3; trial++) {
            Flow4 from = randomFlow4(random, TransportChecksum.TCP, false);
            int hint = NetworkOrder.u16(MemorySegment.ofArray(new Flow4(from.protocol(), from.src(), 0, from.dst(), from.dstPort(),
                    from.payload(), false).build()), L4 + 16);
            for (int k = 0; k < 65536; k++) {
                int port = (hint + k) & 0xFFFF;
                Flow4 to = new Flow4(from.protocol(), from.src(), port, from.dst(), from.dstPort(), from.payload(), false);
                byte[] expected = to.build();
                if (NetworkOrder.u16(MemorySegment.ofArray(expected), L4 + 16) == 0) {
                    assertRewrite4(from, to);
                    assertRewrite4(to, from);
                    found++;
                    break;
                }
            }
        }
        assertEquals(3, found, "the search found corner cases");
    }

    @Test
    void shouldNeverGiveZeroWhenAUdpChecksumIsUpdated() {
        Random random = new Random(17);
        int[] checksums = {1, 0x8000, 0xFFFE, 0xFFFF, random.nextInt(65535) + 1, random.nextInt(65535) + 1};
        int[] olds = {0, 0xFFFF, 0x1234, random.nextInt(65536)};
        for (int checksum : checksums) {
            for (int old : olds) {
                for (int value = 0; value < 65536; value++) {
                    if (IncrementalChecksum.udpReplace16(checksum, old, value) == 0) {
                        throw new AssertionError("udpReplace16(" + checksum + ", " + old + ", " + value + ") == 0");
                    }
                }
            }
        }
        for (int trial = 0; trial < 100_000; trial++) {
            int checksum = random.nextInt(65535) + 1;
            assertNotEquals(0, IncrementalChecksum.udpReplace32(checksum, random.nextInt(), random.nextInt()));
            assertNotEquals(0, IncrementalChecksum.udpReplace128(checksum, random.nextLong(), random.nextLong(),
                    random.nextLong(), random.nextLong()));
        }
        assertEquals(0, IncrementalChecksum.udpReplace16(0, 1, 2));
        assertEquals(0, IncrementalChecksum.udpReplace32(0, 1, 2));
        assertEquals(0, IncrementalChecksum.udpReplace128(0, 1, 2, 3, 4));
    }

    @Test
    void shouldEqualARecomputeWhenAnyWordOfAnyDataChanges() {
        // Exhaustive in the new value: every m' for random data (never all zeros, which no
        // packet is: there eqn. 3 gives 0 where a recompute gives 0xFFFF, RFC 1624 §3).
        Random random = new Random(3);
        for (int trial = 0; trial < 20; trial++) {
            byte[] data = new byte[2 * (2 + random.nextInt(30))];
            random.nextBytes(data);
            data[0] |= 0x40; // a word that never changes and is never zero
            int k = 2 * (1 + random.nextInt(data.length / 2 - 1));
            int checksum = referenceChecksum(data, 0, data.length);
            int old = (data[k] & 0xFF) << 8 | data[k + 1] & 0xFF;
            for (int value = 0; value < 65536; value++) {
                data[k] = (byte) (value >>> 8);
                data[k + 1] = (byte) value;
                int expected = referenceChecksum(data, 0, data.length);
                if (IncrementalChecksum.replace16(checksum, old, value) != expected) {
                    throw new AssertionError("trial " + trial + " word " + k + " " + old + " -> " + value);
                }
            }
        }
    }

    // ---- IPv6 ------------------------------------------------------------------------------------

    private record Flow6(int protocol, long srcHi, long srcLo, int srcPort, long dstHi, long dstLo, int dstPort, int payload) {
        byte[] build() {
            String src = v6(srcHi, srcLo);
            String dst = v6(dstHi, dstLo);
            return protocol == TransportChecksum.TCP
                    ? tcp6(src, srcPort, dst, dstPort).payload(payload).build()
                    : udp6(src, srcPort, dst, dstPort).payload(payload).build();
        }
    }

    private static void rewrite6(byte[] frame, Flow6 from, Flow6 to) {
        MemorySegment s = MemorySegment.ofArray(frame);
        boolean tcp = from.protocol() == TransportChecksum.TCP;
        int field = L4_6 + (tcp ? 16 : 6);
        int c = NetworkOrder.u16(s, field);
        if (tcp) {
            c = IncrementalChecksum.replace128(c, from.srcHi(), from.srcLo(), to.srcHi(), to.srcLo());
            c = IncrementalChecksum.replace128(c, from.dstHi(), from.dstLo(), to.dstHi(), to.dstLo());
            c = IncrementalChecksum.replace16(c, from.srcPort(), to.srcPort());
            c = IncrementalChecksum.replace16(c, from.dstPort(), to.dstPort());
        } else {
            c = IncrementalChecksum.udpReplace128(c, from.srcHi(), from.srcLo(), to.srcHi(), to.srcLo());
            c = IncrementalChecksum.udpReplace128(c, from.dstHi(), from.dstLo(), to.dstHi(), to.dstLo());
            c = IncrementalChecksum.udpReplace16(c, from.srcPort(), to.srcPort());
            c = IncrementalChecksum.udpReplace16(c, from.dstPort(), to.dstPort());
            assertNotEquals(0, c, "a UDP checksum never becomes 'none' by an update");
        }
        NetworkOrder.u16(s, field, c);
        NetworkOrder.u64(s, IP + 8, to.srcHi());
        NetworkOrder.u64(s, IP + 16, to.srcLo());
        NetworkOrder.u64(s, IP + 24, to.dstHi());
        NetworkOrder.u64(s, IP + 32, to.dstLo());
        NetworkOrder.u16(s, L4_6, to.srcPort());
        NetworkOrder.u16(s, L4_6 + 2, to.dstPort());
    }

    @Test
    void shouldEqualAFullRecomputeWhenIpv6AddressesAndPortsAreRewritten() {
        Random random = new Random(8200);
        long[] podPrefix = ip6("fd00:10:244::");
        for (int trial = 0; trial < TRIALS; trial++) {
            int protocol = trial % 2 == 0 ? TransportChecksum.TCP : TransportChecksum.UDP;
            Flow6 from = new Flow6(protocol, random.nextLong(), random.nextLong(), random.nextInt(65536),
                    podPrefix[0], random.nextLong(), random.nextInt(65536), random.nextInt(64));
            int which = 1 + random.nextInt(15);
            Flow6 to = new Flow6(protocol,
                    (which & 1) != 0 ? random.nextLong() : from.srcHi(), (which & 1) != 0 ? random.nextLong() : from.srcLo(),
                    (which & 2) != 0 ? random.nextInt(65536) : from.srcPort(),
                    from.dstHi(), (which & 4) != 0 ? random.nextLong() : from.dstLo(),
                    (which & 8) != 0 ? random.nextInt(65536) : from.dstPort(), from.payload());
            byte[] frame = from.build();
            rewrite6(frame, from, to);
            assertEquals(PacketBuilder.hex(to.build()), PacketBuilder.hex(frame), from + " -> " + to);
            MemorySegment s = MemorySegment.ofArray(frame);
            assertTrue(TransportChecksum.verifies6(s, L4_6, frame.length - L4_6, to.srcHi(), to.srcLo(), to.dstHi(), to.dstLo(),
                    protocol), "receiver verifies");
        }
    }

    @Test
    void shouldGiveAllOnesWhenAUdp6RewriteSumsToZero() {
        Random random = new Random(4443);
        int found = 0;
        for (int trial = 0; trial < 200 && found < 3; trial++) {
            Flow6 from = new Flow6(TransportChecksum.UDP, random.nextLong(), random.nextLong(), random.nextInt(65536),
                    random.nextLong(), random.nextLong(), random.nextInt(65536), random.nextInt(64));
            int hint = NetworkOrder.u16(MemorySegment.ofArray(new Flow6(from.protocol(), from.srcHi(), from.srcLo(), 0, from.dstHi(),
                    from.dstLo(), from.dstPort(), from.payload()).build()), L4_6 + 6);
            for (int k = 0; k < 65536; k++) {
                int port = (hint + k) & 0xFFFF;
                Flow6 to = new Flow6(from.protocol(), from.srcHi(), from.srcLo(), port, from.dstHi(), from.dstLo(),
                        from.dstPort(), from.payload());
                byte[] expected = to.build();
                if (NetworkOrder.u16(MemorySegment.ofArray(expected), L4_6 + 6) == 0xFFFF) {
                    byte[] frame = from.build();
                    rewrite6(frame, from, to);
                    assertEquals(PacketBuilder.hex(expected), PacketBuilder.hex(frame));
                    found++;
                    break;
                }
            }
        }
        assertEquals(3, found, "the search found corner cases");
    }
}
