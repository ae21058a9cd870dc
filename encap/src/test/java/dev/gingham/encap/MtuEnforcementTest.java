package dev.gingham.encap;

import dev.gingham.packet.DropReason;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

import static dev.gingham.encap.Overlay.A_POD;
import static dev.gingham.encap.Overlay.A_POD6;
import static dev.gingham.encap.Overlay.A_POD_MAC;
import static dev.gingham.encap.Overlay.A_POD_PORT;
import static dev.gingham.encap.Overlay.A_ROUTER;
import static dev.gingham.encap.Overlay.A_ROUTER6;
import static dev.gingham.encap.Overlay.A_ROUTER_MAC;
import static dev.gingham.encap.Overlay.A_UNDERLAY;
import static dev.gingham.encap.Overlay.A_UNDERLAY_MAC;
import static dev.gingham.encap.Overlay.A_UNDERLAY_PORT;
import static dev.gingham.encap.Overlay.B_POD;
import static dev.gingham.encap.Overlay.B_POD6;
import static dev.gingham.encap.Overlay.B_UNDERLAY;
import static dev.gingham.encap.Overlay.B_UNDERLAY_MAC;
import static dev.gingham.encap.Overlay.nodeA;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pod MTU at the tunnel: ICMP fragmentation needed / packet too big (golden bytes, rate
 * limit), and RFC 791 fragmentation (fragments checked field by field and reassembled).
 */
class MtuEnforcementTest {
    private static final long SECOND = 1_000_000_000L;
    private static final int TX_BACK_TO_POD = Verdict.tx(A_POD_PORT);

    /** An IPv4 TCP frame from pod A to pod B whose IP packet is {@code ipBytes} long. */
    private static PacketBuilder tcpOfIpLength(int ipBytes) {
        return PacketBuilder.tcp4(A_POD, 40000, B_POD, 80).srcMac(A_POD_MAC).dstMac(A_ROUTER_MAC).payload(ipBytes - 40);
    }

    /** What IcmpErrorWriter answers: from the gateway, MACs swapped, TOS 0xC0, id 0, TTL 64. */
    private static byte[] expectedFragNeeded(byte[] original, int mtu) {
        return PacketBuilder.icmp4FragNeeded(A_ROUTER, A_POD, mtu, PacketBuilder.ipPacketOf(original))
                .srcMac(A_ROUTER_MAC).dstMac(A_POD_MAC).tos(0xC0).ipId(0).build();
    }

    @Test
    void shouldAnswerFragNeededWithPodMtuWhenDfPacketExceedsIt() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            assertEquals(1450, o.config.podMtuBytes());
            byte[] fits = tcpOfIpLength(1450).dontFragment().build();
            assertEquals(Verdict.tx(A_UNDERLAY_PORT), o.encap(fits, 0));

            byte[] tooBig = tcpOfIpLength(1451).dontFragment().build();
            assertEquals(TX_BACK_TO_POD, o.encap(tooBig, 0));
            byte[] error = o.out(0);
            assertArrayEquals(expectedFragNeeded(tooBig, 1450), error);
            // Checksums by full recompute: IP header and ICMP message each sum to zero.
            assertEquals(0, PacketBuilder.referenceChecksum(error, 14, 20));
            assertEquals(0, PacketBuilder.referenceChecksum(error, 34, error.length - 34));
            assertEquals(3, error[34]);
            assertEquals(4, error[35]);
            assertEquals(1450, (error[40] & 0xFF) << 8 | (error[41] & 0xFF));
            assertEquals(1, o.encap.fragNeededCount());
            assertEquals(1, o.encap.icmpErrorsSentCount());
        }
    }

    @Test
    void shouldUsePodMtuOfModeWhenIpipOrNative() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.IPIP).build())) {
            byte[] tooBig = tcpOfIpLength(1481).dontFragment().build();
            assertEquals(TX_BACK_TO_POD, o.encap(tooBig, 0));
            assertArrayEquals(expectedFragNeeded(tooBig, 1480), o.out(0));
        }
        try (Overlay o = new Overlay(nodeA(TunnelMode.NATIVE).underlayMtuBytes(9000).build())) {
            assertEquals(Verdict.tx(A_UNDERLAY_PORT), o.encap(tcpOfIpLength(9000).dontFragment().build(), 0));
            byte[] tooBig = tcpOfIpLength(9001).dontFragment().build();
            assertEquals(TX_BACK_TO_POD, o.encap(tooBig, 0));
            assertArrayEquals(expectedFragNeeded(tooBig, 9000), o.out(0));
        }
    }

    @Test
    void shouldAnswerPacketTooBigWhenIpv6PacketExceedsPodMtu() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.GENEVE).build())) {
            PacketBuilder big = PacketBuilder.udp6(A_POD6, 5000, B_POD6, 6000).srcMac(A_POD_MAC).dstMac(A_ROUTER_MAC)
                    .payload(1451 - 48);
            byte[] original = big.build();
            assertEquals(TX_BACK_TO_POD, o.encap(original, 0));
            byte[] error = o.out(0);
            byte[] expected = PacketBuilder.icmp6PacketTooBig(A_ROUTER6, A_POD6, 1450, PacketBuilder.ipPacketOf(original))
                    .srcMac(A_ROUTER_MAC).dstMac(A_POD_MAC).build();
            assertArrayEquals(expected, error);
            assertEquals(1280, error.length - 14, "quote cut so the error fits the IPv6 minimum MTU");
        }
    }

    @Test
    void shouldDropFragNeededWhenNodeHasNoIpv6Gateway() {
        TunnelConfig config = TunnelConfig.builder(TunnelMode.VXLAN, Overlay.ip(A_UNDERLAY), Overlay.mac(A_UNDERLAY_MAC),
                A_UNDERLAY_PORT, Overlay.ip(A_ROUTER), Overlay.mac(A_ROUTER_MAC)).build();
        try (Overlay o = new Overlay(config)) {
            byte[] big = PacketBuilder.udp6(A_POD6, 5000, B_POD6, 6000).payload(1500).build();
            assertEquals(DropReason.FRAG_NEEDED.verdict(), o.encap(big, 0));
            assertEquals(1, o.encap.fragNeededCount());
        }
    }

    @Test
    void shouldRateLimitErrorsOnVirtualClockWhenManyPacketsAreTooBig() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).icmpErrors(2, 2).build())) {
            byte[] tooBig = tcpOfIpLength(1500).dontFragment().build();
            assertEquals(TX_BACK_TO_POD, o.encap(tooBig, 0));
            assertEquals(TX_BACK_TO_POD, o.encap(tooBig, 1));
            assertEquals(DropReason.FRAG_NEEDED.verdict(), o.encap(tooBig, 2));
            assertEquals(DropReason.FRAG_NEEDED.verdict(), o.encap(tooBig, SECOND / 2 - 1));
            assertEquals(TX_BACK_TO_POD, o.encap(tooBig, SECOND / 2 + 2)); // one token per 500 ms
            assertEquals(DropReason.FRAG_NEEDED.verdict(), o.encap(tooBig, SECOND / 2 + 3));
            assertEquals(TX_BACK_TO_POD, o.encap(tooBig, 10 * SECOND));
            assertEquals(TX_BACK_TO_POD, o.encap(tooBig, 10 * SECOND));
            assertEquals(DropReason.FRAG_NEEDED.verdict(), o.encap(tooBig, 10 * SECOND)); // the burst is 2, however long idle
            assertEquals(9, o.encap.fragNeededCount());
            assertEquals(5, o.encap.icmpErrorsSentCount());
        }
    }

    // ---- fragmentation -------------------------------------------------------------------------

    /** One inner IPv4 fragment, as read back from an encapsulated frame. */
    private record Fragment(byte[] ip) {
        int headerBytes() {
            return (ip[0] & 0x0F) * 4;
        }

        int totalLength() {
            return u16(ip, 2);
        }

        int flags() {
            return u16(ip, 6);
        }

        boolean more() {
            return (flags() & 0x2000) != 0;
        }

        int offsetBytes() {
            return (flags() & 0x1FFF) * 8;
        }

        byte[] data() {
            return Arrays.copyOfRange(ip, headerBytes(), totalLength());
        }
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | (b[at + 1] & 0xFF);
    }

    /**
     * Runs the encapsulation on {@code original} and returns the fragments, checking on the way
     * that every frame went to the underlay in VXLAN, with one outer source port, fits the pod
     * MTU and carries a valid header checksum.
     */
    private static Fragment[] fragmentsOf(Overlay o, byte[] original, int expectedCount) {
        assertEquals(Verdict.tx(A_UNDERLAY_PORT), o.encap(original, 0));
        assertEquals(expectedCount, o.vector.count());
        Fragment[] fragments = new Fragment[expectedCount];
        byte[] first = o.out(0);
        int sourcePort = u16(first, 34);
        for (int k = 0; k < expectedCount; k++) {
            assertEquals(Verdict.tx(A_UNDERLAY_PORT), o.vector.verdict(k));
            byte[] frame = o.out(k);
            byte[] innerFrame = Arrays.copyOfRange(frame, 50, frame.length);
            byte[] expectedOuter = PacketBuilder.vxlan(A_UNDERLAY, B_UNDERLAY, 1, innerFrame).srcMac(A_UNDERLAY_MAC)
                    .dstMac(B_UNDERLAY_MAC).udpSrcPort(sourcePort).ipId(k).tos(innerFrame[15] & 0xFF).build();
            assertArrayEquals(expectedOuter, frame, "outer headers of fragment " + k);
            assertArrayEquals(Arrays.copyOf(TunnelEncapTest.carried(original), 14), Arrays.copyOf(innerFrame, 14),
                    "inner Ethernet header");
            Fragment f = new Fragment(Arrays.copyOfRange(innerFrame, 14, innerFrame.length));
            assertTrue(f.totalLength() <= o.config.podMtuBytes(), "fragment " + k + " fits the pod MTU");
            assertEquals(f.ip.length, f.totalLength());
            assertEquals(0, PacketBuilder.referenceChecksum(f.ip, 0, f.headerBytes()), "header checksum of fragment " + k);
            fragments[k] = f;
        }
        return fragments;
    }

    /** Reassembles per RFC 791 and compares with the original IP packet's fixed header fields and data. */
    private static void assertReassembles(byte[] originalFrame, Fragment[] fragments, boolean lastMore, int baseOffset) {
        byte[] ip = PacketBuilder.ipPacketOf(originalFrame);
        int headerBytes = (ip[0] & 0x0F) * 4;
        byte[] data = Arrays.copyOfRange(ip, headerBytes, u16(ip, 2));
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        Fragment[] byOffset = fragments.clone();
        Arrays.sort(byOffset, (a, b) -> Integer.compare(a.offsetBytes(), b.offsetBytes()));
        int expectedOffset = baseOffset;
        for (int k = 0; k < byOffset.length; k++) {
            Fragment f = byOffset[k];
            assertEquals(expectedOffset, f.offsetBytes(), "fragments are contiguous");
            boolean last = k == byOffset.length - 1;
            assertEquals(last ? lastMore : true, f.more(), "MF of fragment at " + f.offsetBytes());
            assertEquals(0, f.flags() & 0x4000, "DF stays clear");
            if (!last) {
                assertEquals(0, f.data().length % 8, "non-last fragment data is a multiple of 8");
            }
            for (int field : new int[] {1, 4, 5, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19}) {
                assertEquals(ip[field], f.ip[field], "header byte " + field + " copied");
            }
            joined.writeBytes(f.data());
            expectedOffset += f.data().length;
        }
        assertArrayEquals(data, joined.toByteArray());
    }

    @Test
    void shouldFragmentInnerPacketWhenDfIsClearAndFragmentsReassemble() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            byte[] original = PacketBuilder.udp4(A_POD, 5000, B_POD, 6000).srcMac(A_POD_MAC).dstMac(A_ROUTER_MAC)
                    .ipId(0x4242).tos(0x10).payload(3000).build();
            // 3008 data bytes: 1424 + 1424 + 160 (1450 - 20 rounded down to 8)
            Fragment[] f = fragmentsOf(o, original, 3);
            assertEquals(1444, f[0].totalLength());
            assertEquals(1444, f[1].totalLength());
            assertEquals(180, f[2].totalLength());
            assertReassembles(original, f, false, 0);
            assertEquals(3, o.encap.fragmentsCreatedCount());
            assertEquals(3, o.encap.encapsulatedCount());
        }
    }

    @Test
    void shouldCopyOnlyCopiedOptionsIntoLaterFragmentsWhenHeaderHasOptions() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            // Router Alert (0x94: copied flag set), Record Route (0x07: not copied), end of options.
            byte[] options = {(byte) 0x94, 4, 0, 0, 7, 7, 4, 0, 0, 0, 0, 0};
            byte[] original = PacketBuilder.udp4(A_POD, 5000, B_POD, 6000).ipOptions(options).payload(2000).build();
            // first: header 32, data (1450 - 32) & ~7 = 1416; later: header 24 (20 + Router Alert), data 1424
            Fragment[] f = fragmentsOf(o, original, 2);
            assertEquals(32, f[0].headerBytes());
            assertArrayEquals(options, Arrays.copyOfRange(f[0].ip, 20, 32));
            assertEquals(1416, f[0].data().length);
            assertEquals(24, f[1].headerBytes());
            assertArrayEquals(new byte[] {(byte) 0x94, 4, 0, 0}, Arrays.copyOfRange(f[1].ip, 20, 24));
            assertReassembles(original, f, false, 0);
        }
    }

    @Test
    void shouldKeepOffsetAndMoreFlagWhenFragmentIsFragmentedAgain() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            byte[] original = PacketBuilder.udp4(A_POD, 5000, B_POD, 6000).moreFragments().fragmentOffset(800)
                    .payload(2392).build();
            Fragment[] f = fragmentsOf(o, original, 2);
            assertReassembles(original, f, true, 800);
        }
    }

    @Test
    void shouldDropWhenFragmentationIsOffOrBuffersRunOut() {
        byte[] original = PacketBuilder.udp4(A_POD, 5000, B_POD, 6000).payload(3000).build();
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).fragmentInner(false).build())) {
            assertEquals(DropReason.FRAG_NOT_SUPPORTED.verdict(), o.encap(original, 0));
        }
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build(), 2)) {
            assertEquals(DropReason.BUFFER_POOL_EXHAUSTED.verdict(), o.encap(original, 0));
            assertEquals(1, o.vector.count());
            assertArrayEquals(original, o.out(0), "nothing changed");
            assertEquals(1, o.pool.available());
        }
    }
}
