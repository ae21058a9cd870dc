package dev.gingham.packet;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finishing a vnet-header TAP's partial checksum: the result must be byte for byte the frame whose
 * checksum {@link PacketBuilder} computed in full (its reference sum, itself checked against scapy).
 */
class PartialChecksumTest {
    private final BufferPool pool = BufferPool.allocate(4, BufferPool.DEFAULT_BUFFER_SIZE);
    private final FrameVector vector = new FrameVector(pool);
    private final Parser parser = new Parser();

    @AfterEach
    void tearDown() {
        vector.releaseAll();
        pool.close();
    }

    /** Loads the partial form of a frame, parsed and marked as the TAP driver marks it. */
    private int loadPartial(PacketBuilder builder) {
        int i = PacketBuilder.load(vector, 1, builder.checksumPartial().build());
        assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
        PacketBuilder.markOffload(vector, i, 0, 0);
        return i;
    }

    private void assertFinishesTo(PacketBuilder builder) {
        byte[] full = builder.build();
        int i = loadPartial(builder);
        assertNotEquals(PacketBuilder.hex(full), PacketBuilder.hex(PacketBuilder.bytesOf(vector, i)), "input is partial");

        assertTrue(PartialChecksum.complete(vector, i));

        assertArrayEquals(full, PacketBuilder.bytesOf(vector, i));
        assertFalse(vector.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL));
        assertEquals(0, vector.csumStart(i));
    }

    @Test
    void shouldFinishTcpOverIpv4ToWhatAFullComputationGivesWhenPayloadIsOdd() {
        assertFinishesTo(PacketBuilder.tcp4("10.244.1.5", 40000, "10.244.2.7", 80).seq(77).timestamps(5, 6).payload(1001));
    }

    @Test
    void shouldFinishTcpAndUdpOverIpv6WhenPartial() {
        assertFinishesTo(PacketBuilder.tcp6("fd00::5", 40000, "fd00:1::7", 443).payload(1300));
        vector.releaseAll();
        assertFinishesTo(PacketBuilder.udp6("fd00::5", 5353, "fd00:1::7", 53).payload(99));
    }

    @Test
    void shouldLeaveEthernetPaddingOutOfTheSumWhenTheFrameIsPadded() {
        PacketBuilder udp = PacketBuilder.udp4("10.244.1.5", 5353, "10.96.0.10", 53).payload(3);
        byte[] full = udp.ethernetPadTo(60).build();
        int i = PacketBuilder.load(vector, 1, udp.checksumPartial().ethernetPadTo(60).build());
        parser.parse(vector, i);
        PacketBuilder.markOffload(vector, i, 0, 0);
        // padding that is not zero would change the sum if it were counted
        vector.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, vector.end(i) - 1, (byte) 0x5A);
        full[full.length - 1] = 0x5A;

        assertTrue(PartialChecksum.complete(vector, i));

        assertArrayEquals(full, PacketBuilder.bytesOf(vector, i));
    }

    @Test
    void shouldLeaveACompleteChecksumAloneWhenTheFrameIsNotPartial() {
        byte[] full = PacketBuilder.tcp4("10.244.1.5", 40000, "10.244.2.7", 80).payload(10).build();
        int i = PacketBuilder.load(vector, 1, full);
        parser.parse(vector, i);

        assertTrue(PartialChecksum.complete(vector, i));

        assertArrayEquals(full, PacketBuilder.bytesOf(vector, i));
    }

    @Test
    void shouldRefuseAndChangeNothingWhenTheChecksumFieldLiesPastThePacket() {
        int i = loadPartial(PacketBuilder.udp4("10.244.1.5", 5353, "10.96.0.10", 53).payload(10));
        byte[] before = PacketBuilder.bytesOf(vector, i);
        vector.offload(i, 0, 0, vector.length(i) - 4, 6);

        assertFalse(PartialChecksum.complete(vector, i));

        assertArrayEquals(before, PacketBuilder.bytesOf(vector, i));
        assertTrue(vector.hasFlag(i, FrameVector.FLAG_CSUM_PARTIAL));
    }
}
