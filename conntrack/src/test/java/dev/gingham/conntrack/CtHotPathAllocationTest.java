package dev.gingham.conntrack;

import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static dev.gingham.packet.PacketBuilder.ACK;
import static dev.gingham.packet.PacketBuilder.FIN;
import static dev.gingham.packet.PacketBuilder.PSH;
import static dev.gingham.packet.PacketBuilder.SYN;
import static dev.gingham.packet.PacketBuilder.ipPacketOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * prefetch, lookup + account (and create's refusal and race paths, and a sweep) allocate nothing
 * (DESIGN.md §3), measured with the JVM's per-thread allocation counter over a warmed-up loop.
 */
class CtHotPathAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private long sink;

    @Test
    void shouldAllocateNothingWhenFramesAreTrackedOnTheHotPath() {
        try (Frames frames = new Frames();
             CtTable table = CtTable.create(CtConfig.defaults().withMaxEntries(4, 4), 1L)) {
            CtResult result = new CtResult();
            byte[] syn = PacketBuilder.tcp4("10.0.0.1", 40000, "10.0.0.2", 80).flags(SYN).build();
            byte[] query = PacketBuilder.udp4("10.0.0.1", 5353, "10.0.0.2", 53).payload(20).build();
            byte[][] flowStarts = {
                    syn,
                    query,
                    PacketBuilder.icmp6Echo("fd00::1", "fd00::2", 9, 1).build(),
                    PacketBuilder.tcp6("fd00::1", 1000, "fd00::2", 443).flags(ACK).build(),
            };
            for (byte[] frame : flowStarts) {
                int i = frames.only(frame);
                table.lookup(frames.vector, i, result);
                assertTrue(table.create(frames.vector, i, 0L, result) >= 0);
            }
            frames.vector.releaseAll();
            byte[][] traffic = {
                    PacketBuilder.tcp4("10.0.0.2", 80, "10.0.0.1", 40000).flags(SYN | ACK).build(),
                    PacketBuilder.tcp4("10.0.0.1", 40000, "10.0.0.2", 80).flags(PSH | ACK).payload(500).build(),
                    PacketBuilder.tcp4("10.0.0.2", 80, "10.0.0.1", 40000).flags(FIN | ACK).build(),
                    PacketBuilder.udp4("10.0.0.2", 53, "10.0.0.1", 5353).payload(90).build(),
                    PacketBuilder.icmp6Echo("fd00::2", "fd00::1", 9, 1).icmpEchoReply().build(),
                    PacketBuilder.tcp6("fd00::2", 443, "fd00::1", 1000).flags(ACK).build(),
                    PacketBuilder.icmp4FragNeeded("192.0.2.1", "10.0.0.1", 1400, ipPacketOf(syn)).build(),
                    PacketBuilder.icmp4Error(3, 3, "10.0.0.2", "10.0.0.1", ipPacketOf(query)).build(),
                    PacketBuilder.tcp4("10.0.0.1", 40001, "10.0.0.2", 80).flags(SYN).build(), // NEW, TCP table full
                    syn, // a create that finds the entry (another worker's)
                    PacketBuilder.icmp4Error(3, 3, "10.0.0.2", "10.0.0.1", new byte[] {0x45, 0, 0}).build(), // bogus quote
                    PacketBuilder.arpRequest("02:00:00:00:00:01", "10.0.0.1", "10.0.0.2").build(),
            };
            int[] index = new int[traffic.length];
            for (int f = 0; f < traffic.length; f++) {
                index[f] = frames.add(traffic[f]);
            }
            // Fill the IPv4 TCP table so frame 8 is refused.
            for (int port = 1; table.mapFor(6, true).count() < 4; port++) {
                int i = frames.add(PacketBuilder.tcp4("10.9.0.1", port, "10.0.0.2", 80).flags(SYN).build());
                table.lookup(frames.vector, i, result);
                table.create(frames.vector, i, 0L, result);
            }
            CtSweeper sweeper = new CtSweeper(table, CtExpiryListener.NONE, 16);
            long[] now = {1L};
            long[] hashes = new long[FrameVector.MAX_FRAMES];
            Runnable loop = () -> {
                for (int round = 0; round < 2_000; round++) {
                    long nowNs = now[0]++;
                    table.prefetch(frames.vector, 0, frames.vector.count(), hashes, result);
                    for (int i : index) {
                        int status = (round & 1) == 0
                                ? table.lookup(frames.vector, i, result)
                                : table.lookup(frames.vector, i, hashes[i], result);
                        if (status == CtStatus.NEW || i == index[9]) {
                            sink += (round & 1) == 0
                                    ? table.create(frames.vector, i, nowNs, result)
                                    : table.create(frames.vector, i, nowNs, hashes[i], result);
                        } else if (status > CtStatus.NEW) {
                            sink += table.account(frames.vector, i, nowNs, result);
                        } else {
                            sink += status;
                        }
                    }
                    sink += sweeper.sweep(nowNs);
                }
            };
            for (int warm = 0; warm < 30; warm++) {
                loop.run();
            }
            long thread = Thread.currentThread().threadId();
            long before = THREADS.getThreadAllocatedBytes(thread);
            loop.run();
            loop.run();
            long allocated = THREADS.getThreadAllocatedBytes(thread) - before;
            assertTrue(allocated < 1024, "hot path allocated " + allocated + " bytes over 48,000 frames");
            assertEquals(4 + 1, table.tcpCount(), "the full IPv4 TCP table and the IPv6 flow");
            assertTrue(sink != 0);
            // The loop took the paths it claims to.
            assertEquals(CtStatus.NEW, table.lookup(frames.vector, index[8], result));
            assertEquals(-dev.gingham.packet.DropReason.CT_CREATE_FAILED.code(), table.create(frames.vector, index[8], 0L, result));
            assertEquals(CtStatus.RELATED, table.lookup(frames.vector, index[6], result));
            assertEquals(dev.gingham.packet.DropReason.ICMP_EMBEDDED_INVALID.verdict(), table.lookup(frames.vector, index[10], result));
            assertEquals(dev.gingham.packet.DropReason.UNKNOWN_L3.verdict(), table.lookup(frames.vector, index[11], result));
        }
    }
}
