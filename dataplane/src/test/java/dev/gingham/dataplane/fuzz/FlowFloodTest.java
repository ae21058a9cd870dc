package dev.gingham.dataplane.fuzz;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.Cidr;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Parser;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Flow floods: every frame a new, valid flow inside the prefixes and ports it was aimed at. */
class FlowFloodTest {
    private static final long POD_MAC = 0x02_00_00_00_00_01L;
    private static final long GATEWAY_MAC = 0x02_00_00_00_00_02L;
    private final BufferPool pool = BufferPool.allocate(FrameVector.MAX_FRAMES, BufferPool.DEFAULT_BUFFER_SIZE);
    private final FrameVector vector = new FrameVector(pool);
    private final Parser parser = new Parser();
    private final ChecksumVerifier checksums = new ChecksumVerifier();

    @AfterEach
    void close() {
        vector.releaseAll();
        pool.close();
    }

    private static String tuple(FrameVector v, int i) {
        return v.srcHi(i) + "/" + v.srcLo(i) + ":" + v.srcPort(i) + ">" + v.dstHi(i) + "/" + v.dstLo(i) + ":" + v.dstPort(i)
                + "/" + v.protocol(i);
    }

    @Test
    void shouldOpenOnlyNewValidFlowsInsideTheTargetWhenFlooding() {
        Cidr pods = Cidr.parse("10.244.1.0/30");
        Cidr services = Cidr.parse("10.96.0.10/32");
        FlowFlood flood = new FlowFlood(new FlowFlood.Spec(pods, services, 80, 81, FlowFlood.TCP, POD_MAC, GATEWAY_MAC));
        assertEquals(64_512L * 2 * 1 * 2, flood.flows(), "/30: two hosts; /32: one; two ports");
        Set<String> tuples = new HashSet<>();
        long index = 0;
        while (index < flood.flows()) {
            int added = flood.fill(vector, index, FrameVector.MAX_FRAMES, 3);
            for (int i = 0; i < added; i++) {
                assertEquals(Verdict.CONTINUE, parser.parse(vector, i));
                assertNull(checksums.verify(vector, i));
                assertTrue(tuples.add(tuple(vector, i)), "flow " + (index + i) + " repeats a tuple");
                assertTrue(pods.contains(vector.srcHi(i), vector.srcLo(i)) && services.contains(vector.dstHi(i), vector.dstLo(i)));
                assertTrue(vector.srcIp4(i) != Cidr.parse("10.244.1.0/32").v4() && vector.srcIp4(i) != Cidr.parse("10.244.1.3/32").v4(),
                        "no network or broadcast address");
                assertEquals(PacketBuilder.SYN, vector.tcpFlags(i));
                assertEquals(3, vector.ingressPort(i));
            }
            index += added;
            vector.releaseAll();
        }
        assertEquals(flood.flows(), tuples.size());
        flood.fill(vector, index, 1, 3);
        parser.parse(vector, 0);
        assertEquals(FlowFlood.FIRST_SOURCE_PORT, vector.srcPort(0), "after the last flow the sequence starts over");
    }

    @Test
    void shouldEqualPacketBuilderWhenFloodingUdpOverIpv6() {
        FlowFlood flood = new FlowFlood(new FlowFlood.Spec(Cidr.parse("fd00:10:244::/64"), Cidr.parse("2001:db8::/120"), 53,
                53, FlowFlood.UDP, POD_MAC, GATEWAY_MAC));
        long index = 64_512L + 5; // second source host, source port 1029
        flood.fill(vector, index, 1, 1);
        byte[] payload = new byte[16];
        java.nio.ByteBuffer.wrap(payload).putLong(index).putLong(FuzzRandom.mix(index));
        byte[] golden = PacketBuilder.udp6("fd00:10:244::2", 1029, "2001:db8::1", 53).payload(payload).build();
        byte[] frame = vector.segment().asSlice(vector.start(0), vector.length(0)).toArray(ValueLayout.JAVA_BYTE);
        // The flood sets a flow label (the low 20 bits of the index) that PacketBuilder leaves 0.
        assertEquals((int) index & 0xF_FFFF, (frame[15] & 0x0F) << 16 | (frame[16] & 0xFF) << 8 | frame[17] & 0xFF);
        frame[15] = 0;
        frame[16] = 0;
        frame[17] = 0;
        assertEquals(HexFormat.of().formatHex(golden), HexFormat.of().formatHex(frame));
    }

    @Test
    void shouldNameTheProblemWhenTheSpecIsInconsistent() {
        assertEquals("flood sources 10.0.0.0/8 and destinations fd00::/64 are of different families",
                assertThrows(IllegalArgumentException.class, () -> new FlowFlood.Spec(Cidr.parse("10.0.0.0/8"),
                        Cidr.parse("fd00::/64"), 1, 1, FlowFlood.TCP, 1, 2)).getMessage());
        assertEquals("flood destination ports 90..80 are not a range within 0..65535",
                assertThrows(IllegalArgumentException.class, () -> new FlowFlood.Spec(Cidr.parse("10.0.0.0/8"),
                        Cidr.parse("10.1.0.0/16"), 90, 80, FlowFlood.TCP, 1, 2)).getMessage());
        assertEquals("flood protocol 1 is neither TCP (6) nor UDP (17)",
                assertThrows(IllegalArgumentException.class, () -> new FlowFlood.Spec(Cidr.parse("10.0.0.0/8"),
                        Cidr.parse("10.1.0.0/16"), 1, 2, 1, 1, 2)).getMessage());
    }
}
