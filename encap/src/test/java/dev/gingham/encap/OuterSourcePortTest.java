package dev.gingham.encap;

import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FlowHash;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import dev.gingham.packet.Parser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OuterSourcePortTest {
    private final BufferPool pool = BufferPool.allocate(4, BufferPool.DEFAULT_BUFFER_SIZE);
    private final FrameVector v = new FrameVector(pool);
    private final Parser parser = new Parser();

    @AfterEach
    void tearDown() {
        v.releaseAll();
        pool.close();
    }

    private int port(byte[] frame) {
        v.releaseAll();
        int i = PacketBuilder.load(v, 0, frame);
        parser.parse(v, i);
        return OuterSourcePort.of(v, i);
    }

    @Test
    void shouldStayInDynamicRangeAndSpreadWhenFlowsDiffer() {
        Set<Integer> ports = new HashSet<>();
        int[] buckets = new int[16];
        for (int k = 0; k < 4096; k++) {
            int p = port(PacketBuilder.tcp4("10.244.1.5", 30000 + k, "10.244.2.7", 80).build());
            assertTrue(p >= 49152 && p <= 65535, "port " + p);
            ports.add(p);
            buckets[(p - OuterSourcePort.MIN_PORT) >>> 10]++;
        }
        assertTrue(ports.size() > 3500, "4096 flows got " + ports.size() + " distinct ports");
        for (int count : buckets) {
            assertTrue(count > 150 && count < 370, "even spread over the range: " + count);
        }
    }

    @Test
    void shouldSpreadWhenOnlyTheAddressesDiffer() {
        // pods of many nodes talking to one service port: ports and protocol equal, addresses not
        Set<Integer> ports = new HashSet<>();
        int[] buckets = new int[16];
        for (int k = 0; k < 4096; k++) {
            String source = "10.244." + (k >>> 6) + "." + (k & 63);
            String destination = "10.244." + (64 + (k & 15)) + "." + (k >>> 4 & 255);
            int p = port(PacketBuilder.tcp4(source, 40000, destination, 8080).build());
            ports.add(p);
            buckets[(p - OuterSourcePort.MIN_PORT) >>> 10]++;
        }
        assertTrue(ports.size() > 3500, "4096 flows got " + ports.size() + " distinct ports");
        for (int count : buckets) {
            assertTrue(count > 150 && count < 370, "even spread over the range: " + count);
        }
    }

    /** The port from the parsed tuple alone: what {@link OuterSourcePort#of} gives every frame that is not plain IPv4 TCP or UDP. */
    private int tuplePort(byte[] frame) {
        port(frame);
        boolean fragment = v.hasFlag(0, FrameVector.FLAG_FRAGMENT);
        long h = FlowHash.spread(v.srcHi(0), v.srcLo(0), v.dstHi(0), v.dstLo(0), fragment ? 0 : v.srcPort(0),
                fragment ? 0 : v.dstPort(0), v.protocol(0));
        return OuterSourcePort.MIN_PORT + (int) (h >>> (Long.SIZE - Integer.numberOfTrailingZeros(OuterSourcePort.PORT_COUNT)));
    }

    @Test
    void shouldGiveTheTuplesPortWhenIpv4TcpOrUdpIsHashedFromThePacketBytes() {
        // IPv4 TCP and UDP hash the header bytes, everything else the parsed tuple: one flow must
        // get one port either way, or its packets would take different underlay paths
        for (int k = 0; k < 256; k++) {
            String source = "10.244." + k + "." + (255 - k);
            int sourcePort = 1024 + 97 * k;
            byte[][] frames = {
                    PacketBuilder.tcp4(source, sourcePort, "10.96.0.10", 443).build(),
                    PacketBuilder.udp4(source, sourcePort, "172.16." + k + ".1", 53).payload(k).build(),
                    PacketBuilder.tcp4(source, sourcePort, "10.96.0.10", 443).ipOptions(new byte[]{1, 1, 1, 0}).build(), // L4 at 24
                    PacketBuilder.tcp4(source, sourcePort, "10.96.0.10", 443).vlan(100).build(), // L3 at 18
            };
            for (byte[] frame : frames) {
                assertEquals(tuplePort(frame), port(frame), "flow " + k);
            }
        }
    }

    @Test
    void shouldHashWithoutPortsWhenTheFrameIsAFirstFragment() {
        // a first fragment carries the ports in its bytes, but its later fragments do not: all of
        // them must take the path of the port-less hash
        byte[] first = PacketBuilder.udp4("10.244.1.5", 5000, "10.244.2.7", 53).moreFragments().payload(64).build();
        byte[] later = PacketBuilder.udp4("10.244.1.5", 5000, "10.244.2.7", 53).fragmentOffset(72).payload(64).build();
        byte[] whole = PacketBuilder.udp4("10.244.1.5", 5000, "10.244.2.7", 53).payload(64).build();
        assertEquals(port(later), port(first));
        assertEquals(tuplePort(first), port(first));
        assertNotEquals(port(whole), port(first));
    }

    @Test
    void shouldSpreadWhenIpv6FlowsDiffer() {
        // IPv6 hashes the parsed tuple (FlowHash.spread), IPv4 TCP and UDP their header words
        Set<Integer> ports = new HashSet<>();
        int[] buckets = new int[16];
        for (int k = 0; k < 4096; k++) {
            int p = port(PacketBuilder.udp6("fd00:1::" + Integer.toHexString(k + 1), 40000, "fd00:2::7", 53).build());
            ports.add(p);
            buckets[(p - OuterSourcePort.MIN_PORT) >>> 10]++;
        }
        assertTrue(ports.size() > 3500, "4096 flows got " + ports.size() + " distinct ports");
        for (int count : buckets) {
            assertTrue(count > 150 && count < 370, "even spread over the range: " + count);
        }
    }

    @Test
    void shouldKeepPortWhenSameFlowRepeatsAndChangeItWhenAnyFieldChanges() {
        byte[] flow = PacketBuilder.udp4("10.244.1.5", 5000, "10.244.2.7", 53).payload(10).build();
        int p = port(flow);
        assertEquals(p, port(PacketBuilder.udp4("10.244.1.5", 5000, "10.244.2.7", 53).payload(999).ipId(7).build()));
        assertNotEquals(p, port(PacketBuilder.udp4("10.244.1.6", 5000, "10.244.2.7", 53).build()));
        assertNotEquals(p, port(PacketBuilder.udp4("10.244.1.5", 5001, "10.244.2.7", 53).build()));
        assertNotEquals(p, port(PacketBuilder.udp4("10.244.1.5", 5000, "10.244.2.8", 53).build()));
        assertNotEquals(p, port(PacketBuilder.tcp4("10.244.1.5", 5000, "10.244.2.7", 53).build()));
        assertNotEquals(port(PacketBuilder.udp6("fd00:1::5", 1, "fd00:2::7", 2).build()),
                port(PacketBuilder.udp6("fd00:1::6", 1, "fd00:2::7", 2).build()));
    }

    @Test
    void shouldHashFragmentsWithoutPortsWhenPacketIsFragmented() {
        int first = port(PacketBuilder.udp4("10.244.1.5", 5000, "10.244.2.7", 53).moreFragments().payload(16).build());
        int later = port(PacketBuilder.udp4("10.244.1.5", 5000, "10.244.2.7", 53).fragmentOffset(1480).payload(16).build());
        assertEquals(first, later);
    }
}
