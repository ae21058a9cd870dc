package dev.gingham.packet;

import static dev.gingham.packet.PacketBuilder.bytesOf;
import static dev.gingham.packet.PacketBuilder.ip4;
import static dev.gingham.packet.PacketBuilder.ip6;
import static dev.gingham.packet.PacketBuilder.load;
import static dev.gingham.packet.PacketBuilder.tcp4;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FrameVectorTest {
    private final BufferPool pool = BufferPool.allocate(FrameVector.MAX_FRAMES + 4, BufferPool.DEFAULT_BUFFER_SIZE);
    private final FrameVector vector = new FrameVector(pool);

    @AfterEach
    void close() {
        pool.close();
    }

    @Test
    void shouldReportHeadroomAndTailroomWhenAFrameIsAdded() {
        byte[] frame = tcp4("10.0.0.1", 1, "10.0.0.2", 2).payload(100).build();
        int i = load(vector, 0, frame);
        assertEquals(BufferPool.DATA_OFFSET, vector.headroom(i));
        assertEquals(2048 - BufferPool.DATA_OFFSET - frame.length, vector.tailroom(i));
        assertEquals(vector.start(i) + frame.length, vector.end(i));
        assertEquals(pool.dataStart(vector.buffer(i)), vector.start(i));
    }

    @Test
    void shouldMoveTheStartWhenPrependingWithinTheHeadroom() {
        byte[] frame = tcp4("10.0.0.1", 1, "10.0.0.2", 2).build();
        int i = load(vector, 0, frame);
        long start = vector.start(i);
        assertTrue(vector.prepend(i, 50)); // a VXLAN header
        assertEquals(start - 50, vector.start(i));
        assertEquals(frame.length + 50, vector.length(i));
        assertEquals(BufferPool.DATA_OFFSET - 50, vector.headroom(i));
        assertArrayEquals(frame, Arrays.copyOfRange(bytesOf(vector, i), 50, 50 + frame.length), "the frame did not move");

        assertFalse(vector.prepend(i, vector.headroom(i) + 1));
        assertFalse(vector.prepend(i, -1));
        assertEquals(start - 50, vector.start(i), "a refused prepend changes nothing");
        assertEquals(frame.length + 50, vector.length(i));
        assertTrue(vector.prepend(i, vector.headroom(i)), "the whole headroom");
        assertEquals(0, vector.headroom(i));
        assertEquals(pool.base(vector.buffer(i)), vector.start(i));
        assertFalse(vector.prepend(i, 1));
        assertTrue(vector.prepend(i, 0));
    }

    @Test
    void shouldRefuseTrimmingWhenTheFrameIsShorter() {
        byte[] frame = tcp4("10.0.0.1", 1, "10.0.0.2", 2).build();
        int i = load(vector, 0, frame);
        assertTrue(vector.trimFront(i, 14));
        assertEquals(frame.length - 14, vector.length(i));
        assertEquals(BufferPool.DATA_OFFSET + 14, vector.headroom(i));
        assertArrayEquals(Arrays.copyOfRange(frame, 14, frame.length), bytesOf(vector, i));
        assertFalse(vector.trimFront(i, vector.length(i) + 1));
        assertFalse(vector.trimFront(i, -1));
        assertEquals(frame.length - 14, vector.length(i));
        assertTrue(vector.trimFront(i, vector.length(i)));
        assertEquals(0, vector.length(i));
        int tail = vector.tailroom(i);
        assertEquals(2048 - BufferPool.DATA_OFFSET - frame.length, tail, "trimming the front leaves the tail");
    }

    @Test
    void shouldResetMetadataWhenAFrameIsAddedAgain() {
        int i = load(vector, 7, tcp4("10.0.0.1", 1, "10.0.0.2", 2).build());
        vector.verdict(i, Verdict.tx(3));
        vector.flags(i, -1);
        vector.etherType(i, 0x0800);
        vector.vlanTci(i, 5);
        vector.l3Offset(i, 100);
        vector.l3Length(i, 60);
        vector.l4Offset(i, 120);
        vector.payloadOffset(i, 140);
        vector.protocol(i, 6);
        vector.src6(i, 1, 2);
        vector.dst6(i, 3, 4);
        vector.srcPort(i, 5);
        vector.dstPort(i, 6);
        vector.tcpFlags(i, 0x12);
        vector.icmpTypeCode(i, 0x0800);
        vector.fragmentId(i, 9);
        vector.mark(i, 10);
        vector.srcIdentity(i, 11);
        vector.dstIdentity(i, 12);
        vector.offload(i, 1, 1448, 34, 16);
        int buffer = vector.buffer(i);
        vector.clear();
        assertEquals(0, vector.count());
        assertTrue(pool.inUse(buffer), "clear() does not release");

        int j = vector.add(buffer, 8, 64);
        assertEquals(0, j);
        assertEquals(8, vector.ingressPort(j));
        assertEquals(64, vector.length(j));
        assertEquals(Verdict.CONTINUE, vector.verdict(j));
        assertEquals(0, vector.flags(j));
        assertEquals(0, vector.etherType(j));
        assertEquals(0, vector.vlanTci(j));
        assertEquals(FrameVector.NO_OFFSET, vector.l3Offset(j));
        assertEquals(0, vector.l3Length(j));
        assertEquals(FrameVector.NO_OFFSET, vector.l4Offset(j));
        assertEquals(FrameVector.NO_OFFSET, vector.payloadOffset(j));
        assertEquals(0, vector.protocol(j));
        assertEquals(0, vector.srcHi(j) | vector.srcLo(j) | vector.dstHi(j) | vector.dstLo(j));
        assertEquals(0, vector.srcPort(j) | vector.dstPort(j) | vector.tcpFlags(j) | vector.icmpTypeCode(j));
        assertEquals(0, vector.fragmentId(j) | vector.mark(j) | vector.srcIdentity(j) | vector.dstIdentity(j));
        assertEquals(0, vector.gsoType(j) | vector.gsoSize(j) | vector.csumStart(j) | vector.csumOffset(j));
        assertEquals(pool.dataStart(buffer), vector.start(j), "a prepend before does not survive add()");
    }

    @Test
    void shouldReturnMinusOneWhenTheVectorIsFull() {
        byte[] frame = tcp4("10.0.0.1", 1, "10.0.0.2", 2).build();
        for (int k = 0; k < FrameVector.MAX_FRAMES; k++) {
            assertEquals(k, load(vector, 0, frame));
        }
        assertTrue(vector.isFull());
        int buffer = pool.acquire();
        assertEquals(-1, vector.add(buffer, 0, 60));
        pool.release(buffer);
        assertEquals(4, pool.available());
        vector.releaseAll();
        assertEquals(0, vector.count());
        assertEquals(FrameVector.MAX_FRAMES + 4, pool.available());
    }

    @Test
    void shouldKeepIpv4AddressesIpv4MappedWhenSetAsIpv4() {
        int i = load(vector, 0, tcp4("10.0.0.1", 1, "10.0.0.2", 2).build());
        vector.src4(i, ip4("10.0.0.1"));
        vector.dst4(i, ip4("255.255.255.254"));
        long[] mappedSrc = ip6("::ffff:10.0.0.1");
        long[] mappedDst = ip6("::ffff:255.255.255.254");
        assertEquals(mappedSrc[0], vector.srcHi(i));
        assertEquals(mappedSrc[1], vector.srcLo(i));
        assertEquals(mappedDst[0], vector.dstHi(i));
        assertEquals(mappedDst[1], vector.dstLo(i), "no sign extension of a high address");
        assertEquals(0x0A000001, vector.srcIp4(i));
        assertEquals(ip4("255.255.255.254"), vector.dstIp4(i));
        long[] v6 = ip6("fd00::1");
        vector.src6(i, v6[0], v6[1]);
        assertEquals(v6[0], vector.srcHi(i));
        assertEquals(v6[1], vector.srcLo(i));
    }

    @Test
    void shouldRecordADropAsTheNegatedCodeWhenDropped() {
        int i = load(vector, 0, tcp4("10.0.0.1", 1, "10.0.0.2", 2).build());
        vector.drop(i, DropReason.POLICY);
        assertEquals(-133, vector.verdict(i));
        assertTrue(Verdict.isDrop(vector.verdict(i)));
    }

    @Test
    void shouldComputeTheL4LengthFromTheIpLengthWhenPadded() {
        int i = load(vector, 0, tcp4("10.0.0.1", 1, "10.0.0.2", 2).ethernetPadTo(64).build());
        long l3 = vector.start(i) + 14;
        vector.l3Offset(i, l3);
        vector.l3Length(i, 40);
        vector.l4Offset(i, l3 + 20);
        assertEquals(20, vector.l4Length(i), "Ethernet padding excluded");
    }
}
