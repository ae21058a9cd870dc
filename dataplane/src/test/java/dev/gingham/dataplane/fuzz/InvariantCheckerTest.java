package dev.gingham.dataplane.fuzz;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;
import dev.gingham.packet.checksum.InternetChecksum;
import dev.gingham.packet.checksum.TransportChecksum;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each invariant catches its violation and says what it is; sound frames pass. */
class InvariantCheckerTest {
    private final BufferPool pool = BufferPool.allocate(8, BufferPool.DEFAULT_BUFFER_SIZE);
    private final FrameVector vector = new FrameVector(pool);
    private final InvariantChecker checker = new InvariantChecker();

    @AfterEach
    void close() {
        vector.releaseAll();
        checker.close();
        pool.close();
    }

    private int load(byte[] frame) {
        return PacketBuilder.load(vector, 1, frame);
    }

    private static byte[] syn() {
        return PacketBuilder.tcp4("10.0.0.1", 40000, "10.0.0.2", 80).flags(PacketBuilder.SYN).payload(7).build();
    }

    @Test
    void shouldPassSoundFramesOfEveryKind() {
        byte[][] frames = {syn(), PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).udpChecksumZero().build(),
                PacketBuilder.icmp6Echo("fd00::1", "fd00::2", 1, 1).payload(9).build(),
                PacketBuilder.icmp4FragNeeded("10.0.0.254", "10.0.0.1", 1400, syn()).build(),
                PacketBuilder.vxlan("192.168.1.1", "192.168.1.2", 5, syn()).build(),
                PacketBuilder.arpRequest("02:00:00:00:00:01", "10.0.0.1", "10.0.0.2").build()};
        for (byte[] frame : frames) {
            int i = load(frame);
            assertNull(checker.checkEmitted(vector, i, true));
            assertTrue(checker.checksumsValid(vector, i));
        }
    }

    @Test
    void shouldNameTheChecksumAndItsRightValueWhenOneIsWrong() {
        byte[] good = syn();
        int tcpChecksum = (good[14 + 20 + 16] & 0xFF) << 8 | good[14 + 20 + 17] & 0xFF;
        int i = load(PacketBuilder.tcp4("10.0.0.1", 40000, "10.0.0.2", 80).flags(PacketBuilder.SYN).payload(7)
                .badL4Checksum().build());
        String problem = checker.checkEmitted(vector, i, true);
        assertTrue(problem.startsWith("TCP/IPv4 checksum 0x"), problem);
        assertTrue(problem.endsWith(String.format("(expected 0x%04x)", tcpChecksum)), problem);
        assertNull(checker.checkEmitted(vector, i, false), "not required when the input was already wrong");
        assertFalse(checker.checksumsValid(vector, i));

        int ip = load(PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).badIpChecksum().build());
        assertTrue(checker.checkEmitted(vector, ip, true).matches("IPv4 header checksum 0x[0-9a-f]{4} is wrong \\(expected 0x[0-9a-f]{4}\\)"));
    }

    @Test
    void shouldRefuseUdpChecksumZeroOnlyOverIpv6() {
        int v4 = load(PacketBuilder.udp4("10.0.0.1", 1, "10.0.0.2", 2).udpChecksumZero().build());
        assertNull(checker.checkEmitted(vector, v4, true));
        byte[] v6 = PacketBuilder.udp6("fd00::1", 1, "fd00::2", 2).payload(4).build();
        v6[14 + 40 + 6] = 0;
        v6[14 + 40 + 7] = 0;
        assertEquals("UDP over IPv6 with checksum 0 (RFC 8200 requires one)", checker.checkEmitted(vector, load(v6), true));
    }

    @Test
    void shouldAcceptAPartialChecksumOnlyWhenItHoldsThePseudoHeaderSum() {
        byte[] frame = syn();
        int i = load(frame);
        long l4 = vector.start(i) + 34;
        int l4Length = frame.length - 34;
        int pseudo = InternetChecksum.fold(TransportChecksum.pseudoHeader4(0x0A00_0001, 0x0A00_0002, 6, l4Length));
        vector.segment().set(dev.gingham.packet.NetworkOrder.BE16, l4 + 16, (short) pseudo);
        vector.addFlags(i, FrameVector.FLAG_CSUM_PARTIAL);
        vector.offload(i, 0, 0, 34, 16);
        assertNull(checker.checkEmitted(vector, i, true));
        vector.offload(i, 0, 0, 30, 16);
        assertEquals("TCP/IPv4 CHECKSUM_PARTIAL points at start 30 offset 16, but the L4 header is at 34, its checksum at +16",
                checker.checkEmitted(vector, i, true));
        vector.offload(i, 0, 0, 34, 16);
        vector.segment().set(dev.gingham.packet.NetworkOrder.BE16, l4 + 16, (short) (pseudo + 1));
        assertEquals(String.format("TCP/IPv4 CHECKSUM_PARTIAL pseudo-header sum 0x%04x is wrong (expected 0x%04x)",
                pseudo + 1, pseudo), checker.checkEmitted(vector, i, true));
    }

    @Test
    void shouldCheckTheInnerFrameWhenTheFrameIsATunnelPacket() {
        byte[] inner = PacketBuilder.tcp4("10.1.0.1", 1, "10.2.0.2", 2).payload(5).badL4Checksum().build();
        int vxlan = load(PacketBuilder.vxlan("192.168.1.1", "192.168.1.2", 5, inner).build());
        assertTrue(checker.checkEmitted(vector, vxlan, true).startsWith("inner frame (tunnel level 1): TCP/IPv4 checksum"));
        int geneve = load(PacketBuilder.geneve("192.168.1.1", "192.168.1.2", 5, inner).geneveOption(0x0102, 3, new byte[4])
                .build());
        assertTrue(checker.checkEmitted(vector, geneve, true).startsWith("inner frame (tunnel level 1): TCP/IPv4 checksum"));
        byte[] cut = PacketBuilder.vxlan("192.168.1.1", "192.168.1.2", 5, java.util.Arrays.copyOf(syn(), 30)).build();
        assertEquals("inner frame (tunnel level 1): does not re-parse: IPV4_TRUNCATED", checker.checkEmitted(vector, load(cut), true));
    }

    @Test
    void shouldSayWhatIsWrongWhenAFrameLeavesItsBufferOrDoesNotParse() {
        int i = load(syn());
        vector.length(i, pool.bufferSize());
        assertEquals("frame [258, 2306) is outside its buffer [0, 2048)", checker.checkEmitted(vector, i, true));
        int cut = load(java.util.Arrays.copyOf(syn(), 30));
        assertEquals("does not re-parse: IPV4_TRUNCATED", checker.checkEmitted(vector, cut, false));
        int freed = load(syn());
        pool.release(vector.buffer(freed));
        assertEquals("buffer " + vector.buffer(freed) + " holds a frame but is free in the pool (released too early?)",
                InvariantChecker.checkInsideBuffer(vector, freed));
        pool.acquire(); // give it back to the vector for the release in close()
    }

    @Test
    void shouldKnowEveryVerdictShape() {
        assertNull(InvariantChecker.checkVerdict(Verdict.CONTINUE));
        assertNull(InvariantChecker.checkVerdict(Verdict.tx(3)));
        assertNull(InvariantChecker.checkVerdict(Verdict.punt(1)));
        assertNull(InvariantChecker.checkVerdict(DropReason.NO_SERVICE.verdict()));
        assertEquals("verdict -999 drops with an unregistered code", InvariantChecker.checkVerdict(-999));
        assertEquals("verdict 0x5000001 is no known action", InvariantChecker.checkVerdict(5 << 24 | 1));
    }

    @Test
    void shouldFindInconsistentParseResults() {
        int i = load(syn());
        assertEquals(Verdict.CONTINUE, new Parser().parse(vector, i));
        assertNull(InvariantChecker.checkParseResult(vector, i, Verdict.CONTINUE));
        vector.l4Offset(i, vector.end(i) + 4);
        assertEquals("L4 offset 65 is outside L3 [14, 61)", InvariantChecker.checkParseResult(vector, i, Verdict.CONTINUE));
        vector.l4Offset(i, vector.start(i) + 34);
        vector.addFlags(i, FrameVector.FLAG_IPV6);
        assertTrue(InvariantChecker.checkParseResult(vector, i, Verdict.CONTINUE).startsWith("more than one of IPv4, IPv6, ARP"));
        assertEquals("the parser returned an action", InvariantChecker.checkParseResult(vector, i, Verdict.tx(1)));
    }

    @Test
    void shouldCountLeaksAndDoubleReleasesWhenThePoolIsUnbalanced() {
        int before = pool.available();
        assertNull(InvariantChecker.checkPoolBalance(pool, before));
        int leaked = pool.acquire();
        assertEquals("buffer pool unbalanced: " + before + " free before, " + (before - 1) + " after (1 leaked)",
                InvariantChecker.checkPoolBalance(pool, before));
        pool.release(leaked);
        assertEquals("buffer pool unbalanced: " + (before - 2) + " free before, " + before + " after (2 released twice)",
                InvariantChecker.checkPoolBalance(pool, before - 2));
    }
}
