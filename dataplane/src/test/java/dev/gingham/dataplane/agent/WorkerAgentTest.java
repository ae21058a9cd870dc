package dev.gingham.dataplane.agent;

import dev.gingham.dataplane.program.NodeFixture;
import dev.gingham.encap.TunnelMode;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.DropReason;
import dev.gingham.packet.FrameVector;
import dev.gingham.packet.PacketBuilder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.gingham.dataplane.program.NodeFixture.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The worker loop: poll, pipeline, transmit to the port the verdict names, count, release. */
class WorkerAgentTest {
    private final NodeFixture node = new NodeFixture(TunnelMode.VXLAN);
    private final BufferPool pool = BufferPool.allocate(32, BufferPool.DEFAULT_BUFFER_SIZE);
    private final PortCounters counters = new PortCounters(8, 1);
    private final long[] clock = {5_000_000_000L};
    private final WorkerAgent worker = new WorkerAgent(0, node.pipeline, pool, () -> clock[0], counters, null, 32);
    private final MemoryPort a = new MemoryPort(POD_A);
    private final MemoryPort b = new MemoryPort(POD_B);

    @AfterEach
    void tearDown() {
        node.close();
        counters.close();
        pool.close();
    }

    private void ports(PortIo... io) {
        PortIo[] table = new PortIo[8];
        for (PortIo p : io) {
            table[p.port()] = p;
        }
        worker.ports(table);
    }

    @Test
    void shouldCarryAPingFromPodToPodAndItsReplyBack() {
        ports(a, b);
        a.incoming.add(PacketBuilder.icmp4Echo(A_IP, B_IP, 1, 1).srcMac(A_MAC).dstMac(ROUTER_MAC).build());
        assertEquals(1, worker.doWork());
        assertArrayEquals(PacketBuilder.icmp4Echo(A_IP, B_IP, 1, 1).srcMac(ROUTER_MAC).dstMac(B_MAC).ttl(63).build(),
                b.transmitted.getFirst());

        b.incoming.add(PacketBuilder.icmp4Echo(B_IP, A_IP, 1, 1).icmpEchoReply().srcMac(B_MAC).dstMac(ROUTER_MAC).build());
        assertEquals(1, worker.doWork());
        assertEquals(1, a.transmitted.size());
        assertEquals(32, pool.available(), "every buffer back in the pool");
        assertEquals(1, counters.sum(POD_A, PortCounters.RX_PACKETS));
        assertEquals(1, counters.sum(POD_B, PortCounters.TX_PACKETS));
        assertEquals(a.transmitted.getFirst().length, counters.sum(POD_A, PortCounters.TX_BYTES));
    }

    @Test
    void shouldCountATxErrorWhenTheDestinationPortIsGoneOrFull() {
        ports(a);
        a.incoming.add(PacketBuilder.icmp4Echo(A_IP, B_IP, 1, 1).srcMac(A_MAC).dstMac(ROUTER_MAC).build());
        worker.doWork();
        assertEquals(1, counters.sum(POD_B, PortCounters.TX_ERRORS));

        ports(a, b);
        b.full = true;
        a.incoming.add(PacketBuilder.icmp4Echo(A_IP, B_IP, 1, 2).srcMac(A_MAC).dstMac(ROUTER_MAC).build());
        worker.doWork();
        assertEquals(2, counters.sum(POD_B, PortCounters.TX_ERRORS));
        assertEquals(32, pool.available());
        assertEquals(1, node.node.drops().sum(DropReason.TX_REJECTED), "the frame to the port that was gone");
        assertEquals(1, node.node.drops().sum(DropReason.TX_FAILED), "the frame the full port refused");
    }

    @Test
    void shouldHandAPortEveryFrameOfABurstBoundForItInOneCallInOrderWhenSeveralArriveTogether() {
        List<Integer> batchSizes = new ArrayList<>();
        PortIo batching = new PortIo() {
            @Override
            public int port() {
                return POD_B;
            }

            @Override
            public int receive(FrameVector vector, int maxFrames) {
                return 0;
            }

            @Override
            public boolean transmit(FrameVector vector, int i) {
                return b.transmit(vector, i);
            }

            @Override
            public int transmitBatch(FrameVector vector, int[] frames, int count) {
                batchSizes.add(count);
                return PortIo.super.transmitBatch(vector, frames, count);
            }
        };
        ports(a, batching);
        for (int seq = 1; seq <= 3; seq++) {
            a.incoming.add(PacketBuilder.icmp4Echo(A_IP, B_IP, 1, seq).srcMac(A_MAC).dstMac(ROUTER_MAC).build());
        }
        assertEquals(3, worker.doWork());
        assertEquals(List.of(3), batchSizes, "one call for the three frames");
        for (int seq = 1; seq <= 3; seq++) {
            assertArrayEquals(PacketBuilder.icmp4Echo(A_IP, B_IP, 1, seq).srcMac(ROUTER_MAC).dstMac(B_MAC).ttl(63).build(),
                    b.transmitted.get(seq - 1), "frame " + seq + " in order");
        }
        assertEquals(3, counters.sum(POD_B, PortCounters.TX_PACKETS));
    }

    @Test
    void shouldDoNoWorkWhenNothingWaits() {
        ports(a, b);
        assertEquals(0, worker.doWork());
    }

    @Test
    void shouldRecordAnOverlongBurstAsTheRecordersCeilingWhenTheWorkerWasDescheduled() {
        // The daemon's recorder has a fixed range (an auto-resizing one reallocates on the worker at
        // every new maximum); a burst that took longer than the range must be clamped, not thrown.
        SingleWriterRecorder latency = new SingleWriterRecorder(WorkerAgent.MAX_RECORDED_LATENCY_NS, 3);
        long[] readings = {5_000_000_000L, 8_000_000_000L};
        int[] calls = {0};
        WorkerAgent slow = new WorkerAgent(0, node.pipeline, pool, () -> readings[Math.min(calls[0]++, 1)], counters, latency, 32);
        PortIo[] table = new PortIo[8];
        table[POD_A] = a;
        table[POD_B] = b;
        slow.ports(table);
        a.incoming.add(PacketBuilder.icmp4Echo(A_IP, B_IP, 1, 1).srcMac(A_MAC).dstMac(ROUTER_MAC).build());

        assertEquals(1, slow.doWork());

        Histogram recorded = latency.getIntervalHistogram();
        assertEquals(1, recorded.getTotalCount());
        assertEquals(WorkerAgent.MAX_RECORDED_LATENCY_NS, recorded.getMaxValue(), recorded.getMaxValue() / 1000.0,
                "3 s recorded as the 1 s ceiling");
        assertEquals(1, b.transmitted.size(), "the frame was still delivered");
    }
}
