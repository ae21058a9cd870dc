package dev.gingham.dataplane.daemon;

import dev.gingham.dataplane.agent.PortCounters;
import dev.gingham.dataplane.agent.PortIo;
import dev.gingham.dataplane.agent.WorkerAgent;
import dev.gingham.dataplane.program.NodeFixture;
import dev.gingham.encap.TunnelMode;
import dev.gingham.packet.BufferPool;
import dev.gingham.packet.FrameVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ports appear in the worker's table at once; a removed port's device is closed only when no worker can still use it. */
class PortTableTest {
    private final NodeFixture node = new NodeFixture(TunnelMode.VXLAN);
    private final BufferPool pool = BufferPool.allocate(16, BufferPool.DEFAULT_BUFFER_SIZE);
    private final PortCounters counters = new PortCounters(10, 1);
    private final WorkerAgent worker = new WorkerAgent(0, node.pipeline, pool, System::nanoTime, counters, null, 8);
    private final List<Throwable> errors = new ArrayList<>();
    private final PortTable table = new PortTable(1, 10, errors::add);

    @AfterEach
    void tearDown() {
        node.close();
        counters.close();
        pool.close();
    }

    /** A port that only counts how often the worker polls it. */
    private static final class CountingPort implements PortIo {
        private final int port;
        int polls;
        long rxErrors;

        @Override
        public long rxErrorCount() {
            return rxErrors;
        }

        CountingPort(int port) {
            this.port = port;
        }

        @Override
        public int port() {
            return port;
        }

        @Override
        public int receive(FrameVector vector, int maxFrames) {
            polls++;
            return 0;
        }

        @Override
        public boolean transmit(FrameVector vector, int i) {
            return false;
        }
    }

    private static final class Device implements AutoCloseable {
        boolean closed;

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void shouldPollAPortFromTheNextCycleWhenItIsSet() {
        table.attach(new WorkerAgent[] {worker});
        CountingPort port = new CountingPort(3);

        table.set(3, new PortIo[] {port});
        worker.doWork();

        assertEquals(1, port.polls);
        assertTrue(table.isSet(3));
    }

    @Test
    void shouldCloseARemovedDeviceOnlyAfterTheWorkerFinishedTwoMoreCycles() {
        table.attach(new WorkerAgent[] {worker});
        CountingPort port = new CountingPort(2);
        Device device = new Device();
        table.set(2, new PortIo[] {port});
        worker.doWork();

        table.remove(2, device, "demo/web-1");
        assertEquals(0, table.reclaim(), "the worker may still be in a cycle on the old table");
        worker.doWork();
        assertEquals(0, table.reclaim());
        assertFalse(device.closed);
        worker.doWork();

        assertEquals(1, table.reclaim());
        assertTrue(device.closed);
        assertEquals(1, port.polls, "never polled after its removal was published");
        assertEquals(0, table.retiredCount());
    }

    @Test
    void shouldCloseEveryRetiredDeviceAtOnceWhenTheDaemonStops() {
        table.attach(new WorkerAgent[] {worker});
        Device device = new Device();
        table.set(1, new PortIo[] {new CountingPort(1)});
        table.remove(1, device, "demo/db");

        table.closeRetired();

        assertTrue(device.closed);
    }

    @Test
    void shouldReportADeviceThatFailsToCloseAndGoOn() {
        table.attach(new WorkerAgent[] {worker});
        table.set(1, new PortIo[] {new CountingPort(1)});
        table.remove(1, () -> {
            throw new IllegalStateException("EBADF");
        }, "demo/db");

        table.closeRetired();

        assertEquals(1, errors.size());
        assertTrue(errors.getFirst().getMessage().contains("demo/db"), errors.getFirst().getMessage());
    }

    @Test
    void shouldRefuseAPortOutsideTheTableOrAQueueCountThatIsNotTheWorkerCount() {
        assertThrows(IllegalArgumentException.class, () -> table.set(10, new PortIo[] {new CountingPort(10)}));
        assertThrows(IllegalArgumentException.class, () -> table.set(1, new PortIo[0]));
    }

    @Test
    void shouldPublishEachPortsReadErrorsSummedOverWorkersOncePerPeriod() {
        PortTable two = new PortTable(2, 10, errors::add);
        CountingPort w0 = new CountingPort(3);
        CountingPort w1 = new CountingPort(3);
        w0.rxErrors = 2;
        w1.rxErrors = 5;
        two.set(3, new PortIo[] {w0, w1});

        two.sampleRxErrors(1_000L);
        assertEquals(7, two.rxErrors(3), "both workers' queues of the device");
        assertEquals(0, two.rxErrors(4), "an empty port");

        w1.rxErrors = 9;
        two.sampleRxErrors(1_000L + PortTable.RX_ERROR_SAMPLE_PERIOD_NS - 1);
        assertEquals(7, two.rxErrors(3), "not sampled again within the period");
        two.sampleRxErrors(1_000L + PortTable.RX_ERROR_SAMPLE_PERIOD_NS);
        assertEquals(11, two.rxErrors(3));

        two.remove(3, null, "gone");
        two.sampleRxErrors(1_000L + 2 * PortTable.RX_ERROR_SAMPLE_PERIOD_NS);
        assertEquals(0, two.rxErrors(3), "the port has no device any more");
    }
}
