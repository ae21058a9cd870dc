package dev.gingham.packet.checksum;

import static dev.gingham.packet.PacketBuilder.icmp4Echo;
import static dev.gingham.packet.PacketBuilder.referenceChecksum;
import static dev.gingham.packet.PacketBuilder.referenceFold;
import static dev.gingham.packet.PacketBuilder.referenceSum;
import static dev.gingham.packet.PacketBuilder.tcp4;
import static dev.gingham.packet.PacketBuilder.udp4;
import static dev.gingham.packet.PacketBuilder.unhex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** InternetChecksum against PacketBuilder's byte-by-byte reference sum (the oracle). */
class InternetChecksumTest {
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    /** Returns: off-heap memory holding {@code bytes} at {@code offset}, surrounded by 0x5A garbage. */
    private MemorySegment place(byte[] bytes, int offset) {
        MemorySegment segment = arena.allocate(offset + bytes.length + 16, 16);
        segment.fill((byte) 0x5A);
        MemorySegment.copy(bytes, 0, segment, ValueLayout.JAVA_BYTE, offset, bytes.length);
        return segment;
    }

    @Test
    void shouldSumTheRfc1071ExampleWhenGivenItsBytes() {
        // RFC 1071 §3, "Numerical examples": 00 01 f2 03 f4 f5 f6 f7 -> sum ddf2, checksum 220d.
        byte[] example = unhex("0001 f203 f4f5 f6f7");
        for (int offset = 0; offset < 8; offset++) {
            MemorySegment segment = place(example, offset);
            assertEquals(0xddf2, InternetChecksum.fold(InternetChecksum.add(segment, offset, 8, 0)), "offset " + offset);
            assertEquals(0x220d, InternetChecksum.compute(segment, offset, 8), "offset " + offset);
        }
    }

    @Test
    void shouldEqualTheReferenceWhenLengthsAndOffsetsAreOddOrEven() {
        Random random = new Random(1071);
        for (int length = 0; length <= 64; length++) {
            for (int offset = 0; offset < 8; offset++) {
                for (int trial = 0; trial < 8; trial++) {
                    byte[] bytes = new byte[length];
                    random.nextBytes(bytes);
                    if (trial == 0) {
                        Arrays.fill(bytes, (byte) 0xFF); // the most carries
                    }
                    MemorySegment segment = place(bytes, offset);
                    long reference = referenceSum(bytes, 0, length);
                    String where = "length " + length + " offset " + offset + " trial " + trial;
                    assertEquals(referenceFold(reference), InternetChecksum.fold(InternetChecksum.add(segment, offset, length, 0)), where);
                    assertEquals(referenceChecksum(reference), InternetChecksum.compute(segment, offset, length), where);
                    long start = random.nextInt(1 << 20);
                    assertEquals(referenceFold(start + reference),
                            InternetChecksum.fold(InternetChecksum.add(segment, offset, length, start)), "accumulated " + where);
                }
            }
        }
    }

    @Test
    void shouldEqualTheReferenceWhenTheRegionIsJumboOrTsoSized() {
        Random random = new Random(9000);
        for (int length : new int[] {1499, 1500, 9000, 9001, 65535, 66 * 1024}) {
            byte[] ones = new byte[length];
            Arrays.fill(ones, (byte) 0xFF);
            byte[] noise = new byte[length];
            random.nextBytes(noise);
            for (byte[] bytes : new byte[][] {ones, noise}) {
                MemorySegment segment = place(bytes, 3);
                assertEquals(referenceChecksum(bytes, 0, length), InternetChecksum.compute(segment, 3, length), "length " + length);
            }
        }
    }

    @Test
    void shouldEqualTheReferenceWhenTheSegmentIsOnTheHeap() {
        Random random = new Random(7);
        for (int length = 0; length < 40; length++) {
            byte[] bytes = new byte[length + 5];
            random.nextBytes(bytes);
            assertEquals(referenceChecksum(bytes, 5, length), InternetChecksum.compute(MemorySegment.ofArray(bytes), 5, length));
        }
    }

    @Test
    void shouldEqualOneRegionWhenSeveralEvenRegionsAreAdded() {
        Random random = new Random(42);
        for (int trial = 0; trial < 500; trial++) {
            int length = random.nextInt(200);
            byte[] bytes = new byte[length];
            random.nextBytes(bytes);
            int offset = random.nextInt(8);
            MemorySegment segment = place(bytes, offset);
            long whole = InternetChecksum.add(segment, offset, length, 0);
            // Even-length regions, then whatever is left (odd or even) last.
            long pieces = 0;
            int at = 0;
            while (at < length) {
                int piece = Math.min(length - at, 2 * random.nextInt(12));
                if (length - at - piece < 2) {
                    piece = length - at;
                }
                pieces = InternetChecksum.add(segment, offset + at, piece, pieces);
                at += piece;
            }
            assertEquals(InternetChecksum.fold(whole), InternetChecksum.fold(pieces), "trial " + trial);
            assertEquals(InternetChecksum.finish(whole), InternetChecksum.finish(pieces), "trial " + trial);
        }
    }

    @Test
    void shouldEqualTheBytesSumWhenWordsAreAddedAsValues() {
        Random random = new Random(16);
        for (int trial = 0; trial < 1000; trial++) {
            int word = random.nextInt();
            long wide = random.nextLong();
            byte[] bytes = new byte[2 + 4 + 8];
            bytes[0] = (byte) (word >>> 8);
            bytes[1] = (byte) word;
            for (int k = 0; k < 4; k++) {
                bytes[2 + k] = (byte) (word >>> (24 - 8 * k));
            }
            for (int k = 0; k < 8; k++) {
                bytes[6 + k] = (byte) (wide >>> (56 - 8 * k));
            }
            long sum = InternetChecksum.add64(InternetChecksum.add32(InternetChecksum.add16(0, word), word), wide);
            assertEquals(referenceFold(referenceSum(bytes, 0, bytes.length)), InternetChecksum.fold(sum));
        }
    }

    @Test
    void shouldFoldAndFinishWhenTheSumIsAtTheEdges() {
        assertEquals(0, InternetChecksum.fold(0));
        assertEquals(0xFFFF, InternetChecksum.finish(0));
        assertEquals(0xFFFF, InternetChecksum.fold(0xFFFF));
        assertEquals(0, InternetChecksum.finish(0xFFFF));
        assertEquals(1, InternetChecksum.fold(0x10000));
        assertEquals(0xFFFF, InternetChecksum.fold(0x1FFFEL));
        assertEquals(referenceFold(Long.MAX_VALUE >>> 1), InternetChecksum.fold(Long.MAX_VALUE >>> 1));
    }

    @Test
    void shouldVerifyWhenTheRegionHoldsItsOwnChecksum() {
        byte[][] frames = {
            tcp4("10.0.0.1", 40000, "10.0.0.2", 80).ipOptions(new byte[] {1, 1, 1, 0}).build(),
            udp4("192.168.7.9", 1, "172.16.0.1", 2).ttl(1).tos(0xFF).build(),
            icmp4Echo("10.0.0.1", "10.0.0.2", 0xBEEF, 77).payload(57).build(),
        };
        for (byte[] frame : frames) {
            int ihl = (frame[14] & 0x0F) * 4;
            MemorySegment segment = place(frame, 0);
            assertTrue(InternetChecksum.verifies(segment, 14, ihl), "IPv4 header");
            segment.set(ValueLayout.JAVA_BYTE, 22, (byte) (frame[22] - 1)); // a router's TTL decrement, unpatched
            assertFalse(InternetChecksum.verifies(segment, 14, ihl), "IPv4 header after a change");
        }
        byte[] echo = frames[2];
        MemorySegment segment = place(echo, 1);
        assertTrue(InternetChecksum.verifies(segment, 1 + 34, echo.length - 34), "ICMP message, odd length, odd offset");
        byte[] bad = icmp4Echo("10.0.0.1", "10.0.0.2", 0xBEEF, 77).payload(57).badL4Checksum().build();
        assertFalse(InternetChecksum.verifies(place(bad, 0), 34, bad.length - 34));
        byte[] badIp = udp4("10.0.0.1", 1, "10.0.0.2", 2).badIpChecksum().build();
        assertFalse(InternetChecksum.verifies(place(badIp, 0), 14, 20));
    }
}
