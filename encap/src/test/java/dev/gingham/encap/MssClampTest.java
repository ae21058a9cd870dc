package dev.gingham.encap;

import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.checksum.TransportChecksum;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static dev.gingham.encap.Overlay.A_POD;
import static dev.gingham.encap.Overlay.A_POD6;
import static dev.gingham.encap.Overlay.B_POD;
import static dev.gingham.encap.Overlay.B_POD6;
import static dev.gingham.encap.Overlay.nodeA;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MSS clamping on SYN and SYN-ACK, with the option in several positions and checksums verified in full. */
class MssClampTest {
    private static final int SYN = PacketBuilder.SYN;
    private static final int SYN_ACK = PacketBuilder.SYN | PacketBuilder.ACK;

    private static byte[] mssOption(int mss) {
        return new byte[] {2, 4, (byte) (mss >>> 8), (byte) mss};
    }

    private static byte[] concat(byte[]... parts) {
        byte[] out = new byte[0];
        for (byte[] part : parts) {
            int at = out.length;
            out = Arrays.copyOf(out, at + part.length);
            System.arraycopy(part, 0, out, at, part.length);
        }
        return out;
    }

    private static final byte[] NOP = {1};
    private static final byte[] TIMESTAMPS = {8, 10, 0, 0, 0, 1, 0, 0, 0, 0};

    /** Clamps {@code before} with node A's VXLAN clamp and asserts the result equals {@code after}, whose checksum verifies. */
    private static void assertClamped(byte[] before, byte[] after, boolean changed) {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            int i = o.load(Overlay.A_POD_PORT, before);
            MssClamp clamp = MssClamp.of(o.config);
            assertEquals(changed, clamp.clamp(o.vector, i));
            byte[] out = o.out(i);
            assertArrayEquals(after, out);
            boolean v4 = o.vector.hasFlag(i, FrameVector.FLAG_IPV4);
            long l4 = o.vector.l4Offset(i);
            int l4Length = o.vector.l4Length(i);
            assertTrue(v4
                    ? TransportChecksum.verifies4(o.vector.segment(), l4, l4Length, o.vector.srcIp4(i), o.vector.dstIp4(i), 6)
                    : TransportChecksum.verifies6(o.vector.segment(), l4, l4Length, o.vector.srcHi(i), o.vector.srcLo(i),
                    o.vector.dstHi(i), o.vector.dstLo(i), 6), "TCP checksum verifies after clamping");
        }
    }

    private static PacketBuilder syn4(int flags, byte[] options) {
        return PacketBuilder.tcp4(A_POD, 40000, B_POD, 80).flags(flags).tcpOptions(options);
    }

    @Test
    void shouldClampToPodMtuMinus40WhenSynCarriesLargerMss() {
        assertClamped(syn4(SYN, mssOption(1460)).build(), syn4(SYN, mssOption(1410)).build(), true);
    }

    @Test
    void shouldClampWhenSynAckCarriesLargerMss() {
        assertClamped(syn4(SYN_ACK, mssOption(8960)).build(), syn4(SYN_ACK, mssOption(1410)).build(), true);
    }

    @Test
    void shouldUpdateChecksumWhenMssValueSitsAtOddOffset() {
        byte[] before = concat(NOP, mssOption(1460), NOP, NOP, NOP);
        byte[] after = concat(NOP, mssOption(1410), NOP, NOP, NOP);
        assertClamped(syn4(SYN, before).build(), syn4(SYN, after).build(), true);
        // 0x05B4 -> 0x0582 changes only the low byte: the swapped update must still be exact
        byte[] oddHigh = concat(NOP, mssOption(0xFFFF), NOP, NOP, NOP);
        assertClamped(syn4(SYN, oddHigh).build(), syn4(SYN, after).build(), true);
    }

    @Test
    void shouldFindMssWhenItComesAfterOtherOptions() {
        byte[] before = concat(NOP, NOP, TIMESTAMPS, mssOption(1460), new byte[] {3, 3, 7, 0});
        byte[] after = concat(NOP, NOP, TIMESTAMPS, mssOption(1410), new byte[] {3, 3, 7, 0});
        assertClamped(syn4(SYN, before).build(), syn4(SYN, after).build(), true);
    }

    @Test
    void shouldClampToPodMtuMinus60WhenIpv6() {
        PacketBuilder before = PacketBuilder.tcp6(A_POD6, 40000, B_POD6, 443).flags(SYN).tcpOptions(mssOption(1440));
        PacketBuilder after = PacketBuilder.tcp6(A_POD6, 40000, B_POD6, 443).flags(SYN).tcpOptions(mssOption(1390));
        assertClamped(before.build(), after.build(), true);
    }

    @Test
    void shouldLeaveSegmentAloneWhenMssIsLowerOrAbsentOrNotSyn() {
        byte[] lower = syn4(SYN, mssOption(1300)).build();
        assertClamped(lower, lower, false);
        byte[] exact = syn4(SYN, mssOption(1410)).build();
        assertClamped(exact, exact, false);
        byte[] none = syn4(SYN, concat(NOP, NOP, TIMESTAMPS)).build();
        assertClamped(none, none, false);
        byte[] ack = syn4(PacketBuilder.ACK, mssOption(1460)).build();
        assertClamped(ack, ack, false);
        byte[] malformed = syn4(SYN, new byte[] {2, 4, 5}).build(); // MSS cut short by the header end
        assertClamped(malformed, malformed, false);
    }

    @Test
    void shouldNotTouchChecksumWhenItIsStillPartial() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            byte[] before = syn4(SYN, mssOption(1460)).build();
            int i = o.load(Overlay.A_POD_PORT, before);
            o.vector.addFlags(i, FrameVector.FLAG_CSUM_PARTIAL);
            assertTrue(MssClamp.of(o.config).clamp(o.vector, i));
            byte[] out = o.out(i);
            int tcp = 14 + 20;
            assertEquals(before[tcp + 16], out[tcp + 16]);
            assertEquals(before[tcp + 17], out[tcp + 17]);
            assertEquals(0x0582, (out[tcp + 22] & 0xFF) << 8 | (out[tcp + 23] & 0xFF));
        }
    }

    @Test
    void shouldClampInsideTunnelWhenEncapsulatingAndNotWhenTurnedOff() {
        byte[] syn = syn4(SYN, mssOption(1460)).build();
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            assertEquals(Verdict.tx(Overlay.A_UNDERLAY_PORT), o.encap(syn, 0));
            assertArrayEquals(TunnelEncapTest.carried(syn4(SYN, mssOption(1410)).build()),
                    Arrays.copyOfRange(o.out(0), 50, 50 + syn.length));
        }
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).clampMss(false).build())) {
            o.encap(syn, 0);
            assertArrayEquals(TunnelEncapTest.carried(syn), Arrays.copyOfRange(o.out(0), 50, 50 + syn.length));
        }
        assertFalse(nodeA(TunnelMode.NATIVE).build().clampMss(), "native routing needs no clamp by default");
        assertTrue(nodeA(TunnelMode.IPIP).build().clampMss());
    }

    @Test
    void shouldClampEveryContinuingFrameWhenRunAsProgram() {
        try (Overlay o = new Overlay(nodeA(TunnelMode.VXLAN).build())) {
            o.vector.releaseAll();
            PacketBuilder.load(o.vector, 1, syn4(SYN, mssOption(1460)).build());
            PacketBuilder.load(o.vector, 1, syn4(SYN_ACK, mssOption(1460)).build());
            PacketBuilder.load(o.vector, 1, syn4(SYN, mssOption(1460)).build());
            o.parser.parseAll(o.vector);
            o.vector.verdict(2, Verdict.tx(9));
            MssClamp clamp = MssClamp.of(o.config);
            assertEquals(2, clamp.process(o.vector));
            assertEquals(2, clamp.clampedCount());
            assertArrayEquals(syn4(SYN, mssOption(1460)).build(), o.out(2));
        }
    }
}
