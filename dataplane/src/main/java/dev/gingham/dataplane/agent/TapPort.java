package dev.gingham.dataplane.agent;

import dev.gingham.packet.FrameVector;
import dev.gingham.tap.TapQueue;

import java.util.function.IntFunction;

/**
 * A port backed by one queue of a TAP device (a pod's, or the host's) or of the underlay's packet
 * socket. Frames are read straight into the worker's pool buffers with their vnet header in the
 * headroom, and written from there; a batched underlay queue reads and writes a whole burst per
 * system call ({@link TapQueue#transmitBatch}), and a pod's or the host's TAP may get consecutive
 * TCP segments merged into one GSO frame. The driver's own counters say why a read or write
 * failed; a frame not sent carries the drop reason ({@code TX_QUEUE_FULL}, {@code TX_REJECTED}).
 */
public final class TapPort implements PortIo {
    private final int port;
    private final TapQueue queue;
    private final int burstFrames;
    private final boolean coalesceTcp;

    public TapPort(int port, TapQueue queue) {
        this(port, queue, 0, false);
    }

    /**
     * @param burstFrames frames read per cycle at most, 0 for the worker's burst size ({@link PortIo#burstFrames()})
     * @param coalesceTcp merge consecutive segments of one TCP flow into one GSO frame before writing them to a TAP
     *                    ({@link TapQueue#transmitBatch(FrameVector, int[], int, boolean)}); ignored by the underlay
     */
    public TapPort(int port, TapQueue queue, int burstFrames, boolean coalesceTcp) {
        this.port = port;
        this.queue = queue;
        this.burstFrames = burstFrames;
        this.coalesceTcp = coalesceTcp;
    }

    /**
     * Returns: one port per worker over a device's queues ({@code queueOf.apply(w)} is worker w's
     * queue), all numbered {@code port} and read {@code burstFrames} at a time (0: the worker's),
     * with TCP coalescing on transmit or not.
     */
    public static PortIo[] perWorker(int port, int workers, IntFunction<TapQueue> queueOf, int burstFrames, boolean coalesceTcp) {
        PortIo[] ports = new PortIo[workers];
        for (int w = 0; w < workers; w++) {
            ports[w] = new TapPort(port, queueOf.apply(w), burstFrames, coalesceTcp);
        }
        return ports;
    }

    @Override
    public int burstFrames() {
        return burstFrames;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public int waitFd() {
        return queue.fd();
    }

    @Override
    public int receive(FrameVector vector, int maxFrames) {
        return queue.receive(vector, port, maxFrames);
    }

    @Override
    public long rxErrorCount() {
        return queue.rxErrorCount();
    }

    @Override
    public boolean transmit(FrameVector vector, int i) {
        return queue.transmit(vector, i) == TapQueue.SENT;
    }

    @Override
    public int transmitBatch(FrameVector vector, int[] frames, int count) {
        return queue.transmitBatch(vector, frames, count, coalesceTcp);
    }

    public TapQueue queue() {
        return queue;
    }
}
