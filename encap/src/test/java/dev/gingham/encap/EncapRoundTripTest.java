package dev.gingham.encap;

import dev.gingham.packet.Cidr;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.List;

import static dev.gingham.encap.Overlay.A_POD;
import static dev.gingham.encap.Overlay.A_POD_MAC;
import static dev.gingham.encap.Overlay.A_ROUTER_MAC;
import static dev.gingham.encap.Overlay.B_POD;
import static dev.gingham.encap.Overlay.B_POD_MAC;
import static dev.gingham.encap.Overlay.B_UNDERLAY;
import static dev.gingham.encap.Overlay.B_UNDERLAY_MAC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Node A's encapsulation feeding node B's decapsulation and delivery, per mode: the pod on B gets
 * exactly what the pod on A sent, MACs aside; and the per-packet path allocates nothing.
 */
class EncapRoundTripTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Node B's view: itself local, A a peer; its pod B7 a local endpoint. */
    private static Overlay nodeB(TunnelMode mode) {
        TunnelConfig config = TunnelConfig.builder(mode, Overlay.ip(B_UNDERLAY), Overlay.mac(B_UNDERLAY_MAC), 0,
                Overlay.ip("10.244.2.1"), Overlay.mac(Overlay.B_ROUTER_MAC)).build();
        Overlay b = new Overlay(config);
        assertEquals(0, b.routes.upsertNode(1, Overlay.ip(Overlay.A_UNDERLAY), Overlay.mac(Overlay.A_UNDERLAY_MAC),
                Overlay.mac(Overlay.A_ROUTER_MAC), List.of(Cidr.parse("10.244.1.0/24"))));
        assertEquals(0, b.endpoints.upsert(0, dev.gingham.packet.MappedAddress.lo4(Overlay.ip(B_POD)), 7,
                Overlay.mac(B_POD_MAC), 2007));
        return b;
    }

    @ParameterizedTest
    @EnumSource(TunnelMode.class)
    void shouldDeliverWhatPodSentWhenFrameCrossesTheOverlay(TunnelMode mode) {
        PacketBuilder sent = PacketBuilder.tcp4(A_POD, 40000, B_POD, 80).srcMac(A_POD_MAC).dstMac(A_ROUTER_MAC).payload(333);
        try (Overlay a = new Overlay(Overlay.nodeA(mode).build()); Overlay b = nodeB(mode)) {
            assertEquals(Verdict.tx(Overlay.A_UNDERLAY_PORT), a.encap(sent.build(), 0));
            byte[] wire = a.out(0);
            assertEquals(sent.build().length + mode.overheadBytes(), wire.length);
            assertEquals(Verdict.CONTINUE, b.decap(wire));
            b.delivery.process(b.vector);
            assertEquals(Verdict.tx(7), b.vector.verdict(0));
            assertArrayEquals(sent.srcMac(Overlay.B_ROUTER_MAC).dstMac(B_POD_MAC).build(), b.out(0));
        }
    }

    @ParameterizedTest
    @EnumSource(TunnelMode.class)
    void shouldAllocateNothingWhenEncapsulatingAndDecapsulating(TunnelMode mode) {
        byte[] frame = PacketBuilder.tcp4(A_POD, 40000, B_POD, 80).flags(PacketBuilder.SYN).mss(1460).payload(100).build();
        try (Overlay a = new Overlay(Overlay.nodeA(mode).build()); Overlay b = nodeB(mode)) {
            a.encap(frame, 0);
            byte[] wire = a.out(0);
            a.vector.releaseAll();
            int ia = PacketBuilder.load(a.vector, 5, frame);
            int ib = PacketBuilder.load(b.vector, 0, wire);
            long frameStartA = a.vector.start(ia);
            long frameStartB = b.vector.start(ib);
            // Each round restores both frames' bytes (IPIP rewrites bytes in front of the inner
            // packet, decapsulation in front of the inner frame) and their starts.
            Runnable loop = () -> {
                for (int k = 0; k < 20_000; k++) {
                    reload(a, ia, frameStartA, frame);
                    a.encap.process(a.vector, k);
                    reload(b, ib, frameStartB, wire);
                    b.decap.process(b.vector, k);
                    b.delivery.process(b.vector);
                }
            };
            for (int warm = 0; warm < 20; warm++) {
                loop.run();
            }
            long thread = Thread.currentThread().threadId();
            long before = THREADS.getThreadAllocatedBytes(thread);
            loop.run();
            long allocated = THREADS.getThreadAllocatedBytes(thread) - before;
            assertTrue(allocated < 1024, mode + ": hot path allocated " + allocated + " bytes over 20,000 round trips");
            assertEquals(Verdict.tx(Overlay.A_UNDERLAY_PORT), a.vector.verdict(ia), "the loop encapsulated");
            assertEquals(Verdict.tx(7), b.vector.verdict(ib), "the loop decapsulated and delivered");
            assertTrue(b.decap.decapsulatedCount() > 20_000 || mode == TunnelMode.NATIVE);
        }
    }

    /**
     * Puts frame i back as it was loaded at {@code start} (encapsulation moved its start back,
     * decapsulation forward; both rewrote bytes) and parses it again.
     */
    private static void reload(Overlay o, int i, long start, byte[] bytes) {
        FrameVector v = o.vector;
        long delta = v.start(i) - start;
        assertTrue(delta > 0 ? v.prepend(i, (int) delta) : v.trimFront(i, (int) -delta));
        v.length(i, bytes.length);
        MemorySegment.copy(bytes, 0, v.segment(), ValueLayout.JAVA_BYTE, start, bytes.length);
        v.resetMetadata(i);
        o.parser.parse(v, i);
    }
}
